"""Recipient identities: hashing them and matching an assertion's recipient to known values.

An assertion names its earner by an IdentityObject: `{"type": "email", "identity": ...,
"hashed": true, "salt": ...}`. A hashed identity is `<alg>$<hex>` where hex is the digest of
`identity + salt` in UTF-8; issuers write the hex in upper or lower case.

Issuers hashed an address as the earner typed it, so a hash of `Bob.Smith@Example.org`
must match the account's `bob.smith@example.org`. Mozilla Backpack tried the spellings of
each verified address that `email_spellings` lists (its `lib/email-caser.js`); so does
every path here (intake, push, import, re-verification), through `check_recipient`. Plain
addresses compare regardless of case. Known addresses are best given as their owners
typed them: that spelling is tried first.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from backpack.openbadges.report import VerificationReport

# md5 and sha256 are the Open Badges 1.1+ algorithms; sha1 and sha512 were accepted by the
# Mozilla backpack for 0.5 and 1.0 badges, which are still in people's backpacks.
HASH_ALGORITHMS: Final[dict[str, int]] = {"md5": 32, "sha256": 64, "sha1": 40, "sha512": 128}
_HASH_PATTERN: Final = re.compile(r"^(md5|sha1|sha256|sha512)\$([0-9a-fA-F]+)$")
_CURRENT_HASH_PATTERN: Final = re.compile(r"^(md5\$[0-9a-fA-F]{32}|sha256\$[0-9a-fA-F]{64})$")

# The identity properties the Open Badges 2.0 Profile defines; anything else is unusual.
KNOWN_IDENTITY_TYPES: Final = frozenset({"email", "url", "telephone", "id"})

RecipientCandidates = Mapping[str, Sequence[str]] | Sequence[str]
# Words as Mozilla's caser saw them: JavaScript's \w, ASCII letters, digits and "_".
_WORD: Final = re.compile(r"\w+", re.ASCII)


@dataclass(frozen=True)
class RecipientMatch:
    """A known identity a recipient names, and the spelling of it the issuer hashed."""

    identity: str
    spelling: str
    spelling_kind: str  # "as given", "lower case", ... (see `email_spellings`)

    @property
    def is_case_variant(self) -> bool:
        """True when only one of Mozilla's case variants matched, not the address or its
        lower case (which every backpack tries)."""
        return self.spelling not in (self.identity, self.identity.lower())


def email_spellings(address: str) -> list[tuple[str, str]]:
    """The spellings of an address that Mozilla Backpack matched hashes against, each with
    what it is, in its order and without repeats."""
    local, at, domain = address.partition("@")
    spellings = [
        ("as given", address),
        ("lower case", address.lower()),
        ("upper case", address.upper()),
        ("capitalised", address[:1].upper() + address[1:].lower()),
        ("title case per word", _WORD.sub(lambda w: w[0][:1].upper() + w[0][1:].lower(), address)),
        ("upper-case local part", local.upper() + at + domain.lower() if at else address.lower()),
    ]
    unique: dict[str, str] = {}
    for kind, spelling in spellings:
        unique.setdefault(spelling, kind)
    return [(kind, spelling) for spelling, kind in unique.items()]


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
    return _matching_spelling(recipient, candidate) is not None


def _matching_spelling(recipient: Mapping[str, Any], candidate: str) -> tuple[str, str] | None:
    identity = recipient.get("identity")
    if not isinstance(identity, str):
        return None
    is_email = recipient.get("type") == "email"
    if not _is_hashed(recipient.get("hashed"), identity):
        # An email address differs from itself only by case, which people type at random.
        same = identity.lower() == candidate.lower() if is_email else identity == candidate
        return ("as given", candidate) if same else None
    match = _HASH_PATTERN.match(identity)
    if match is None:
        return None
    alg, expected = match.group(1), match.group(2).lower()
    salt = recipient.get("salt")
    salt = salt if isinstance(salt, str) else ""
    tries = email_spellings(candidate) if is_email else [("as given", candidate)]
    for kind, value in tries:
        digest = identity_hash(value, salt, alg=alg).split("$", 1)[1]
        if hmac.compare_digest(digest, expected):
            return kind, value
    return None


def candidates_by_type(recipients: RecipientCandidates) -> dict[str, list[str]]:
    """Return the known identities keyed by type; a plain list means email addresses."""
    if isinstance(recipients, Mapping):
        return {
            kind: [v for v in values if isinstance(v, str)] for kind, values in recipients.items()
        }
    if isinstance(recipients, str):
        return {"email": [recipients]}
    return {"email": [v for v in recipients if isinstance(v, str)]}


def find_recipient(
    recipient: Mapping[str, Any], recipients: RecipientCandidates
) -> RecipientMatch | None:
    """Return the first known identity the recipient IdentityObject names, and how."""
    kind = recipient.get("type")
    if not isinstance(kind, str):
        return None
    for candidate in candidates_by_type(recipients).get(kind, []):
        found = _matching_spelling(recipient, candidate)
        if found is not None:
            return RecipientMatch(candidate, found[1], found[0])
    return None


def match_recipient(recipient: Mapping[str, Any], recipients: RecipientCandidates) -> str | None:
    """Return the first known identity the recipient IdentityObject names, or None."""
    found = find_recipient(recipient, recipients)
    return found.identity if found else None


def check_recipient(
    recipient: Any, recipients: RecipientCandidates, report: VerificationReport
) -> RecipientMatch | None:
    """Match a badge's recipient to the known identities and record the outcome in `report`:
    the identity matched, a warning naming a case variant, or the mismatch error."""
    found = find_recipient(recipient, recipients) if isinstance(recipient, dict) else None
    report.recipient_matched = found is not None
    report.matched_identity = found.identity if found else None
    if found is None:
        report.error("recipient_mismatch", describe_mismatch(recipient, recipients))
    elif found.is_case_variant:
        report.warn(
            "recipient_case_variant",
            f"The badge was awarded to {found.spelling} ({found.spelling_kind}), a spelling of "
            f"{found.identity} that Mozilla Backpack accepted too.",
        )
    return found


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
