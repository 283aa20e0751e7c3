"""VC-JWT: an Open Badges 3.0 credential signed as a compact JWS (spec integrity, jwt-verify).

Only RS256, ES256 and EdDSA are accepted; `none` and the HMAC family never are (a shared
secret proves nothing to a third party). The key comes from the header's `kid` (an https URL
or DID URL, dereferenced through `keys.resolve_key`, so the issuer must control it) or its
`jwk` (refused when it holds a private part). `jku` and `x5u` would send the verifier to a
URL of the signer's choosing for the key: they are never followed. Real 3.0 tokens embed an
RSA `jwk`, longer than joserfc's default 512-byte header limit; `signing.py` raises it.

The registered claims must agree with the credential they carry: `iss` with the issuer's id,
`jti` with the credential's id, `nbf` with `validFrom` (`issuanceDate` in VC 1.1), `exp` with
`validUntil` (`expirationDate`), `sub` with `credentialSubject.id`. A missing `sub` is only
a warning: 1EdTech's own examples lack it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any, Final

from backpack.openbadges.credentials.jwk import jose_key, key_from_jwk
from backpack.openbadges.credentials.keys import resolve_key
from backpack.openbadges.errors import FetchError, OpenBadgesError, SignatureError
from backpack.openbadges.issuer_resources import IssuerResources, record_unavailable
from backpack.openbadges.report import ProofSummary, VerificationReport
from backpack.openbadges.signing import PublicKey, decode_jws, verify_jws
from backpack.openbadges.timestamps import parse_datetime

# Each accepted algorithm, with the kind of key it needs.
ALGORITHMS: Final = {"RS256": "RSA", "ES256": "EC", "EdDSA": "OKP"}
NEVER_FOLLOWED: Final = ("jku", "x5u")


def verify_vc_jwt(
    token: str,
    credential: Mapping[str, Any],
    *,
    resources: IssuerResources,
    report: VerificationReport,
) -> ProofSummary | None:
    """Verify a VC-JWT's signature and claims against the credential it carries.

    `credential` is the credential in the token (the `vc` claim for VC 1.1, else the whole
    payload). Returns the proof summary when the signature verifies, whatever the claims
    said (their disagreements are recorded as errors); None when it does not verify, with
    the reason recorded.
    """
    try:
        header = decode_jws(token).header
        algorithm = _algorithm(header.get("alg"))
        key, method = _key(header, credential, resources, report)
        payload = verify_jws(token, key)
    except FetchError as error:
        record_unavailable(error, report)
        return None
    except OpenBadgesError as error:
        report.error(error.code, error.message)
        return None
    claims = _claims(payload)
    if claims is None:
        report.error("jws_malformed", "The VC-JWT's payload is not a JSON object.")
        return None
    _check_claims(claims, credential, report)
    return ProofSummary(type="VC-JWT", cryptosuite=algorithm, verification_method=method)


def _algorithm(declared: Any) -> str:
    if declared in ALGORITHMS:
        return str(declared)
    name = str(declared)[:20]
    if name.lower() == "none":
        reason = "The VC-JWT is not signed: its algorithm is `none`."
    elif name.upper().startswith("HS"):
        reason = f"The VC-JWT is signed with {name}, a shared secret no third party can check."
    else:
        reason = f"The VC-JWT is signed with {name!r}; accepted are RS256, ES256 and EdDSA."
    raise SignatureError(reason, code="jws_alg_not_allowed")


def _key(
    header: Mapping[str, Any],
    credential: Mapping[str, Any],
    resources: IssuerResources,
    report: VerificationReport,
) -> tuple[PublicKey, str | None]:
    """The key the header names (kid first: it ties the key to the issuer), and its id."""
    if "crit" in header:
        raise SignatureError(
            "The VC-JWT's header marks extensions as critical (crit), which this backpack "
            "does not understand.",
            code="jws_malformed",
        )
    ignored = [name for name in NEVER_FOLLOWED if name in header]
    kid, jwk = header.get("kid"), header.get("jwk")
    issuer_id = _issuer_id(credential)
    if isinstance(kid, str) and kid:
        found = resolve_key(_kid_as_url(kid, issuer_id), issuer_id=issuer_id, resources=resources)
        key, method = jose_key(found.public_key), found.id
    elif jwk is not None:
        if not isinstance(jwk, dict):
            raise SignatureError("The VC-JWT's jwk is not a JSON object.", code="jws_malformed")
        key, method = key_from_jwk(jwk), None
        report.warn(
            "key_not_bound_to_issuer",
            "The VC-JWT carries its own public key (jwk), which no document of the issuer "
            "vouches for.",
        )
    else:
        named = f" It names {' and '.join(ignored)}, which are never followed." if ignored else ""
        raise SignatureError(
            f"The VC-JWT's header names no key (neither kid nor jwk).{named}", code="jwt_no_key"
        )
    if ignored:
        report.warn(
            "jwt_header_ignored",
            f"The VC-JWT's header names {' and '.join(ignored)}; such URLs are never followed, "
            "and its key was taken from its kid or jwk.",
        )
    algorithm = str(header.get("alg"))
    if key.kind != ALGORITHMS[algorithm]:
        raise SignatureError(
            f"The VC-JWT is signed with {algorithm}, which does not match the {key.kind} key "
            "it names.",
            code="jws_invalid_signature",
        )
    return key, method


def _kid_as_url(kid: str, issuer_id: str) -> str:
    # A fragment ("#key-1") names a key of the issuer's own document; a bare name ("key-1")
    # does so for a DID issuer (VC-JOSE uses the kid as a hint into the DID document).
    if ":" in kid or not issuer_id or not (kid.startswith("#") or issuer_id.startswith("did:")):
        return kid
    return f"{issuer_id.partition('#')[0]}#{kid.lstrip('#')}"


def _issuer_id(credential: Mapping[str, Any]) -> str:
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    return issuer_id if isinstance(issuer_id, str) else ""


def _claims(payload: bytes) -> dict[str, Any] | None:
    try:
        claims = json.loads(payload)
    except (ValueError, RecursionError):
        return None
    return claims if isinstance(claims, dict) else None


def _check_claims(
    claims: Mapping[str, Any], credential: Mapping[str, Any], report: VerificationReport
) -> None:
    subject = credential.get("credentialSubject")
    subject_id = subject.get("id") if isinstance(subject, Mapping) else None
    version_2 = "validFrom" in credential or "issuanceDate" not in credential
    starts = credential.get("validFrom" if version_2 else "issuanceDate")
    ends = credential.get("validUntil" if version_2 else "expirationDate")
    _same("iss", claims.get("iss"), _issuer_id(credential) or None, "the issuer's id", report)
    _same("jti", claims.get("jti"), credential.get("id"), "the credential's id", report)
    _same_time("nbf", claims.get("nbf"), starts, report, required=True)
    _same_time("exp", claims.get("exp"), ends, report, required=False)
    if subject_id is None:
        return
    if "sub" not in claims:
        report.warn("jwt_sub_missing", "The VC-JWT has no `sub` claim naming the recipient.")
    else:
        _same("sub", claims.get("sub"), subject_id, "credentialSubject.id", report)


def _same(claim: str, value: Any, expected: Any, what: str, report: VerificationReport) -> None:
    if expected is None:
        return  # nothing in the credential to agree with
    if value is None:
        report.error("jwt_claim_missing", f"The VC-JWT has no `{claim}` claim ({what}).")
    elif value != expected:
        report.error(
            "jwt_claim_mismatch",
            f"The VC-JWT's `{claim}` claim ({_short(value)}) is not {what} ({_short(expected)}).",
        )


def _same_time(
    claim: str, value: Any, expected: Any, report: VerificationReport, *, required: bool
) -> None:
    if expected is None:
        return  # a credential without the date: `exp` then sets it (the verifier's concern)
    moment = parse_datetime(expected)
    if value is None:
        if required:
            report.error("jwt_claim_missing", f"The VC-JWT has no `{claim}` claim.")
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        report.error("jwt_claim_mismatch", f"The VC-JWT's `{claim}` claim is not a NumericDate.")
        return
    # A NumericDate counts whole seconds; the credential's date may carry fractions.
    if moment is None or int(value) != math.floor(moment.timestamp()):
        report.error(
            "jwt_claim_mismatch",
            f"The VC-JWT's `{claim}` claim ({int(value)}) is not the credential's date "
            f"({_short(expected)}).",
        )


def _short(value: object) -> str:
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."
