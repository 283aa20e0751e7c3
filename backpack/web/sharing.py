"""The owner's side of sharing: publish, unpublish and re-link collections and single badges."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from backpack.extensions import db
from backpack.links import external_url
from backpack.models import Badge, BadgeShare
from backpack.services import sharing
from backpack.services.collections import shareable_badges
from backpack.services.errors import ServiceError
from backpack.web.collection_forms import OwnerNameForm, ShareBadgeForm
from backpack.web.collections import FORM_EXPIRED, labels, own_collection
from backpack.web.forms import ActionForm
from backpack.web.page_cache import forget_pages
from backpack.web.public_render import embed_code
from backpack.web.share_links import badge_share_links, qr_svg

# Ids in URLs are bounded by the database's integer type; a larger one is simply not found.
bp = Blueprint("sharing", __name__)


bp.context_processor(labels)


def _check_form() -> None:
    if not ActionForm().validate_on_submit():
        abort(400, FORM_EXPIRED)


def _collection_action(collection_id: int, action: str) -> Response:
    _check_form()
    collection = own_collection(collection_id)
    forget_pages(collection.share_token)
    try:
        if action == "publish":
            sharing.publish_collection(collection)
            message = "The collection is published. Anyone with the link can see it."
        elif action == "unpublish":
            sharing.unpublish_collection(collection)
            message = "The collection is private again. Its old link no longer works."
        else:
            sharing.relink_collection(collection)
            message = "The collection has a new link. The old link no longer works."
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("collections.edit", collection_id=collection_id) + "#sharing")
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("collections.edit", collection_id=collection_id) + "#sharing")


@bp.post("/collections/<int:collection_id>/publish")
@login_required
def publish_collection(collection_id: int) -> Response:
    """Give a collection a public link."""
    return _collection_action(collection_id, "publish")


@bp.post("/collections/<int:collection_id>/unpublish")
@login_required
def unpublish_collection(collection_id: int) -> Response:
    """Make a collection private; its link dies."""
    return _collection_action(collection_id, "unpublish")


@bp.post("/collections/<int:collection_id>/relink")
@login_required
def relink_collection(collection_id: int) -> Response:
    """Give a collection a new link; the old one dies."""
    return _collection_action(collection_id, "relink")


def _own_badge(badge_id: int) -> tuple[Badge, BadgeShare | None]:
    found = sharing.get_badge_share(current_user, badge_id)
    if found is None:
        abort(404, "There is no such badge in your backpack.")
    return found


@bp.post("/shared-badges")
@login_required
def share_chosen_badge() -> Response:
    """Share the badge picked on the collections page."""
    form = ShareBadgeForm()
    form.badge_id.choices = [
        SelectChoice(badge.id, badge.name) for badge in shareable_badges(current_user)
    ]
    if not form.validate_on_submit():
        abort(400, "Choose one of your accepted badges to share.")
    return _badge_action(int(form.badge_id.data), "publish")


@bp.get("/shared-badges/<int:badge_id>")
@login_required
def badge_sharing(badge_id: int) -> str:
    """The sharing settings of one badge."""
    badge, share = _own_badge(badge_id)
    form = OwnerNameForm(show_owner_name=share.show_owner_name if share else False)
    code = embed_code("badge", share.share_token, badge.name) if share else ""
    links = badge_share_links(badge, share)
    return render_template(
        "collections/badge_sharing.html",
        badge=badge,
        share=share,
        form=form,
        embed_code=code,
        links=links,
    )


def _qr_response(page_url: str, name: str) -> Response:
    response = Response(qr_svg(page_url), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, no-cache"
    if request.args.get("download"):
        response.headers["Content-Disposition"] = f'attachment; filename="{name}-qr.svg"'
    return response


@bp.get("/shared-badges/<int:badge_id>/qr.svg")
@login_required
def badge_qr(badge_id: int) -> Response:
    """A QR code of a shared badge's public link, to print or show on a screen."""
    _, share = _own_badge(badge_id)
    if share is None:
        abort(404, "This badge is not shared, so it has no link to draw.")
    page = external_url("public.badge_page", token=share.share_token)
    return _qr_response(page, "badge")


@bp.get("/collections/<int:collection_id>/qr.svg")
@login_required
def collection_qr(collection_id: int) -> Response:
    """A QR code of a published collection's public link."""
    collection = own_collection(collection_id)
    if not collection.is_published:
        abort(404, "This collection is not published, so it has no link to draw.")
    page = external_url("public.collection_page", token=collection.share_token)
    return _qr_response(page, "collection")


def _badge_action(badge_id: int, action: str) -> Response:
    badge, share = _own_badge(badge_id)
    forget_pages(share.share_token if share else None)
    back = redirect(url_for("sharing.badge_sharing", badge_id=badge_id))
    try:
        if action == "publish":
            sharing.share_badge(badge, share)
            message = f"“{badge.name}” has a public page. Anyone with the link can see it."
        elif share is None:
            abort(409, "This badge is not shared; there is no link to change.")
        elif action == "unpublish":
            sharing.unshare_badge(badge, share)
            message = f"“{badge.name}” is private again. Its old link no longer works."
        else:
            sharing.relink_badge(badge, share)
            message = f"“{badge.name}” has a new link. The old link no longer works."
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return back
    db.session.commit()
    flash(message, "success")
    return back


@bp.post("/shared-badges/<int:badge_id>/publish")
@login_required
def publish_badge(badge_id: int) -> Response:
    """Give a single badge a public page."""
    _check_form()
    return _badge_action(badge_id, "publish")


@bp.post("/shared-badges/<int:badge_id>/unpublish")
@login_required
def unpublish_badge(badge_id: int) -> Response:
    """Make a single badge private; its link dies."""
    _check_form()
    return _badge_action(badge_id, "unpublish")


@bp.post("/shared-badges/<int:badge_id>/relink")
@login_required
def relink_badge(badge_id: int) -> Response:
    """Give a single badge a new link; the old one dies."""
    _check_form()
    return _badge_action(badge_id, "relink")


@bp.post("/shared-badges/<int:badge_id>/owner-name")
@login_required
def badge_owner_name(badge_id: int) -> Response:
    """Choose whether a shared badge's page shows the owner's name."""
    form = OwnerNameForm()
    if not form.validate_on_submit():
        abort(400, FORM_EXPIRED)
    _, share = _own_badge(badge_id)
    if share is None:
        abort(409, "Share the badge first.")
    sharing.set_badge_owner_name(share, bool(form.show_owner_name.data))
    db.session.commit()
    forget_pages(share.share_token)
    flash("Saved.", "success")
    return redirect(url_for("sharing.badge_sharing", badge_id=badge_id))
