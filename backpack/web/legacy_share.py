"""Mozilla Backpack's old share links, redirected to the public pages that replace them."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, url_for
from werkzeug.wrappers import Response

from backpack.services import legacy_links

bp = Blueprint("legacy_share", __name__)


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
