"""The home page: the welcome page, or the earner's dashboard once logged in."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from backpack.services.dashboard import earner_dashboard
from backpack.web.badge_presenter import STATUS_LABELS, VERDICT_LABELS

bp = Blueprint("main", __name__)


@bp.get("/")
def index() -> str:
    """The welcome page, or the earner's dashboard when logged in."""
    if not current_user.is_authenticated:
        return render_template("main/index.html")
    return render_template(
        "main/dashboard.html",
        dashboard=earner_dashboard(current_user),
        verdict_labels=VERDICT_LABELS,
        status_labels=STATUS_LABELS,
    )


@bp.get("/favicon.ico")
def favicon() -> Response:
    """Browsers and feed readers ask here whatever the pages link: send them the SVG icon."""
    response = redirect(url_for("static", filename="favicon.svg"), code=301)
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
