"""Personal access tokens for the API: made, listed and revoked on a settings page."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from backpack.extensions import db
from backpack.services import access_tokens
from backpack.services.errors import ServiceError

bp = Blueprint("access_tokens", __name__, url_prefix="/account/tokens")


@bp.route("/", methods=["GET", "POST"])
@login_required
def index() -> str | tuple[str, int]:
    """List the earner's tokens; make a new one (its secret is shown once)."""
    secret = None
    status = 200
    if request.method == "POST":
        try:
            made = access_tokens.create_token(
                current_user, request.form.get("name", ""), request.form.getlist("scope")
            )
        except ServiceError as error:
            flash(error.message, "error")
            status = 400
        else:
            db.session.commit()
            secret = made.secret
    page = render_template(
        "oauth/access_tokens.html",
        tokens=access_tokens.list_tokens(current_user),
        scopes=access_tokens.SCOPES,
        secret=secret,
    )
    return page, status


@bp.post("/<int:token_id>/revoke")
@login_required
def revoke(token_id: int) -> Response:
    """Revoke a token: it stops working at once."""
    if not access_tokens.revoke_token(current_user, token_id):
        abort(404)
    db.session.commit()
    flash("Token revoked.", "success")
    return redirect(url_for("access_tokens.index"))
