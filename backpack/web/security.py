"""Security headers on every response."""

from __future__ import annotations

from flask import Flask
from flask_login import current_user
from werkzeug.wrappers import Response

# Pages load nothing from other hosts; badge images from issuers are copied, not hot-linked.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def init_security_headers(app: Flask) -> None:
    """Add the security headers to every response that does not set its own."""

    @app.after_request
    def add_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if "frame-ancestors 'none'" in headers["Content-Security-Policy"]:
            # The older header says the same for older browsers; a page that allows framing
            # in its own policy (the embeddable widget) must not be contradicted by it.
            headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if current_user.is_authenticated:
            # Pages for a logged-in user (tokens shown once, private badges) stay out of
            # shared and browser caches; responses that chose their own policy keep it.
            headers.setdefault("Cache-Control", "no-store")
        if app.config["SESSION_COOKIE_SECURE"]:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
