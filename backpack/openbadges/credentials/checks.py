"""The checks of a credential's own content: context, types, subject and validity window.

Sources (ob3-host.md A.3, A.4, A.12): `@context[0]` is the VC context of the data model,
`@context[1]` an Open Badges 3.0 context of a published version (1EdTech's Java validator,
ContextPropertyProbe); `type` holds `VerifiableCredential` and `OpenBadgeCredential` or
`AchievementCredential` (`EndorsementCredential` for an endorsement); the subject names its
earner by `id` or `identifier`; and every typed object the data model defines (issuer,
achievement, results, evidence, identifiers...) carries its own type, as the Java validator's
probes check, since a consumer relies on what each object claims to be.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, Final, Literal

from backpack.openbadges.credentials.extract import (
    VC_1_1_CONTEXT,
    VC_2_0_CONTEXT,
    Credential,
    as_list,
)
from backpack.openbadges.report import VerificationReport
from backpack.openbadges.timestamps import parse_datetime

OB3_CONTEXT: Final = re.compile(
    r"^https://purl\.imsglobal\.org/spec/ob/v3p0/context(-\d+\.\d+\.\d+)*\.json$"
)
CURRENT_OB3_CONTEXT: Final = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
BADGE_TYPES: Final = frozenset({"OpenBadgeCredential", "AchievementCredential"})
Kind = Literal["badge", "endorsement"]

# Where the data model puts typed objects, and the type each must carry. A path step "*"
# walks every item of a list (or the one object a list may be written as).
_TYPED_OBJECTS: Final[tuple[tuple[tuple[str, ...], str], ...]] = (
    (("issuer",), "Profile"),
    (("issuer", "parentOrg"), "Profile"),
    (("issuer", "otherIdentifier", "*"), "IdentifierEntry"),
    (("credentialSubject", "identifier", "*"), "IdentityObject"),
    (("credentialSubject", "source"), "Profile"),
    (("credentialSubject", "result", "*"), "Result"),
    (("credentialSubject", "achievement"), "Achievement"),
    (("credentialSubject", "achievement", "creator"), "Profile"),
    (("credentialSubject", "achievement", "resultDescription", "*"), "ResultDescription"),
    (("credentialSubject", "achievement", "alignment", "*"), "Alignment"),
    (("evidence", "*"), "Evidence"),
)


def check_context(credential: Credential, report: VerificationReport) -> None:
    """`@context[0]` the VC context of its data model; `@context[1]` an OB 3.0 context."""
    contexts = as_list(credential.document.get("@context"))
    expected = VC_2_0_CONTEXT if credential.data_model == "2.0" else VC_1_1_CONTEXT
    if not contexts or contexts[0] != expected:
        report.error("credential_context", f"The credential's first @context is not {expected}.")
        return
    if credential.data_model == "1.1":
        report.warn(
            "vc_data_model_1_1",
            "The credential follows the Verifiable Credentials data model 1.1, which Open "
            "Badges 3.0 credentials have since replaced with 2.0.",
        )
    second = contexts[1] if len(contexts) > 1 else None
    if not isinstance(second, str) or not OB3_CONTEXT.match(second):
        report.warn(
            "credential_context_version",
            f"The credential's second @context is not an Open Badges 3.0 context "
            f"(such as {CURRENT_OB3_CONTEXT}): {second!r}.",
        )


def check_types(document: Mapping[str, Any], kind: Kind, report: VerificationReport) -> None:
    """The credential's own type, then the type of every object the data model types."""
    types = set(as_list(document.get("type")))
    wanted = BADGE_TYPES if kind == "badge" else frozenset({"EndorsementCredential"})
    if "VerifiableCredential" not in types or not types & wanted:
        names = " or ".join(sorted(wanted))
        report.error(
            "credential_type",
            f"The credential's type must include VerifiableCredential and {names}; it is "
            f"{sorted(str(t) for t in types)}.",
        )
    subject = document.get("credentialSubject")
    subject_type = "AchievementSubject" if kind == "badge" else "EndorsementSubject"
    if isinstance(subject, dict) and subject_type not in as_list(subject.get("type")):
        report.error("wrong_type", f"The credentialSubject's type must include {subject_type}.")
    for path, expected in _TYPED_OBJECTS:
        for node in _objects_at(document, path):
            if expected not in as_list(node.get("type")):
                where = ".".join(step for step in path if step != "*")
                report.error(
                    "wrong_type",
                    f"{where} must be of type {expected}, not {node.get('type')!r}.",
                )


def check_subject(document: Mapping[str, Any], report: VerificationReport) -> None:
    """The credentialSubject exists and names its earner by `id` or `identifier` entries."""
    subject = document.get("credentialSubject")
    if not isinstance(subject, dict):
        report.error("credential_subject", "The credential has no credentialSubject object.")
        return
    identifiers = [entry for entry in as_list(subject.get("identifier")) if isinstance(entry, dict)]
    if not isinstance(subject.get("id"), str) and not identifiers:
        report.error(
            "credential_subject",
            "The credentialSubject names its earner neither by `id` nor by `identifier`.",
        )


def check_issuer(document: Mapping[str, Any], report: VerificationReport) -> str | None:
    """The issuer's id (a URL, DID or URN); an error when there is none."""
    issuer = document.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if isinstance(issuer_id, str) and issuer_id.strip():
        return issuer_id
    report.error("missing_property", "The credential names no issuer (issuer.id).")
    return None


def check_validity(credential: Credential, now: datetime, report: VerificationReport) -> None:
    """Not yet valid before `validFrom` (`issuanceDate`), expired after `validUntil`."""
    start_name = "validFrom" if credential.data_model == "2.0" else "issuanceDate"
    end_name = "validUntil" if credential.data_model == "2.0" else "expirationDate"
    start, end = parse_datetime(credential.issued), parse_datetime(credential.expires)
    if start is None:
        report.error("missing_property", f"The credential has no valid {start_name} date.")
    elif start > now:
        report.error(
            "issued_in_future",
            f"The credential is valid only from {start.isoformat()} ({start_name}).",
        )
    if credential.expires is not None and end is None:
        report.error("invalid_property", f"The credential's {end_name} is not a date.")
    if start is not None and end is not None and end < start:
        report.error(
            "expires_before_issued", f"The credential's {end_name} is before {start_name}."
        )
    if end is not None and end < now:
        report.expired = True
        report.error("expired", f"The credential expired on {end.isoformat()} ({end_name}).")


def _objects_at(node: Any, path: tuple[str, ...]) -> Iterator[Mapping[str, Any]]:
    if not path:
        if isinstance(node, dict):
            yield node
        return
    step, rest = path[0], path[1:]
    if step == "*":
        for item in as_list(node):
            yield from _objects_at(item, rest)
    elif isinstance(node, dict) and step in node:
        yield from _objects_at(node[step], rest)
