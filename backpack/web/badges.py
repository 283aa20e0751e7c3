"""The earner's badges: the list, adding one, its page, and what can be done with it."""

from __future__ import annotations

import hashlib

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from backpack.extensions import db
from backpack.models import Badge, Image
from backpack.models.badges import SOURCE_WORDS
from backpack.openbadges import OpenBadgesError
from backpack.services import badges, sharing
from backpack.services.badge_intake import receive_badge
from backpack.services.errors import ServiceError
from backpack.web.badge_forms import AddBadgeForm
from backpack.web.badge_presenter import STATUS_LABELS, VERDICT_LABELS, view_badge
from backpack.web.forms import ActionForm
from backpack.web.share_links import badge_share_links

bp = Blueprint("badges", __name__, url_prefix="/badges")
# What a button of the add page says when its own field was left empty.
ROUTE_EMPTY = {
    "upload": "Choose the badge image first.",
    "url": "Enter the badge's URL first.",
    "paste": "Paste the badge's JSON or signed text first.",
}


@bp.context_processor
def labels() -> dict[str, object]:
    return {"verdict_labels": VERDICT_LABELS, "status_labels": STATUS_LABELS}


# An SVG is shown as an image, never run as a document: no scripts, no plugins, no requests.
IMAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


def _own_badge(badge_id: int) -> Badge:
    badge = badges.get_badge(current_user, badge_id)
    if badge is None:
        abort(404)
    return badge


@bp.get("/")
@login_required
def index() -> str:
    """List the earner's badges, newest first, filtered by status."""
    status = request.args.get("status")
    status = status if status in badges.STATUSES else None
    page = request.args.get("page", 1, type=int) or 1
    listing = badges.list_badges(current_user, status=status, page=page)
    return render_template("badges/index.html", listing=listing, status=status)


@bp.route("/add", methods=["GET", "POST"])
@login_required
def add() -> Response | tuple[str, int] | str:
    """Add a badge from a baked image, a URL, or pasted JSON or JWS."""
    form = AddBadgeForm()
    if not form.validate_on_submit():
        return render_template("badges/add.html", form=form), 400 if form.is_submitted() else 200
    route = request.form.get("route")
    chosen = form.chosen_input(route)
    if chosen is None:
        empty = "Choose an image, enter a URL, or paste the badge."
        field = form.field_of(route)
        if field is None:
            flash(empty, "error")
        else:
            field.errors = [*field.errors, ROUTE_EMPTY.get(route or "", empty)]
        return render_template("badges/add.html", form=form), 400
    source, data = chosen
    try:
        received = receive_badge(current_user, data, source=source)
    except (ServiceError, OpenBadgesError) as exc:
        db.session.rollback()
        # The refusal shows beside what was given (the URL or the text stays as typed).
        refused = form.field_of(source)
        assert refused is not None
        refused.errors = [*refused.errors, f"{exc.message} (code: {exc.code})"]
        return render_template("badges/add.html", form=form), 422
    db.session.commit()
    badge = received.badge
    if not received.created:
        flash(f"“{badge.name}” is in your backpack already.", "info")
    elif received.pending:
        flash(
            f"“{badge.name}” was sent to {badge.recipient}, which is not verified yet. "
            "It will appear once you verify that address.",
            "info",
        )
    else:
        flash(f"“{badge.name}” is now in your backpack.", "success")
    return redirect(url_for("badges.detail", badge_id=badge.id))


@bp.get("/<int:badge_id>")
@login_required
def detail(badge_id: int) -> str:
    """Show everything about one badge, and the truth about its validity."""
    badge = _own_badge(badge_id)
    found = sharing.get_badge_share(current_user, badge_id)
    links = badge_share_links(badge, found[1]) if found and badge.status == "accepted" else None
    # How it came, in words ("from pasted text"), not the stored code ("by paste").
    added_from = SOURCE_WORDS.get(badge.source, badge.source)
    return render_template(
        "badges/detail.html",
        badge=badge,
        view=view_badge(badge),
        links=links,
        added_from=added_from,
    )


def _serve_image(
    image: Image, *, download_name: str | None = None, data: bytes | None = None
) -> Response:
    body = image.data if data is None else data
    response = Response(body, mimetype=image.mime_type)
    response.headers["Content-Security-Policy"] = IMAGE_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.set_etag(hashlib.sha256(body).hexdigest() if data is not None else image.sha256)
    if download_name:
        response.headers["Content-Disposition"] = f'attachment; filename="{download_name}"'
    return response.make_conditional(request)


@bp.get("/<int:badge_id>/image")
@login_required
def image(badge_id: int) -> Response:
    """The badge's picture (SVG served so that no script in it can run)."""
    badge = _own_badge(badge_id)
    if badge.image is None:
        abort(404)
    return _serve_image(badge.image)


@bp.get("/<int:badge_id>/download")
@login_required
def download(badge_id: int) -> Response:
    """The badge as a baked image, to keep or to upload to another backpack."""
    badge = _own_badge(badge_id)
    try:
        data, mime_type = badges.baked_image(badge)
    except (ServiceError, OpenBadgesError) as exc:
        abort(409, exc.message)
    extension = "svg" if mime_type == "image/svg+xml" else "png"
    safe_name = (
        "".join(c if c.isascii() and c.isalnum() else "-" for c in badge.name)[:60].strip("-")
        or "badge"
    )
    holder = badge.original_image or badge.image
    assert holder is not None
    return _serve_image(holder, download_name=f"{safe_name}.{extension}", data=data)


def _act(badge_id: int, action: str) -> Response:
    if not ActionForm().validate_on_submit():
        abort(400, "The form expired. Reload the page and try again.")
    badge = _own_badge(badge_id)
    name = badge.name
    try:
        if action == "reverify":
            verdict = badges.reverify_badge(badge)
            # Named as the issuer names it now: the check may have fetched a new name.
            message = f"Checked “{badge.name}” again: {verdict}."
        elif action == "accept":
            badges.accept_badge(badge)
            message = f"“{name}” is back in your backpack."
        elif action == "reject":
            badges.reject_badge(badge)
            message = f"“{name}” is rejected; it stays out of your backpack."
        else:
            badges.delete_badge(badge)
            db.session.commit()
            flash(f"“{name}” is deleted.", "success")
            return redirect(url_for("badges.index"))
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("badges.detail", badge_id=badge_id))
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("badges.detail", badge_id=badge_id))


@bp.post("/<int:badge_id>/reverify")
@login_required
def reverify(badge_id: int) -> Response:
    """Verify the badge again now."""
    return _act(badge_id, "reverify")


@bp.post("/<int:badge_id>/accept")
@login_required
def accept(badge_id: int) -> Response:
    """Put a rejected badge back."""
    return _act(badge_id, "accept")


@bp.post("/<int:badge_id>/reject")
@login_required
def reject(badge_id: int) -> Response:
    """Decline a badge."""
    return _act(badge_id, "reject")


@bp.post("/<int:badge_id>/delete")
@login_required
def delete(badge_id: int) -> Response:
    """Delete a badge for good."""
    return _act(badge_id, "delete")
