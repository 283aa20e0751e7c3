"""The home page."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("main", __name__)


@bp.get("/")
def index() -> str:
    """The welcome page, or the earner's overview when logged in."""
    return render_template("main/index.html")
