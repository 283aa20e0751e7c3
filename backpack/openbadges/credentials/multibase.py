"""Multibase and multicodec: how Data Integrity writes keys and signatures as text.

A multibase string names its own encoding in its first character; Open Badges 3.0 uses
`z` (base58btc) for keys and proof values and `u` (base64url without padding) for status
lists. A Multikey public key is multibase over a multicodec prefix and the raw key:
Ed25519 is `0xed 0x01` and 32 bytes, which is why every such key starts with `z6Mk`.
"""

from __future__ import annotations

import base64
import binascii
from typing import Final

import base58
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from backpack.openbadges.errors import SignatureError

ED25519_PUBLIC_PREFIX: Final = b"\xed\x01"
ED25519_KEY_BYTES: Final = 32
# A key or signature is a few dozen bytes; a status list a few kilobytes gzipped. Longer
# text is refused before decoding (base58 decoding is quadratic in the length).
MAX_MULTIBASE_CHARS: Final = 1024 * 1024
MAX_BASE58_CHARS: Final = 4096


def decode_multibase(value: str) -> bytes:
    """Decode a multibase string: `z` base58btc or `u` base64url (no padding).

    Raises SignatureError `multibase_invalid` for anything else or malformed text.
    """
    if not isinstance(value, str) or len(value) < 2:
        raise _invalid("is empty or not text")
    if len(value) > MAX_MULTIBASE_CHARS:
        raise _invalid("is too long")
    prefix, body = value[0], value[1:]
    if prefix == "z":
        if len(body) > MAX_BASE58_CHARS:
            raise _invalid("is too long for base58")
        try:
            return base58.b58decode(body.encode("ascii"))
        except (ValueError, UnicodeError):
            raise _invalid("is not base58btc") from None
    if prefix == "u":
        if "=" in body or "+" in body or "/" in body:
            raise _invalid("is not unpadded base64url")
        standard = body.replace("-", "+").replace("_", "/") + "=" * (-len(body) % 4)
        try:
            # validate: the lenient decoder would skip characters outside the alphabet
            return base64.b64decode(standard, validate=True)
        except (ValueError, binascii.Error):
            raise _invalid("is not base64url") from None
    raise _invalid(f"uses the encoding {prefix!r}, not z (base58btc) or u (base64url)")


def ed25519_from_multikey(value: str) -> Ed25519PublicKey:
    """Read a Multikey Ed25519 public key (`z6Mk...`: multicodec 0xed01 and 32 bytes).

    Raises SignatureError `public_key_invalid` for another key type or size.
    """
    try:
        raw = decode_multibase(value)
    except SignatureError as error:
        raise SignatureError(
            f"The public key {_short(value)} {error.message.removeprefix('The value ')}",
            code="public_key_invalid",
        ) from None
    if not raw.startswith(ED25519_PUBLIC_PREFIX):
        raise SignatureError(
            f"The public key {_short(value)} is not an Ed25519 key (its multicodec prefix "
            f"is 0x{raw[:2].hex()}, not 0xed01).",
            code="public_key_invalid",
        )
    return ed25519_from_raw(raw[len(ED25519_PUBLIC_PREFIX) :], what=_short(value))


def ed25519_from_raw(raw: bytes, *, what: str) -> Ed25519PublicKey:
    """An Ed25519 public key from its 32 raw bytes; another length is refused."""
    if len(raw) != ED25519_KEY_BYTES:
        raise SignatureError(
            f"The public key {what} holds {len(raw)} bytes; an Ed25519 key has 32.",
            code="public_key_invalid",
        )
    return Ed25519PublicKey.from_public_bytes(raw)


def _invalid(reason: str) -> SignatureError:
    return SignatureError(f"The value {reason}.", code="multibase_invalid")


def _short(value: object) -> str:
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."
