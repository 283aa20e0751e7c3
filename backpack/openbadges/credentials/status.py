"""Whether the issuer still stands by a credential: its `credentialStatus` entries.

Two status types are understood (ob3-host.md A.11, after 1EdTech's Java validator):

- `1EdTechRevocationList`: the entry's `id` serves a list whose `revokedCredential[]` names
  revoked credentials by `id` (`revoked` absent or true means revoked);
- `BitstringStatusListEntry` (W3C, 2025): `statusListCredential` is a credential of type
  `BitstringStatusListCredential`, itself proven and within its validity window, whose
  `encodedList` is multibase base64url (`u`) of a gzip of the bits; the entry's status is
  `statusSize` bits at `statusListIndex * statusSize`, most significant bit first. A set
  bit of a `revocation` list revokes; of a `suspension` list, suspends (an error too, but
  not a revocation: the issuer may lift it).

Any other type leaves the status "unknown", never "revoked". A list that cannot be fetched
is a warning ("unreachable"): the issuer may be down, and the badge says so. A list that is
fetched but unusable (not gzip, far too large, badly proven) is an error: the issuer's
statement about the badge cannot be read.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from backpack.openbadges.credentials.data_integrity import verify_embedded_proofs
from backpack.openbadges.credentials.extract import as_list
from backpack.openbadges.errors import FetchError, OpenBadgesError
from backpack.openbadges.issuer_resources import IssuerResources
from backpack.openbadges.report import VerificationReport
from backpack.openbadges.revocation import revocation_message
from backpack.openbadges.timestamps import parse_datetime

# The specification's minimum list length (131,072 entries, 16 KiB), which DCC's lists of
# 100,000 entries fall short of: shorter lists are read, with a warning.
MIN_LIST_BITS: Final = 131_072
# A gzip bomb stops here: 16 MiB holds 134 million one-bit entries.
MAX_LIST_BYTES: Final = 16 * 1024 * 1024
_SEVERITY: Final = {"active": 0, "unknown": 1, "unreachable": 2, "suspended": 3, "revoked": 4}


class StatusListError(OpenBadgesError):
    """A status list that was fetched but cannot be read or trusted."""

    code = "status_list_invalid"


def check_status(
    credential: Mapping[str, Any],
    *,
    resources: IssuerResources,
    report: VerificationReport,
    now: datetime,
) -> None:
    """Read every `credentialStatus` entry into `report.credential_status` (and `revoked`)."""
    entries = as_list(credential.get("credentialStatus"))
    if not entries:
        return
    outcomes = [_entry_status(entry, credential, resources, report, now) for entry in entries]
    worst = max(outcomes, key=lambda outcome: _SEVERITY[outcome])
    report.credential_status = worst
    if worst == "revoked":
        report.revoked = True


def _entry_status(
    entry: Any,
    credential: Mapping[str, Any],
    resources: IssuerResources,
    report: VerificationReport,
    now: datetime,
) -> str:
    kind = entry.get("type") if isinstance(entry, dict) else None
    try:
        if kind == "1EdTechRevocationList":
            return _revocation_list_status(entry, credential, resources, report)
        if "BitstringStatusListEntry" in as_list(kind):
            return _bitstring_status(entry, resources, report, now)
    except FetchError as error:
        report.warn(
            "status_unreachable",
            f"The credential's status list could not be fetched, so whether it is revoked "
            f"is not known: {error.message}",
        )
        return "unreachable"
    except OpenBadgesError as error:
        report.error("status_list_invalid", error.message)
        return "unknown"
    report.warn(
        "status_unknown",
        f"The credential's status is of a type this backpack does not read ({kind!r}); "
        "it is not known whether it was revoked.",
    )
    return "unknown"


def _revocation_list_status(
    entry: Mapping[str, Any],
    credential: Mapping[str, Any],
    resources: IssuerResources,
    report: VerificationReport,
) -> str:
    url = entry.get("id")
    if not isinstance(url, str):
        raise StatusListError("The credential's 1EdTechRevocationList entry has no id (URL).")
    document, _ = resources.json_document(url, "the revocation list")
    if not isinstance(document, dict):
        raise StatusListError(f"The revocation list at {url} is not a JSON object.")
    for revoked in as_list(document.get("revokedCredential")):
        if not isinstance(revoked, dict) or revoked.get("id") != credential.get("id"):
            continue
        if revoked.get("revoked") in (None, True) or str(revoked.get("revoked")).lower() == "true":
            report.error("revoked", revocation_message(revoked.get("revocationReason")))
            return "revoked"
    return "active"


def _bitstring_status(
    entry: Mapping[str, Any],
    resources: IssuerResources,
    report: VerificationReport,
    now: datetime,
) -> str:
    url = entry.get("statusListCredential")
    if not isinstance(url, str):
        raise StatusListError("The credential's status entry names no statusListCredential.")
    index = _non_negative(entry.get("statusListIndex"), "statusListIndex")
    size = _non_negative(entry.get("statusSize", 1), "statusSize")
    if not 1 <= size <= 8:
        raise StatusListError(f"The status entry's statusSize {size} is not between 1 and 8.")
    document, _ = resources.json_document(url, "the status list")
    subject = _proven_list(document, url, resources, now)
    purpose = entry.get("statusPurpose")
    if purpose not in as_list(subject.get("statusPurpose")):
        raise StatusListError(
            f"The status list at {url} is for {subject.get('statusPurpose')!r}, "
            f"not the entry's purpose {purpose!r}."
        )
    bits = decode_status_list(subject.get("encodedList"))
    if len(bits) * 8 < MIN_LIST_BITS:
        report.warn(
            "status_list_short",
            f"The status list at {url} holds {len(bits) * 8} entries, fewer than the "
            f"{MIN_LIST_BITS} the specification asks for (which hides whose badge is which).",
        )
    value = read_status(bits, index * size, size)
    if value == 0:
        return "active"
    if purpose == "revocation":
        report.error("revoked", "The issuer has marked the badge's status as revocation.")
        return "revoked"
    if purpose == "suspension":
        # Not revoked: the issuer may lift it, and the next check here will see that.
        report.error(
            "suspended",
            "The issuer has suspended this badge: it is not to be accepted until the issuer "
            "lifts the suspension.",
        )
        return "suspended"
    report.warn("status_unknown", f"The status list marks the credential for {purpose!r}.")
    return "unknown"


def _proven_list(
    document: Any, url: str, resources: IssuerResources, now: datetime
) -> Mapping[str, Any]:
    # The list is a credential of its own: its proof and validity are checked into a
    # report of its own, so only the conclusion reaches the badge's report.
    if not isinstance(document, dict):
        raise StatusListError(f"The status list at {url} is not a JSON object.")
    if "BitstringStatusListCredential" not in as_list(document.get("type")):
        raise StatusListError(f"The document at {url} is not a BitstringStatusListCredential.")
    issuer = document.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    checked = VerificationReport(version="3.0")
    proof = None
    if isinstance(issuer_id, str):
        proof = verify_embedded_proofs(
            document, issuer_id=issuer_id, resources=resources, report=checked
        )
    if proof is None:
        reasons = "; ".join(message.message for message in checked.errors) or "no proof"
        raise StatusListError(f"The status list at {url} is not proven by its issuer: {reasons}")
    start = parse_datetime(document.get("validFrom"))
    end = parse_datetime(document.get("validUntil"))
    if (start is not None and start > now) or (end is not None and end < now):
        raise StatusListError(f"The status list at {url} is outside its validity window.")
    subject = document.get("credentialSubject")
    if not isinstance(subject, dict):
        raise StatusListError(f"The status list at {url} has no credentialSubject.")
    return subject


def decode_status_list(encoded: Any) -> bytes:
    """The bits of an `encodedList`: multibase `u` base64url of gzip, bounded in size."""
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise StatusListError("The status list's encodedList is not multibase base64url ('u').")
    body = encoded[1:]
    try:
        compressed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise StatusListError("The status list's encodedList is not base64url.") from None
    if not compressed.startswith(b"\x1f\x8b"):
        raise StatusListError("The status list's encodedList is not gzip-compressed.")
    inflater = zlib.decompressobj(wbits=31)
    try:
        bits = inflater.decompress(compressed, MAX_LIST_BYTES)
    except zlib.error:
        raise StatusListError("The status list's gzip data is corrupt.") from None
    if inflater.unconsumed_tail:
        raise StatusListError(
            f"The status list expands beyond {MAX_LIST_BYTES // (1024 * 1024)} MiB; refused."
        )
    if not inflater.eof:
        raise StatusListError("The status list's gzip data ends early.")
    return bits


def read_status(bits: bytes, position: int, size: int) -> int:
    """`size` bits at bit `position`, the first bit being the most significant of byte 0."""
    if position + size > len(bits) * 8:
        raise StatusListError(
            f"The status index points past the end of the list ({len(bits) * 8} entries)."
        )
    value = 0
    for offset in range(position, position + size):
        bit = (bits[offset // 8] >> (7 - offset % 8)) & 1
        value = value << 1 | bit
    return value


def _non_negative(value: Any, name: str) -> int:
    # The specification writes the index as a string of digits; 1EdTech's fixtures an integer.
    if isinstance(value, bool):
        raise StatusListError(f"The status entry's {name} is not a number.")
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 12:
        return int(value)
    raise StatusListError(f"The status entry's {name} is not a non-negative integer.")
