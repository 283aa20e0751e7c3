"""Signed badges: reading a compact JWS and checking its signature with joserfc.

Only public-key algorithms are accepted. `none` and the HMAC family are refused: a badge
signed with a shared secret proves nothing to anyone but the issuer.

Algorithm names are case-sensitive (RFC 7515), but Mozilla's own signing tools (its
validator's and bakery's tests, `fakeissuer`) wrote `"alg": "rs256"`; Open Badges 0.5-1.x
badges, the era those tools signed, may name the RS family in any case. The signature is
then checked with the canonical algorithm over the exact signing input as received.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from joserfc import jws
from joserfc.errors import BadSignatureError, JoseError, UnsupportedAlgorithmError
from joserfc.jwa import JWSAlgModel
from joserfc.jwk import ECKey, OKPKey, RSAKey

from backpack.openbadges.errors import ParseError, SignatureError

# Algorithms accepted for each kind of public key.
ALLOWED_ALGORITHMS: Final[dict[str, frozenset[str]]] = {
    "RSA": frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}),
    "EC": frozenset({"ES256", "ES384", "ES512"}),
    "OKP": frozenset({"EdDSA", "Ed25519", "Ed448"}),
}
_ANY_ALLOWED: Final = frozenset().union(*ALLOWED_ALGORITHMS.values())
# What 0.5-1.x badges may also call RS256, RS384 and RS512: their names in any case.
_LEGACY_CASE_INSENSITIVE: Final = frozenset({"RS256", "RS384", "RS512"})
# The 2.0 spec calls for RSA keys of at least 2048 bits; older 1.0 keys may be shorter.
MIN_RSA_BITS: Final = 2048
# joserfc's defaults (128 kB payload, 512-byte header) are for tokens; a badge may carry a
# data: URI image, and its header may carry a certificate chain.
_MAX_PAYLOAD: Final = 4 * 1024 * 1024
_MAX_HEADER: Final = 16 * 1024
_MAX_SIGNATURE: Final = 2048

_PEM: Final = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.DOTALL)


@dataclass(frozen=True)
class UnverifiedJWS:
    """A compact JWS read without checking its signature."""

    header: dict[str, Any]
    payload: bytes

    @property
    def algorithm(self) -> str:
        """The `alg` the signer declared."""
        return str(self.header["alg"])


@dataclass(frozen=True)
class PublicKey:
    """A public key ready for joserfc, with its kind ("RSA", "EC" or "OKP") and size."""

    key: RSAKey | ECKey | OKPKey
    kind: str
    bits: int | None

    @property
    def weak(self) -> bool:
        """True for an RSA key shorter than the 2048 bits Open Badges 2.0 expects."""
        return self.kind == "RSA" and (self.bits or 0) < MIN_RSA_BITS


def decode_jws(token: str) -> UnverifiedJWS:
    """Decode a compact JWS without verifying it or judging its algorithm.

    For callers that must read the payload before they can tell which algorithms its
    version allows; `allowed_algorithm` then judges the declared one.
    """
    try:
        signed = jws.extract_compact(token.strip().encode("ascii"), registry=_registry(None))
    except (JoseError, ValueError, TypeError, UnicodeError):
        raise ParseError(
            "The signed badge (JWS) cannot be decoded.", code="jws_malformed"
        ) from None
    header = signed.headers()
    if not isinstance(header.get("alg"), str):
        raise ParseError("The signed badge (JWS) names no algorithm.", code="jws_malformed")
    return UnverifiedJWS(header=dict(header), payload=signed.payload)


def allowed_algorithm(declared: str, *, legacy: bool) -> str:
    """The canonical name of an accepted algorithm; `none`, HMAC and unknown ones raise."""
    if declared in _ANY_ALLOWED:
        return declared
    if legacy and declared.upper() in _LEGACY_CASE_INSENSITIVE:
        return declared.upper()
    raise SignatureError(_refusal(declared), code="jws_alg_not_allowed")


@lru_cache(maxsize=512)
def load_public_key(pem: str) -> PublicKey:
    """Read a PEM public key (or certificate) as issuers publish it; results are cached."""
    try:
        native = _load_native_key(_tidy_pem(pem))
    except (ValueError, TypeError, UnicodeError):
        raise SignatureError(
            "The issuer's public key is not a readable PEM public key.", code="public_key_invalid"
        ) from None
    # Building joserfc keys from the native key skips the warning joserfc gives on import of
    # short RSA keys; a short key is reported as a verification warning instead.
    if isinstance(native, rsa.RSAPublicKey):
        return PublicKey(RSAKey(native, native), "RSA", native.key_size)
    if isinstance(native, ec.EllipticCurvePublicKey):
        return PublicKey(ECKey(native, native), "EC", native.curve.key_size)
    if isinstance(native, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        return PublicKey(OKPKey(native, native), "OKP", None)
    raise SignatureError(
        "The issuer's public key is of a kind badges cannot be signed with.",
        code="public_key_invalid",
    )


def verify_jws(token: str, key: PublicKey, *, legacy: bool = False) -> bytes:
    """Return the payload of a compact JWS whose signature `key` verifies, or raise.

    `legacy` (a 0.5-1.x badge) accepts the RS family in any case (`rs256`).
    """
    declared = decode_jws(token).algorithm
    algorithm = allowed_algorithm(declared, legacy=legacy)
    if algorithm not in ALLOWED_ALGORITHMS[key.kind]:
        raise SignatureError(
            f"The badge is signed with {algorithm}, which does not match the issuer's "
            f"{key.kind} key.",
            code="jws_invalid_signature",
        )
    try:
        verified = jws.deserialize_compact(
            token.strip(), key.key, registry=_registry(algorithm, declared=declared)
        )
    except BadSignatureError:
        raise SignatureError(
            "The signature does not match the badge: it was changed after signing, or signed "
            "with another key.",
            code="jws_invalid_signature",
        ) from None
    except (JoseError, ValueError, TypeError):
        raise SignatureError(
            "The signature cannot be checked with the issuer's key.", code="jws_invalid_signature"
        ) from None
    return verified.payload


class _BadgeRegistry(jws.JWSRegistry):
    """joserfc's registry, without its deprecation warning for `EdDSA`, reading the header's
    algorithm name as the canonical one it was accepted as (`rs256` as RS256).

    RFC 9864 deprecates the name `EdDSA` in favour of `Ed25519`, but issuers still sign
    with it and the signature is the same; `none`, the other algorithm joserfc warns about,
    is refused before it gets here.
    """

    def __init__(self, algorithm: str | None, *, declared: str | None = None) -> None:
        super().__init__(algorithms=[algorithm] if algorithm else None, strict_check_header=False)
        self.aliases = {declared: algorithm} if algorithm and declared else {}

    def get_alg(self, name: str) -> JWSAlgModel:
        """Return the algorithm `name` if it is allowed here."""
        name = self.aliases.get(name, name)
        if name not in self.algorithms or (self.allowed and name not in self.allowed):
            raise UnsupportedAlgorithmError(f"Algorithm of '{name}' is not allowed")
        return self.algorithms[name]


def _registry(algorithm: str | None, *, declared: str | None = None) -> jws.JWSRegistry:
    registry = _BadgeRegistry(algorithm, declared=declared)
    registry.max_payload_length = _MAX_PAYLOAD
    registry.max_header_length = _MAX_HEADER
    registry.max_signature_length = _MAX_SIGNATURE
    return registry


def _refusal(algorithm: str) -> str:
    if algorithm.lower() == "none":
        return "The badge is not really signed: its JWS uses the algorithm `none`."
    if algorithm.upper().startswith("HS"):
        return (
            f"The badge is signed with {algorithm}, a shared secret that only its issuer can "
            "check; badges must be signed with a public key."
        )
    return f"The badge is signed with {algorithm}, an algorithm this backpack does not accept."


def _tidy_pem(pem: str) -> bytes:
    # Issuers publish keys with escaped or missing line breaks; rebuild the PEM lines.
    text = pem.replace("\\n", "\n").replace("\r", "").strip()
    match = _PEM.search(text)
    if match is None:
        raise ValueError("no PEM block")
    label, body = match.group(1), re.sub(r"\s+", "", match.group(2))
    lines = "\n".join(textwrap.wrap(body, 64))
    return f"-----BEGIN {label}-----\n{lines}\n-----END {label}-----\n".encode("ascii")


def _load_native_key(pem: bytes) -> Any:
    if b"CERTIFICATE" in pem.split(b"\n", 1)[0]:
        return x509.load_pem_x509_certificate(pem).public_key()
    return serialization.load_pem_public_key(pem)
