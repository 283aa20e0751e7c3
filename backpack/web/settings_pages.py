"""The settings, in sections a person looks for: addresses, security and devices, apps and
tokens, import and export, deleting the account. Each section is its own page under one
section menu (templates/account/_layout.html); this module renders them and serves the two
sections that only gather what other pages do (apps and tokens; import and export)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_login import current_user, login_required
from flask_wtf.file import FileField, FileRequired
from wtforms import SubmitField

from backpack.services import access_tokens, connected_apps
from backpack.web.collection_forms import FindableForm
from backpack.web.forms import PageForm

bp = Blueprint("settings", __name__, url_prefix="/account")


class RestoreExportForm(PageForm):
    archive = FileField(
        "Your backpack-export.zip", validators=[FileRequired("Choose the file to bring back.")]
    )
    submit = SubmitField("Bring my badges back")


def import_export_page(status: int = 200, **forms: Any) -> tuple[str, int]:
    """The Import and export section: download the export, bring one back, import Mozilla's."""
    context: dict[str, Any] = {"restore_form": RestoreExportForm(), **forms}
    return render_template("account/import_export.html", **context), status


def apps_page(status: int = 200, **forms: Any) -> tuple[str, int]:
    """The Apps and tokens section: what may act for the earner, and badge widgets."""
    context: dict[str, Any] = {
        "app_count": len(connected_apps.connected_apps(current_user)),
        "token_count": len(access_tokens.list_tokens(current_user)),
        "findable_form": FindableForm(formdata=None, findable=current_user.findable_by_email),
        **forms,
    }
    return render_template("account/apps.html", **context), status


@bp.get("/apps")
@login_required
def apps() -> tuple[str, int]:
    """Connected apps and tokens in short, and whether badge widgets may find the earner."""
    return apps_page()


@bp.get("/import-export")
@login_required
def import_export() -> tuple[str, int]:
    """Download everything, bring an export back, or import the Mozilla Backpack's ZIP."""
    return import_export_page()
