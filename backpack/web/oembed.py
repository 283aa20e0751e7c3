"""oEmbed (https://oembed.com) for public pages: which page a URL names, and its document."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from werkzeug.exceptions import HTTPException

from backpack.links import external_url
from backpack.web.public_render import WIDGET_SIZES, iframe_html

# The public endpoints an oEmbed URL may name, and what each shows.
PAGE_KINDS = {
    "public.collection_page": "collection",
    "public.collection_json": "collection",
    "public.collection_embed": "collection",
    "public.badge_page": "badge",
    "public.badge_json": "badge",
    "public.badge_embed": "badge",
}


def page_of(url: str) -> tuple[str, str] | None:
    """The kind and token of one of our public page URLs, or None for any other URL."""
    parts = urlsplit(url)
    ours = urlsplit(external_url("main.index"))
    if parts.scheme not in ("http", "https") or parts.netloc != ours.netloc:
        return None
    adapter = current_app.url_map.bind(ours.netloc, script_name=ours.path or "/")
    try:
        endpoint, values = adapter.match(parts.path, method="GET")
    except HTTPException:
        return None
    if endpoint not in PAGE_KINDS:
        return None
    return PAGE_KINDS[endpoint], str(values["token"])


def oembed_document(
    kind: str, token: str, title: str, owner: str | None, max_width: int | None,
    max_height: int | None,
) -> dict[str, Any]:  # fmt: skip
    """A `rich` oEmbed answer: the widget in an iframe, no larger than the consumer allows."""
    default_width, default_height = WIDGET_SIZES[kind]
    width = default_width if max_width is None else max(200, min(default_width, max_width))
    height = default_height if max_height is None else max(200, min(default_height, max_height))
    embed = external_url(f"public.{kind}_embed", token=token)
    document: dict[str, Any] = {
        "version": "1.0",
        "type": "rich",
        "provider_name": "Backpack",
        "provider_url": external_url("main.index"),
        "title": title,
        "width": width,
        "height": height,
        "html": iframe_html(embed, title, width, height),
        "cache_age": 300,
    }
    if owner:
        document["author_name"] = owner
    return document
