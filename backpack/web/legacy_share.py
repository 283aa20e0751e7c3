"""Mozilla Backpack's old share links and image URLs, answered for what is public here."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, url_for
from werkzeug.wrappers import Response

from backpack.services import legacy_links, public_pages
from backpack.web.public import picture_response

bp = Blueprint("legacy_share", __name__)
# Mozilla named a badge's image by its body hash and the type of the image it stored.
IMAGE_TYPES = ("png", "svg")


@bp.get("/share/<path:old_path>")
def collection(old_path: str) -> Response:
    """An imported Mozilla collection's old page: on to its public page, if it is public."""
    if old_path.startswith("badge/"):
        token = legacy_links.badge_token(old_path.removeprefix("badge/"))
        endpoint = "public.badge_page"
    else:
        token = legacy_links.collection_token(old_path)
        endpoint = "public.collection_page"
    if token is None:
        abort(404)
    return redirect(url_for(endpoint, token=token), code=301)


@bp.get("/images/badge/<file_name>")
def badge_image(file_name: str) -> Response:
    """An imported badge's old image URL: its picture while the badge is published.

    Answered here rather than redirected to a public page's image: that URL holds the
    share token of a collection, which the image URL must not hand to whoever has it."""
    body_hash, dot, image_type = file_name.rpartition(".")
    if not dot or image_type not in IMAGE_TYPES:
        abort(404)
    badge_id = legacy_links.find_target(legacy_links.BADGE_IMAGE, body_hash)
    picture = public_pages.published_picture(badge_id) if badge_id is not None else None
    if picture is None:
        abort(404)
    return picture_response(picture.data, picture.mime_type, picture.sha256)
