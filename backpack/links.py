"""Absolute links to the app's own pages, for mail and for documents other servers read."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for

FALLBACK_BASE_URL = "http://127.0.0.1:5000"


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute URL for an endpoint, from BASE_URL when set, else from the request."""
    base = current_app.config.get("BASE_URL")
    if not base and has_request_context():
        return url_for(endpoint, _external=True, **values)
    parts = urlsplit(base or FALLBACK_BASE_URL)
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme
    )
    return adapter.build(endpoint, values, force_external=True)
