"""Recipient identities: hashing them and matching an assertion's recipient to known values.

An assertion names its earner by an IdentityObject: `{"type": "email", "identity": ...,
"hashed": true, "salt": ...}`. A hashed identity is `<alg>$<hex>` where hex is the digest of
`identity + salt` in UTF-8; issuers write the hex in upper or lower case.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

# md5 and sha256 are the Open Badges 1.1+ algorithms; sha1 and sha512 were accepted by the
# Mozilla backpack for 0.5 and 1.0 badges, which are still in people's backpacks.
HASH_ALGORITHMS: Final[dict[str, int]] = {"md5": 32, "sha256": 64, "sha1": 40, "sha512": 128}
_HASH_PATTERN: Final = re.compile(r"^(md5|sha1|sha256|sha512)\$([0-9a-fA-F]+)$")
_CURRENT_HASH_PATTERN: Final = re.compile(r"^(md5\$[0-9a-fA-F]{32}|sha256\$[0-9a-fA-F]{64})$")

# The identity properties the Open Badges 2.0 Profile defines; anything else is unusual.
KNOWN_IDENTITY_TYPES: Final = frozenset({"email", "url", "telephone", "id"})

RecipientCandidates = Mapping[str, Sequence[str]] | Sequence[str]


def identity_hash(identity: str, salt: str = "", *, alg: str = "sha256") -> str:
    """Return the `<alg>$<hex>` hash of an identity and salt, as an issuer writes it."""
    if alg not in HASH_ALGORITHMS:
        raise ValueError(f"Unsupported identity hash algorithm: {alg}")
    digest = hashlib.new(alg, (identity + salt).encode("utf-8")).hexdigest()
    return f"{alg}${digest}"


def looks_hashed(value: str) -> bool:
    """Return True if a value has the shape of an identity hash of any supported algorithm."""
    match = _HASH_PATTERN.match(value)
    if match is None:
        return False
    return len(match.group(2)) == HASH_ALGORITHMS[match.group(1)]


def is_current_identity_hash(value: str) -> bool:
    """Return True for an md5 or sha256 identity hash, the only kinds Open Badges 2.0 allows."""
    return bool(_CURRENT_HASH_PATTERN.match(value))


def identity_matches(recipient: Mapping[str, Any], candidate: str) -> bool:
    """Return True if a recipient IdentityObject names `candidate` (plain or hashed)."""
    identity = recipient.get("identity")
    if not isinstance(identity, str):
        return False
    is_email = recipient.get("type") == "email"
    # An email address differs from itself only by case, which people type at random.
    tries = [candidate, candidate.lower()] if is_email else [candidate]
    if not _is_hashed(recipient.get("hashed"), identity):
        if is_email:
            return identity.lower() == candidate.lower()
        return identity == candidate
    match = _HASH_PATTERN.match(identity)
    if match is None:
        return False
    alg, expected = match.group(1), match.group(2).lower()
    salt = recipient.get("salt")
    salt = salt if isinstance(salt, str) else ""
    for value in dict.fromkeys(tries):
        digest = identity_hash(value, salt, alg=alg).split("$", 1)[1]
        if hmac.compare_digest(digest, expected):
            return True
    return False


def candidates_by_type(recipients: RecipientCandidates) -> dict[str, list[str]]:
    """Return the known identities keyed by type; a plain list means email addresses."""
    if isinstance(recipients, Mapping):
        return {
            kind: [v for v in values if isinstance(v, str)] for kind, values in recipients.items()
        }
    if isinstance(recipients, str):
        return {"email": [recipients]}
    return {"email": [v for v in recipients if isinstance(v, str)]}


def match_recipient(recipient: Mapping[str, Any], recipients: RecipientCandidates) -> str | None:
    """Return the first known identity the recipient IdentityObject names, or None."""
    kind = recipient.get("type")
    if not isinstance(kind, str):
        return None
    for candidate in candidates_by_type(recipients).get(kind, []):
        if identity_matches(recipient, candidate):
            return candidate
    return None


def _is_hashed(flag: Any, identity: str) -> bool:
    # 1.0 badges wrote booleans as strings ("true"); a missing flag means what the value shows.
    if isinstance(flag, bool):
        return flag
    if isinstance(flag, str):
        return flag.strip().lower() == "true"
    return looks_hashed(identity)


def describe_mismatch(recipient: Any, recipients: RecipientCandidates) -> str:
    """Return a sentence saying why a recipient matched none of the known identities."""
    if not isinstance(recipient, dict):
        return "The badge's recipient cannot be read, so it matches none of the given identities."
    kind = recipient.get("type")
    known = candidates_by_type(recipients).get(str(kind), [])
    if not known:
        return f"The badge is awarded to a {kind} identity, and no {kind} was given to match it."
    if recipient.get("hashed") is True:
        return f"The badge is awarded to a hashed {kind} that is none of the {len(known)} given."
    return f"The badge is awarded to {recipient.get('identity')}, none of the given {kind}s."
