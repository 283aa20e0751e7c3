"""The connected-apps page: every application with a grant, and revoking one."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from backpack.extensions import db
from backpack.services import connected_apps as service
from backpack.services import remote_grants

bp = Blueprint("connected_apps", __name__, url_prefix="/account/connected-apps")


@bp.get("/")
@login_required
def index() -> str:
    """List the applications that may act for the earner."""
    apps = service.connected_apps(current_user)
    return render_template(
        "oauth/connected_apps.html",
        apps=[(app, service.describe_scopes(app)) for app in apps],
        backpacks=[
            (grant, remote_grants.remote_host(grant))
            for grant in remote_grants.active_grants(current_user)
        ],
    )


@bp.post("/revoke")
@login_required
def revoke() -> Response:
    """Revoke every token one application holds, at once."""
    kind = request.form.get("kind", "")
    key = request.form.get("key", "")
    if kind not in ("oauth", "backpack-connect") or not key:
        abort(400)
    if service.revoke_app(current_user, kind, key) == 0:
        abort(404)
    db.session.commit()
    flash("Access revoked. The application can no longer act for you.", "success")
    return redirect(url_for("connected_apps.index"))


@bp.post("/backpacks/revoke")
@login_required
def revoke_backpack() -> Response:
    """Forget the tokens held for the earner at another backpack (and end them there)."""
    grant_id = request.form.get("grant", "")
    if not grant_id.isdigit() or not remote_grants.revoke_remote_grant(current_user, int(grant_id)):
        abort(404)
    db.session.commit()
    flash("Disconnected. This server can no longer read your badges there.", "success")
    return redirect(url_for("connected_apps.index"))
