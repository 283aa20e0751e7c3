"""Public keys written as JSON Web Keys (RFC 7517), as VC-JWT headers and DID documents carry.

Only public keys of the kinds Open Badges 3.0 signs with are read: RSA of at least 2048 bits,
EC on P-256 and Ed25519. A JWK holding a private part (`d`, or RSA's primes) is refused:
the issuer has published its secret, so anyone could have signed with it.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, OKPKey, RSAKey

from backpack.openbadges.errors import SignatureError
from backpack.openbadges.signing import MIN_RSA_BITS, PublicKey

PRIVATE_MEMBERS: Final = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_CURVES: Final = {"EC": frozenset({"P-256"}), "OKP": frozenset({"Ed25519"})}
MAX_RSA_BITS: Final = 8192


def key_from_jwk(jwk: Mapping[str, Any]) -> PublicKey:
    """Read a public JWK (RSA >= 2048 bits, EC P-256, OKP Ed25519) for signature checks.

    Raises SignatureError `jwk_private` for a JWK with a private part, `public_key_invalid`
    for a malformed JWK or another key type, `key_too_small` for a short RSA key.
    """
    if not isinstance(jwk, Mapping):
        raise SignatureError("The JWK is not a JSON object.", code="public_key_invalid")
    if PRIVATE_MEMBERS & set(jwk):
        raise SignatureError(
            "The JWK holds a private key part; a private key that has been published signs "
            "nothing anyone can trust.",
            code="jwk_private",
        )
    kind = jwk.get("kty")
    loaders: dict[str, type[RSAKey] | type[ECKey] | type[OKPKey]] = {
        "RSA": RSAKey,
        "EC": ECKey,
        "OKP": OKPKey,
    }
    if not isinstance(kind, str) or kind not in loaders:
        raise SignatureError(
            f"The JWK's key type {str(kind)[:20]!r} is not RSA, EC or OKP.",
            code="public_key_invalid",
        )
    if kind in _CURVES and jwk.get("crv") not in _CURVES[kind]:
        raise SignatureError(
            f"The JWK's curve {str(jwk.get('crv'))[:20]!r} is not accepted "
            f"({', '.join(sorted(_CURVES[kind]))} only).",
            code="public_key_invalid",
        )
    public = {k: v for k, v in jwk.items() if k in ("kty", "crv", "x", "y", "n", "e")}
    try:
        with warnings.catch_warnings():
            # joserfc warns of short RSA keys; they are refused below with a reason.
            warnings.simplefilter("ignore")
            imported = loaders[kind].import_key(public)
    except (JoseError, ValueError, TypeError, KeyError):
        raise SignatureError(
            "The JWK is not a readable public key.", code="public_key_invalid"
        ) from None
    native = imported.raw_value
    if isinstance(native, rsa.RSAPublicKey):
        if not MIN_RSA_BITS <= native.key_size <= MAX_RSA_BITS:
            raise SignatureError(
                f"The JWK is a {native.key_size}-bit RSA key; Open Badges 3.0 needs "
                f"{MIN_RSA_BITS} to {MAX_RSA_BITS} bits.",
                code="key_too_small" if native.key_size < MIN_RSA_BITS else "public_key_invalid",
            )
        return PublicKey(RSAKey(native, native), "RSA", native.key_size)
    if isinstance(native, ec.EllipticCurvePublicKey):
        return PublicKey(ECKey(native, native), "EC", native.curve.key_size)
    if isinstance(native, ed25519.Ed25519PublicKey):
        return PublicKey(OKPKey(native, native), "OKP", None)
    raise SignatureError("The JWK is not an accepted public key.", code="public_key_invalid")


def native_key(
    key: PublicKey,
) -> ed25519.Ed25519PublicKey | rsa.RSAPublicKey | ec.EllipticCurvePublicKey:
    """The `cryptography` public key inside a joserfc key."""
    native = key.key.raw_value
    if isinstance(native, ed25519.Ed25519PublicKey | rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        return native
    raise SignatureError("The key is not an accepted public key.", code="public_key_invalid")


def jose_key(
    native: ed25519.Ed25519PublicKey | rsa.RSAPublicKey | ec.EllipticCurvePublicKey,
) -> PublicKey:
    """A joserfc key (for `signing.verify_jws`) from a `cryptography` public key."""
    if isinstance(native, rsa.RSAPublicKey):
        if native.key_size < MIN_RSA_BITS:
            raise SignatureError(
                f"The issuer's RSA key has {native.key_size} bits; {MIN_RSA_BITS} is the least.",
                code="key_too_small",
            )
        return PublicKey(RSAKey(native, native), "RSA", native.key_size)
    if isinstance(native, ec.EllipticCurvePublicKey):
        if native.curve.name != "secp256r1":
            raise SignatureError("The issuer's EC key is not on P-256.", code="public_key_invalid")
        return PublicKey(ECKey(native, native), "EC", native.curve.key_size)
    return PublicKey(OKPKey(native, native), "OKP", None)
