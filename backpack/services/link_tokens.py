"""Signed, expiring tokens for links sent by mail (not the personal access tokens of
`access_tokens`, which are stored keys)."""

from __future__ import annotations

from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from backpack.services.app_context import settings
from backpack.services.errors import BadToken

# One salt per purpose, so a token made for one link is never accepted by another.
EMAIL_VERIFICATION = "email-verification"
PASSWORD_RESET = "password-reset"  # noqa: S105 (a salt name, not a password)
# The "send the link again" button a log-in with an unverified address (and its password) shows.
LOGIN_RESEND = "login-resend"


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings().secret_key, salt=purpose)


def make_token(purpose: str, payload: dict[str, Any]) -> str:
    """Sign a payload for one purpose."""
    return _serializer(purpose).dumps(payload)


def read_token(purpose: str, token: str, *, max_age: int) -> dict[str, Any]:
    """Check a token's signature and age and return its payload."""
    try:
        payload = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise BadToken("This link has expired. Ask for a new one.") from exc
    except BadSignature as exc:
        raise BadToken("This link is not valid. Check that you copied all of it.") from exc
    if not isinstance(payload, dict):
        raise BadToken("This link is not valid. Check that you copied all of it.")
    return payload
