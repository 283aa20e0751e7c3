"""Open Badges 3.0 credentials as files, exactly as issued: the JSON or VC-JWT text, or
baked into the badge's picture (PNG or SVG).

Its earner always has the original. Visitors have it only while the page is published, and
only when it names no recipient in plain text (services.public_credentials decides);
anything else is a plain 404.
"""

from __future__ import annotations

from flask import Blueprint, abort, request
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from backpack.models import Badge
from backpack.services import badges, public_credentials, public_pages
from backpack.services.errors import ServiceError
from backpack.services.public_credentials import Download
from backpack.web.badges import IMAGE_POLICY

bp = Blueprint("credential_files", __name__)

FORMATS = "<any(json, jws, png, svg):fmt>"


def _send(badge: Badge | None, fmt: str) -> Response:
    if badge is None:
        abort(404, "There is no public page at this address.")
    try:
        file = public_credentials.public_download(badge, fmt)
    except ServiceError as exc:
        abort(404, exc.message)
    response = _file_response(file)
    response.headers["Cache-Control"] = "public, no-cache"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response.make_conditional(request)


def _file_response(file: Download) -> Response:
    response = Response(file.data, mimetype=file.mime_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{file.filename}"'
    # A baked SVG is still an SVG: it runs no script even if opened from here.
    response.headers["Content-Security-Policy"] = IMAGE_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.set_etag(file.sha256)
    return response


@bp.get(f"/public/badges/<share_token:token>/credential.{FORMATS}")
def badge_credential(token: str, fmt: str) -> Response:
    """A shared badge's 3.0 credential as issued, plain or baked into its picture."""
    return _send(public_pages.shared_badge(token), fmt)


@bp.get(f"/public/collections/<share_token:token>/badges/<int:badge_id>/credential.{FORMATS}")
def collection_credential(token: str, badge_id: int, fmt: str) -> Response:
    """The 3.0 credential of a badge on a published collection, as issued."""
    return _send(public_pages.collection_badge(token, badge_id), fmt)


@bp.get("/badges/<int:badge_id>/credential")
@login_required
def own_credential(badge_id: int) -> Response:
    """The earner's own 3.0 credential, exactly as it was received (JSON or VC-JWT)."""
    badge = badges.get_badge(current_user, badge_id)
    if badge is None:
        abort(404)
    try:
        file = public_credentials.earner_download(badge)
    except ServiceError as exc:
        abort(404, exc.message)
    response = _file_response(file)
    response.headers["Cache-Control"] = "private, no-cache"
    return response.make_conditional(request)
