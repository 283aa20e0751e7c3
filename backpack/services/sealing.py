"""Secrets this server must send back later (tokens it holds at other backpacks), sealed.

Its own tokens are kept as digests (`models/oauth.py`); these cannot be, since they are
presented again. They are encrypted with a key derived from SECRET_KEY (Fernet: AES with
an HMAC), so a copy of the database alone reads none of them.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from backpack.services.app_context import settings

PURPOSE = b"backpack remote backpack secrets v1"


def _fernet() -> Fernet:
    secret = settings().secret_key.encode()
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=PURPOSE).derive(secret)
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret: str) -> str:
    """The secret encrypted for storage."""
    return _fernet().encrypt(secret.encode()).decode()


def unseal(sealed: str) -> str | None:
    """The secret back, or None when it was sealed under another SECRET_KEY."""
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except InvalidToken:
        return None
