"""Security headers on every response: pages, APIs and the OAuth endpoints alike."""

from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask.wrappers import Response
from flask_login import current_user


def content_security_policy(*, form_action: str = "", img_src: str = "") -> str:
    """The site's policy; `form_action` and `img_src` add sources to those directives (a page
    whose form leads to another site, a logo shown from one)."""
    return "; ".join(
        [
            "default-src 'self'",
            f"img-src 'self' data: {img_src}".rstrip(),
            "style-src 'self'",
            "script-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            f"form-action 'self' {form_action}".rstrip(),
            "frame-ancestors 'none'",
        ]
    )


# Pages load nothing from other hosts; badge images from issuers are copied, not hot-linked.
CONTENT_SECURITY_POLICY = content_security_policy()


class SharedCacheSessionInterface(SecureCookieSessionInterface):
    """The signed-cookie session, minus `Vary: Cookie` on pages made for every visitor.

    Flask adds `Vary: Cookie` whenever a request touched the session, and Flask-Login
    touches it on every response (its remember-cookie check), so every page would vary by
    cookie and no shared cache could serve a public share page to a second visitor. A
    response marked `Cache-Control: public` that sets no cookie is the same for everyone
    (public pages are rendered once per version, whoever asks), so it may drop it.
    """

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        super().save_session(app, session, response)
        if response.cache_control.public and "Set-Cookie" not in response.headers:
            kept = [value for value in response.vary if value.lower() != "cookie"]
            if kept:
                response.headers["Vary"] = ", ".join(kept)
            else:
                response.headers.pop("Vary", None)


def init_security_headers(app: Flask) -> None:
    """Add the security headers to every response that does not set its own."""
    app.session_interface = SharedCacheSessionInterface()

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
        # Pages for a logged-in user (tokens shown once, private badges) stay out of shared
        # and browser caches. Responses that chose their own policy (public pages, the same
        # for every visitor) keep it, and are not made to read the session for it: reading
        # it adds `Vary: Cookie`, which keeps shared caches from serving them at all.
        if "Cache-Control" not in headers and current_user.is_authenticated:
            headers["Cache-Control"] = "no-store"
        if app.config["SESSION_COOKIE_SECURE"]:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
