"""Checking a signed badge's signature with a key its issuer vouches for.

Open Badges 2.0 takes the key from the issuer profile's `publicKey` (the assertion's
`verification.creator` may name one of them, and a key's `owner` must be the issuer).
1.0 and 1.1 badges name the key at `verify.url`; as nothing ties that URL to the issuer,
the key must at least be served from the issuer's own host.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backpack.openbadges.errors import FetchError, OpenBadgesError, SignatureError
from backpack.openbadges.hosting_scope import authority
from backpack.openbadges.issuer_resources import IssuerResources, record_unavailable
from backpack.openbadges.parse import Version
from backpack.openbadges.report import VerificationReport
from backpack.openbadges.signing import PublicKey, load_public_key, verify_jws

_WHAT = "the issuer's public key"


def verify_signature(
    token: str,
    assertion: Mapping[str, Any],
    version: Version,
    resources: IssuerResources,
    report: VerificationReport,
) -> bool:
    """Return True if a key the issuer vouches for verifies the JWS; else report why not."""
    issuer = assertion.get("badge", {}).get("issuer", {})
    verification = assertion.get("verification")
    creator = verification.get("creator") if isinstance(verification, dict) else None
    if version == "2.0":
        candidates = _keys_vouched_for(creator, issuer, report)
    else:
        candidates = _legacy_key(creator, issuer, report)
    if not candidates:
        return False
    failures: list[OpenBadgesError] = []
    for candidate in candidates:
        try:
            key = _load_key(candidate, issuer, resources)
            verify_jws(token, key, legacy=version != "2.0")
        except OpenBadgesError as error:
            failures.append(error)
            continue
        if key.weak:
            report.warn(
                "weak_key",
                f"The issuer signs with a {key.bits}-bit RSA key; 2048 bits is the minimum today.",
            )
        return True
    # A key that verifies nothing says more than a key that could not be fetched.
    verdicts = [f for f in failures if not isinstance(f, FetchError)]
    if verdicts:
        report.error(verdicts[0].code, verdicts[0].message)
    else:
        fetch_failure = failures[0]
        assert isinstance(fetch_failure, FetchError)
        record_unavailable(fetch_failure, report)
    return False


def _keys_vouched_for(
    creator: Any, issuer: Mapping[str, Any], report: VerificationReport
) -> list[Any]:
    listed = issuer.get("publicKey") or []
    # A list, not a set: a hostile profile's ids may be lists or objects, which do not hash.
    listed_ids = [k.get("id") if isinstance(k, dict) else k for k in listed]
    if creator is not None:
        if "name" in issuer and creator not in listed_ids:
            report.error(
                "key_not_authorised",
                f"The badge is signed with the key {creator}, which its issuer's profile does "
                "not list as one of its keys.",
            )
            return []
        embedded = [k for k in listed if isinstance(k, dict) and k.get("id") == creator]
        return embedded or [creator]
    if not listed:
        report.error(
            "no_public_key",
            "The issuer's profile lists no public key, so the signature cannot be checked.",
        )
    return list(listed)


def _legacy_key(creator: Any, issuer: Mapping[str, Any], report: VerificationReport) -> list[Any]:
    if not isinstance(creator, str):
        report.error(
            "no_public_key",
            "The signed badge does not say where its issuer's public key is (verify.url).",
        )
        return []
    homes = {authority(str(issuer.get(key))) for key in ("id", "url") if issuer.get(key)}
    if homes and authority(creator) not in homes:
        report.error(
            "key_not_authorised",
            f"The badge's public key is served from {authority(creator)}, not from its "
            f"issuer's host ({', '.join(sorted(homes))}).",
        )
        return []
    return [creator]


def _load_key(candidate: Any, issuer: Mapping[str, Any], resources: IssuerResources) -> PublicKey:
    if isinstance(candidate, dict):
        node = candidate
    elif isinstance(candidate, str):
        response = resources.get(candidate, _WHAT, lasting=True)
        if response.content.lstrip().startswith(b"-----BEGIN"):
            # 1.0 issuers published the bare PEM.
            return load_public_key(response.content.decode("ascii", "replace"))
        node = resources.node(candidate, "Other", _WHAT)
    else:
        raise SignatureError("The issuer's key reference is malformed.", code="public_key_invalid")
    owner = node.get("owner")
    if owner is not None and issuer.get("id") is not None and owner != issuer.get("id"):
        raise SignatureError(
            f"The key {node.get('id')} belongs to {owner}, not to the badge's issuer.",
            code="key_not_authorised",
        )
    pem = node.get("publicKeyPem")
    if not isinstance(pem, str):
        raise SignatureError(
            f"The issuer's key {node.get('id', '')} holds no PEM public key.",
            code="public_key_invalid",
        )
    return load_public_key(pem)
