"""The earner's collections: list, create, edit, fill, order, tell stories, delete."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from backpack.extensions import db
from backpack.links import external_url
from backpack.models import Collection
from backpack.models.collections import NAME_MAX, STORY_MAX
from backpack.services import collections, sharing
from backpack.services.errors import ServiceError
from backpack.web.badge_presenter import STATUS_LABELS, VERDICT_LABELS
from backpack.web.collection_forms import (
    AddBadgesForm,
    CollectionDetailsForm,
    MoveForm,
    NewCollectionForm,
    OrderForm,
    ShareBadgeForm,
    StoryForm,
)
from backpack.web.forms import ActionForm
from backpack.web.page_cache import forget_pages
from backpack.web.public_render import embed_code
from backpack.web.share_links import share_links

# Ids in URLs are bounded by the database's integer type; a larger one is simply not found.
bp = Blueprint("collections", __name__, url_prefix="/collections")

Page = Response | tuple[str, int]
FORM_EXPIRED = "The form expired. Reload the page and try again."


@bp.context_processor
def labels() -> dict[str, object]:
    """The words for badge statuses and verdicts, as the badge pages use them."""
    return {"verdict_labels": VERDICT_LABELS, "status_labels": STATUS_LABELS}


def own_collection(collection_id: int) -> Collection:
    """The current user's collection, or 404 (another user's is never found)."""
    collection = collections.get_collection(current_user, collection_id)
    if collection is None:
        abort(404, "There is no such collection in your backpack.")
    return collection


def _index_page(status: int = 200, **forms: Any) -> tuple[str, int]:
    share_form = forms.pop("share_form", None) or ShareBadgeForm()
    shared = sharing.list_badge_shares(current_user)
    shared_ids = {share.badge_id for share in shared}
    share_form.badge_id.choices = [
        SelectChoice(badge.id, f"{badge.name} ({badge.issuer_name})")
        for badge in collections.shareable_badges(current_user)
        if badge.id not in shared_ids
    ]
    return render_template(
        "collections/index.html",
        summaries=collections.list_collections(current_user),
        new_form=forms.get("new_form") or NewCollectionForm(),
        share_form=share_form,
        shared=shared,
    ), status


def edit_page(collection: Collection, status: int = 200, **forms: Any) -> tuple[str, int]:
    """The page where the owner edits, fills, orders and shares a collection."""
    add_form = forms.get("add_form") or AddBadgesForm()
    addable = collections.addable_badges(collection)
    add_form.badge_ids.choices = [SelectChoice(badge.id, badge.name) for badge in addable]
    details_form = forms.get("details_form") or CollectionDetailsForm(
        name=collection.name,
        description=collection.description,
        show_owner_name=collection.show_owner_name,
    )
    return render_template(
        "collections/edit.html",
        collection=collection,
        details_form=details_form,
        add_form=add_form,
        addable={badge.id: badge for badge in addable},
        order_form=OrderForm(),
        embed_code=embed_code("collection", collection.share_token, collection.name)
        if collection.share_token
        else "",
        links=share_links(
            external_url("public.collection_page", token=collection.share_token),
            collection.name,
        )
        if collection.is_published
        else None,
        story_max=STORY_MAX,
        name_max=NAME_MAX,
        refused_story=forms.get("refused_story"),
    ), status


@dataclass(frozen=True)
class RefusedStory:
    """A story that was not saved: shown again as typed, with why, at its badge."""

    badge_id: int
    text: str
    errors: list[str]


def _back(collection: Collection, anchor: str = "") -> Response:
    return redirect(url_for("collections.edit", collection_id=collection.id) + anchor)


def _refused(collection: Collection, exc: ServiceError) -> tuple[str, int]:
    db.session.rollback()
    flash(exc.message, "error")
    return edit_page(own_collection(collection.id), exc.status)


@bp.get("/")
@login_required
def index() -> tuple[str, int]:
    """List the earner's collections and single shared badges."""
    return _index_page()


@bp.post("/")
@login_required
def create() -> Page:
    """Create a private collection."""
    form = NewCollectionForm()
    if not form.validate_on_submit():
        return _index_page(400, new_form=form)
    try:
        collection = collections.create_collection(
            current_user, form.name.data or "", form.description.data or ""
        )
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _index_page(exc.status, new_form=form)
    db.session.commit()
    flash(f"“{collection.name}” is created. It is private until you publish it.", "success")
    return _back(collection)


@bp.get("/<int(max=2147483647):collection_id>")
@login_required
def edit(collection_id: int) -> tuple[str, int]:
    """Show a collection with everything its owner can do to it."""
    return edit_page(own_collection(collection_id))


@bp.post("/<int(max=2147483647):collection_id>/details")
@login_required
def update(collection_id: int) -> Page:
    """Rename and describe a collection, and choose whether it shows the owner's name."""
    collection = own_collection(collection_id)
    form = CollectionDetailsForm()
    if not form.validate_on_submit():
        return edit_page(collection, 400, details_form=form)
    try:
        collections.update_collection(
            collection,
            name=form.name.data or "",
            description=form.description.data or "",
            show_owner_name=bool(form.show_owner_name.data),
        )
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return edit_page(own_collection(collection_id), exc.status, details_form=form)
    db.session.commit()
    forget_pages(collection.share_token)
    flash("Saved.", "success")
    return _back(collection)


@bp.post("/<int(max=2147483647):collection_id>/delete")
@login_required
def delete(collection_id: int) -> Response:
    """Delete a collection; its badges stay in the backpack."""
    if not ActionForm().validate_on_submit():
        abort(400, FORM_EXPIRED)
    collection = own_collection(collection_id)
    name, token = collection.name, collection.share_token
    collections.delete_collection(collection)
    db.session.commit()
    forget_pages(token)
    flash(f"“{name}” is deleted. Its badges are still in your backpack.", "success")
    return redirect(url_for("collections.index"))


def _direction(form: MoveForm) -> int:
    if not form.validate_on_submit():
        message = next(iter(form.errors.values()), [FORM_EXPIRED])[0]
        abort(400, f"That move is not possible: {message}")
    return -1 if form.direction.data == "up" else 1


@bp.post("/<int(max=2147483647):collection_id>/move")
@login_required
def move(collection_id: int) -> Response:
    """Move a collection up or down the list."""
    collection = own_collection(collection_id)
    collections.move_collection(current_user, collection, _direction(MoveForm()))
    db.session.commit()
    return redirect(url_for("collections.index") + f"#collection-{collection.id}")


@bp.post("/<int(max=2147483647):collection_id>/badges")
@login_required
def add_badges(collection_id: int) -> Page:
    """Add some of the earner's badges to a collection."""
    collection = own_collection(collection_id)
    form = AddBadgesForm()
    form.badge_ids.choices = [
        SelectChoice(b.id, b.name) for b in collections.addable_badges(collection)
    ]
    if not form.validate_on_submit():
        return edit_page(collection, 400, add_form=form)
    try:
        added = collections.add_badges(collection, form.badge_ids.data or [])
    except ServiceError as exc:
        return _refused(collection, exc)
    db.session.commit()
    forget_pages(collection.share_token)
    flash(f"Added {added} badge{'' if added == 1 else 's'}.", "success")
    return _back(collection, "#items")


@bp.post("/<int(max=2147483647):collection_id>/badges/<int(max=2147483647):badge_id>/remove")
@login_required
def remove_badge(collection_id: int, badge_id: int) -> Response:
    """Take a badge out of a collection."""
    if not ActionForm().validate_on_submit():
        abort(400, FORM_EXPIRED)
    collection = own_collection(collection_id)
    if not collections.remove_badge(collection, badge_id):
        abort(404, "That badge is not in this collection.")
    db.session.commit()
    forget_pages(collection.share_token)
    flash("The badge is out of the collection; it is still in your backpack.", "success")
    return _back(collection, "#items")


@bp.post("/<int(max=2147483647):collection_id>/badges/<int(max=2147483647):badge_id>/move")
@login_required
def move_badge(collection_id: int, badge_id: int) -> Response:
    """Move a badge one place up or down (the no-JavaScript way to order)."""
    collection = own_collection(collection_id)
    offset = _direction(MoveForm())
    if not any(item.badge_id == badge_id for item in collection.items):
        abort(404, "That badge is not in this collection.")
    collections.move_badge(collection, badge_id, offset)
    db.session.commit()
    forget_pages(collection.share_token)
    return _back(collection, f"#item-{badge_id}")


@bp.post("/<int(max=2147483647):collection_id>/order")
@login_required
def reorder(collection_id: int) -> Response | tuple[Response, int]:
    """Put the badges in a whole new order (what collections.js sends after a drag)."""
    collection = own_collection(collection_id)
    wants_json = request.accept_mimetypes.best == "application/json"
    form = OrderForm()
    try:
        if not form.validate_on_submit():
            message = next(iter(form.errors.values()), [FORM_EXPIRED])[0]
            raise collections.BadOrder(message)
        order = [int(part) for part in (form.order.data or "").split(",")]
        collections.reorder(collection, order)
    except ServiceError as exc:
        db.session.rollback()
        if wants_json:
            return jsonify(error=exc.code, message=exc.message), exc.status
        abort(exc.status, exc.message)
    db.session.commit()
    forget_pages(collection.share_token)
    if wants_json:
        return jsonify(order=[item.badge_id for item in collection.items])
    flash("The new order is saved.", "success")
    return _back(collection, "#items")


@bp.post("/<int(max=2147483647):collection_id>/badges/<int(max=2147483647):badge_id>/story")
@login_required
def story(collection_id: int, badge_id: int) -> Page:
    """Write the story of one badge in a collection."""
    collection = own_collection(collection_id)
    form = StoryForm()
    if not form.validate_on_submit():
        if not form.story.errors:  # the CSRF token: nothing to show at the story
            flash(FORM_EXPIRED, "error")
        refused = RefusedStory(badge_id, form.story.data or "", list(form.story.errors))
        return edit_page(collection, 400, refused_story=refused)
    try:
        found = collections.set_story(collection, badge_id, form.story.data or "")
    except ServiceError as exc:
        db.session.rollback()
        refused = RefusedStory(badge_id, form.story.data or "", [exc.message])
        return edit_page(own_collection(collection_id), exc.status, refused_story=refused)
    if not found:
        abort(404, "That badge is not in this collection.")
    db.session.commit()
    forget_pages(collection.share_token)
    flash("The story is saved.", "success")
    return _back(collection, f"#item-{badge_id}")
