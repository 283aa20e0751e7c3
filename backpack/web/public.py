"""Public pages of published collections and badges: HTML, JSON-LD, widget, oEmbed, images.

They need no account and set no cookie. Every page is the same for every visitor, so it is
cached by version (see page_cache) and carries a strong ETag; `Cache-Control: no-cache`
makes browsers and proxies revalidate, so a withdrawn link dies for them too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn

from flask import Blueprint, abort, current_app, jsonify, redirect, request, url_for
from flask.blueprints import BlueprintSetupState
from werkzeug.routing import BaseConverter
from werkzeug.wrappers import Response

from backpack.extensions import csrf, limiter
from backpack.services import public_pages, sharing
from backpack.web import public_render, visitor_checks
from backpack.web.badges import IMAGE_POLICY
from backpack.web.oembed import oembed_document, page_of
from backpack.web.page_cache import CachedPage, PageKey, page_cache
from backpack.web.page_replay import mark_replayable

# Ids in URLs are bounded by the database's integer type; a larger one is simply not found.
bp = Blueprint("public", __name__, url_prefix="/public")

# The widget is made to be framed by any site; it loads nothing but our stylesheet and images.
EMBED_POLICY = (
    "default-src 'none'; img-src 'self' data:; style-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors *"
)
GONE = "Its owner withdrew this page. Ask them for a new link."
MISSING = "There is no public page at this address."


# Reading a public page has no rate limit (only "verify now" has), so the limiter's
# per-request bookkeeping is skipped for these endpoints; it is a third of their cost.
UNLIMITED_ENDPOINTS = frozenset(
    f"public.{name}"
    for name in (
        "collection_page", "collection_json", "collection_embed", "collection_image",
        "badge_page", "badge_json", "badge_embed", "badge_image",
    )
)  # fmt: skip


@limiter.request_filter
def _reading_a_public_page() -> bool:
    return request.endpoint in UNLIMITED_ENDPOINTS


class ShareTokenConverter(BaseConverter):
    """A share token's alphabet (URL-safe base64) and length; anything else is a plain 404."""

    regex = r"[A-Za-z0-9_-]{16,64}"


@bp.record_once
def _register_converter(state: BlueprintSetupState) -> None:
    state.app.url_map.converters["share_token"] = ShareTokenConverter


def _not_published(token: str, *, as_json: bool = False) -> NoReturn:
    status, message = (410, GONE) if sharing.is_retired(token) else (404, MISSING)
    if as_json:
        abort(_json_response({"error": "gone" if status == 410 else "not_found",
                              "message": message}, status))  # fmt: skip
    abort(status, message)


def _json_response(document: object, status: int = 200) -> Response:
    response = jsonify(document)
    response.status_code = status
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _wants_json_ld() -> bool:
    best = request.accept_mimetypes.best_match(
        ["text/html", "application/ld+json", "application/json"]
    )
    return best in ("application/ld+json", "application/json")


def _serve(kind: str, token: str, fmt: str, *, negotiated: bool = False) -> Response:
    """A public page from the cache when its version is unchanged, else freshly rendered."""
    cache = page_cache()
    # Without BASE_URL, absolute links come from the request, so the host joins the key;
    # with it, the host is left out, so made-up Host headers cannot churn the cache.
    host = "" if current_app.config["BASE_URL"] else request.host
    key = (kind, token, fmt, host)
    cached = cache.fresh(key, float(current_app.config["PUBLIC_PAGE_FRESHNESS"]))
    if cached is None:
        try:
            version = (
                public_pages.collection_version(token)
                if kind == "collection"
                else public_pages.badge_version(token)
            )
            if version is None:
                cache.forget(token)
                _not_published(token, as_json=fmt == "json")
            renderer = _renderer(kind, token, fmt, version)
            cached = cache.get_or_render(key, version.digest, renderer)
        finally:
            cache.checked(key)
    return _cached_response(key, cached, fmt, negotiated)


def _cached_response(key: PageKey, cached: CachedPage, fmt: str, negotiated: bool) -> Response:
    # Browsers ask for gzip; a compressed copy is made once per version, not per request.
    # (Public pages hold no secret, so compression reveals nothing, unlike BREACH targets.)
    gzipped = "gzip" in request.headers.get("Accept-Encoding", "")
    etag = f'"{cached.etag}-gz"' if gzipped else f'"{cached.etag}"'
    headers = [
        ("Content-Type", cached.mimetype),
        ("ETag", etag),
        ("Cache-Control", "public, no-cache"),
        # Share links are capabilities: keep them out of search engines.
        ("X-Robots-Tag", "noindex"),
        ("Vary", "Accept, Accept-Encoding" if negotiated else "Accept-Encoding"),
    ]
    if fmt == "json":
        headers.append(("Access-Control-Allow-Origin", "*"))
    if fmt == "embed":
        headers.append(("Content-Security-Policy", EMBED_POLICY))
    if "If-None-Match" in request.headers and request.if_none_match.contains_raw(etag):
        return Response(status=304, headers=headers[1:])
    if gzipped:
        headers.append(("Content-Encoding", "gzip"))
    mark_replayable(key, cached)
    return Response(cached.gzipped if gzipped else cached.body, headers=headers)


def _renderer(
    kind: str, token: str, fmt: str, version: public_pages.PageVersion
) -> Callable[[], tuple[bytes, str]]:
    def render() -> tuple[bytes, str]:
        if kind == "collection":
            page = public_pages.load_collection(version.object_id)
            if fmt == "json":
                return public_render.collection_json(token, page), public_render.JSON_LD
            html = public_render.collection_html(token, page, embed=fmt == "embed")
            return html, public_render.HTML
        shared = public_pages.load_badge(version.object_id)
        if shared is None:
            _not_published(token, as_json=fmt == "json")
        if fmt == "json":
            return public_render.badge_json(shared), public_render.JSON_LD
        return public_render.badge_html(token, shared, embed=fmt == "embed"), public_render.HTML

    return render


@bp.get("/collections/<share_token:token>")
def collection_page(token: str) -> Response:
    """A published collection: HTML, or JSON-LD when the client asks for it."""
    fmt = "json" if _wants_json_ld() else "html"
    return _serve("collection", token, fmt, negotiated=True)


@bp.get("/collections/<share_token:token>.json")
def collection_json(token: str) -> Response:
    """A published collection as JSON-LD, with its Open Badges 2.0 assertions."""
    return _serve("collection", token, "json")


@bp.get("/collections/<share_token:token>/embed")
def collection_embed(token: str) -> Response:
    """The widget of a published collection, made to sit in another site's iframe."""
    return _serve("collection", token, "embed")


@bp.get("/badges/<share_token:token>")
def badge_page(token: str) -> Response:
    """A badge shared on its own: HTML, or JSON-LD when the client asks for it."""
    fmt = "json" if _wants_json_ld() else "html"
    return _serve("badge", token, fmt, negotiated=True)


@bp.get("/badges/<share_token:token>.json")
def badge_json(token: str) -> Response:
    """A shared badge's Open Badges 2.0 assertion."""
    return _serve("badge", token, "json")


@bp.get("/badges/<share_token:token>/embed")
def badge_embed(token: str) -> Response:
    """The widget of a shared badge, for another site's iframe."""
    return _serve("badge", token, "embed")


def picture_response(data: bytes, mime_type: str, sha256: str) -> Response:
    """A picture for visitors: sandboxed (an SVG runs no script), revalidated on each use so
    that a withdrawn one is gone for them too."""
    response = Response(data, mimetype=mime_type)
    response.headers["Content-Security-Policy"] = IMAGE_POLICY
    response.headers["Cache-Control"] = "public, no-cache"
    response.set_etag(sha256)
    return response.make_conditional(request)


def _serve_picture(badge_id: int, token: str, *, in_collection: bool) -> Response:
    image = public_pages.badge_picture(badge_id, token, in_collection=in_collection)
    if image is None:
        _not_published(token)
    return picture_response(image.data, image.mime_type, image.sha256)


@bp.get("/collections/<share_token:token>/badges/<int:badge_id>/image")
def collection_image(token: str, badge_id: int) -> Response:
    """The picture of a badge on a published collection's page."""
    return _serve_picture(badge_id, token, in_collection=True)


@bp.get("/badges/<share_token:token>/image")
def badge_image(token: str) -> Response:
    """The picture of a badge shared on its own."""
    badge = public_pages.shared_badge(token)
    if badge is None:
        _not_published(token)
    return _serve_picture(badge.id, token, in_collection=False)


def _verify_limit() -> str:
    return str(current_app.config["RATELIMIT_PUBLIC_VERIFY"])


def _verify_limit_all() -> str:
    return str(current_app.config["RATELIMIT_PUBLIC_VERIFY_ALL"])


def _every_visitor() -> str:
    return "public-verify"


# Visitors have no session to protect: the button changes nothing of theirs, and anyone may
# press it, so a forged request gains nothing; the rate limits bound what it can cost.
@bp.post("/collections/<share_token:token>/badges/<int:badge_id>/verify")
@csrf.exempt
@limiter.limit(_verify_limit)
@limiter.limit(_verify_limit_all, key_func=_every_visitor)
def verify_collection_badge(token: str, badge_id: int) -> Response | str:
    """Check a badge of a published collection with its issuer now, then show it again."""
    badge = public_pages.collection_badge(token, badge_id)
    if badge is None:
        _not_published(token)
    next_check = visitor_checks.check_for_visitor(badge, token)
    if next_check is not None:
        return visitor_checks.check_later_page(badge, "collection", token, next_check)
    target = url_for("public.collection_page", token=token) + f"#badge-{badge_id}"
    return redirect(target, 303)


@bp.post("/badges/<share_token:token>/verify")
@csrf.exempt
@limiter.limit(_verify_limit)
@limiter.limit(_verify_limit_all, key_func=_every_visitor)
def verify_badge(token: str) -> Response | str:
    """Check a shared badge with its issuer now, then show it again."""
    badge = public_pages.shared_badge(token)
    if badge is None:
        _not_published(token)
    next_check = visitor_checks.check_for_visitor(badge, token)
    if next_check is not None:
        return visitor_checks.check_later_page(badge, "badge", token, next_check)
    return redirect(url_for("public.badge_page", token=token), 303)


@bp.get("/oembed")
def oembed() -> Response:
    """oEmbed for public pages: a rich iframe of the widget."""
    url = request.args.get("url", "").strip()
    if request.args.get("format", "json") != "json":
        abort(_json_response({"error": "format", "message": "Only JSON is offered."}, 501))
    if not url:
        abort(_json_response({"error": "url", "message": "Give the page as ?url=."}, 400))
    found = page_of(url)
    if found is None:
        abort(_json_response({"error": "not_found", "message": MISSING}, 404))
    kind, token = found
    version = (
        public_pages.collection_version(token)
        if kind == "collection"
        else public_pages.badge_version(token)
    )
    if version is None:
        _not_published(token, as_json=True)
    if kind == "collection":
        page = public_pages.load_collection(version.object_id)
        title, owner = page.collection.name, page.owner_name
    else:
        shared = public_pages.load_badge(version.object_id)
        if shared is None:
            _not_published(token, as_json=True)
        title, owner = shared.badge.name, shared.owner_name
    width = request.args.get("maxwidth", type=int)
    height = request.args.get("maxheight", type=int)
    return _json_response(oembed_document(kind, token, title, owner, width, height))
