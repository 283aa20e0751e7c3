"""Verifying an OpenBadgeCredential, every step of ob3-host.md section A, into a report.

In order: context, types, subject and issuer; the 1EdTech schema when named; the proof
(embedded Data Integrity proofs, or the VC-JWT); then, once the issuer is known to vouch for
the credential, its refresh service, its status, its validity window, the recipient, its
embedded endorsements and the achievement image. Every problem is a report message with a
stable code; the report gets version "3.0", the proof that verified it, the status and the
stored view of the credential.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from backpack.openbadges.badge_image import check_badge_image
from backpack.openbadges.credentials.checks import (
    Kind,
    check_context,
    check_issuer,
    check_subject,
    check_types,
    check_validity,
)
from backpack.openbadges.credentials.data_integrity import verify_embedded_proofs
from backpack.openbadges.credentials.extract import (
    VC_1_1_CONTEXT,
    Credential,
    DataModel,
    as_list,
    first_context,
    read_credential,
)
from backpack.openbadges.credentials.refresh import refreshed
from backpack.openbadges.credentials.schema import check_schemas
from backpack.openbadges.credentials.status import check_status
from backpack.openbadges.credentials.subject import match_subject
from backpack.openbadges.credentials.vc_jwt import verify_vc_jwt
from backpack.openbadges.credentials.view import assertion_view, summary
from backpack.openbadges.errors import OpenBadgesError
from backpack.openbadges.issuer_resources import IssuerResources
from backpack.openbadges.recipient import (
    RecipientCandidates,
    RecipientMatch,
)
from backpack.openbadges.report import ProofSummary, VerificationReport

# Endorsements are shown, not relied on: a credential carrying more is not read further.
MAX_ENDORSEMENTS: Final = 10


def verify_credential(
    credential: Credential,
    *,
    resources: IssuerResources,
    report: VerificationReport,
    recipients: RecipientCandidates | None,
    now: datetime,
    kind: Kind = "badge",
    refresh: bool = True,
) -> None:
    """Verify a credential into `report` (version "3.0"); bad input never raises.

    `kind` "endorsement" verifies an EndorsementCredential (the types differ; no
    endorsements of its own are read). `refresh` False skips the refresh service, as for
    the copy a refresh service returns.
    """
    report.version = "3.0"
    report.verification_kind = "signed"
    document = credential.document
    check_context(credential, report)
    check_types(document, kind, report)
    check_subject(document, report)
    issuer_id = check_issuer(document, report)
    check_schemas(document, report)
    report.proof = _prove(credential, issuer_id, resources, report)
    if report.proof is not None and refresh:
        newer = refreshed(
            credential,
            resources=resources,
            report=report,
            verify=lambda copy: _verified_copy(copy, resources, recipients, now, kind),
        )
        if newer is not None:
            return _adopt(report, newer[1], newer[0])
    if report.proof is not None:
        check_status(document, resources=resources, report=report, now=now)
    check_validity(credential, now, report)
    matched = _match_recipient(document, recipients, report)
    view = assertion_view(document, matched)
    if kind == "badge":
        view["endorsements"] = _endorsements(document, resources, report, now)
        report.badge_image = _achievement_image(view, resources, report)
    report.assertion = view
    report.badge = summary(view)


def _prove(
    credential: Credential,
    issuer_id: str | None,
    resources: IssuerResources,
    report: VerificationReport,
) -> ProofSummary | None:
    errors_before = len(report.errors)
    proof: ProofSummary | None = None
    if credential.jwt is not None:
        proof = verify_vc_jwt(
            credential.jwt, credential.document, resources=resources, report=report
        )
    elif issuer_id is not None:
        proof = verify_embedded_proofs(
            credential.document, issuer_id=issuer_id, resources=resources, report=report
        )
    if proof is None and len(report.errors) == errors_before:
        report.error("no_valid_proof", "None of the credential's proofs could be verified.")
    return proof


def _verified_copy(
    copy: Credential,
    resources: IssuerResources,
    recipients: RecipientCandidates | None,
    now: datetime,
    kind: Kind,
) -> VerificationReport:
    checked = VerificationReport()
    try:
        verify_credential(
            copy,
            resources=resources,
            report=checked,
            recipients=recipients,
            now=now,
            kind=kind,
            refresh=False,
        )
    except OpenBadgesError as error:
        checked.error(error.code, error.message)
    return checked


def _adopt(report: VerificationReport, newer: VerificationReport, credential: Credential) -> None:
    # The refreshed copy's verification replaces the held one's; what was learned about
    # the held copy on the way (warnings) is kept, and the report says what happened.
    warnings, source_url = list(report.warnings), report.source_url
    for field in dataclasses.fields(report):
        setattr(report, field.name, getattr(newer, field.name))
    report.source_url = source_url
    report.refreshed_original = credential.original
    for warning in warnings:
        report.warn(warning.code, warning.message)
    report.warn(
        "credential_refreshed",
        "The issuer's refresh service returned a newer copy of the credential, which was "
        "verified and is the one kept.",
    )


def _match_recipient(
    document: Mapping[str, Any],
    recipients: RecipientCandidates | None,
    report: VerificationReport,
) -> RecipientMatch | None:
    if recipients is None:
        return None
    return match_subject(document, recipients, report)


def _endorsements(
    document: Mapping[str, Any],
    resources: IssuerResources,
    report: VerificationReport,
    now: datetime,
) -> list[dict[str, Any]]:
    """Each embedded endorsement verified like a credential, for display."""
    texts: list[tuple[str, Any]] = [
        ("endorsement", item) for item in as_list(document.get("endorsement"))
    ]
    texts += [("endorsementJwt", item) for item in as_list(document.get("endorsementJwt"))]
    results = []
    for source, item in texts[:MAX_ENDORSEMENTS]:
        checked = VerificationReport()
        shown: dict[str, Any] = {"source": source}
        try:
            if isinstance(item, dict):
                endorsement = Credential(item, "", None, _model_of(item))
            elif isinstance(item, str):
                endorsement = read_credential(item)
            else:
                raise OpenBadgesError("The endorsement is neither JSON nor a VC-JWT.")
            verify_credential(
                endorsement,
                resources=resources,
                report=checked,
                recipients=None,
                now=now,
                kind="endorsement",
                refresh=False,
            )
            shown |= _endorsement_summary(endorsement.document)
        except OpenBadgesError as error:
            checked.error(error.code, error.message)
        shown["status"] = checked.status
        shown["errors"] = [message.to_json() for message in checked.errors]
        results.append(shown)
        if not checked.valid:
            reasons = "; ".join(message.message for message in checked.errors[:2])
            report.warn("endorsement_invalid", f"An endorsement does not verify: {reasons}")
    return results


def _endorsement_summary(document: Mapping[str, Any]) -> dict[str, Any]:
    issuer = document.get("issuer")
    subject = document.get("credentialSubject")
    return {
        "id": document.get("id"),
        "issuer": issuer if isinstance(issuer, (dict, str)) else None,
        "comment": subject.get("endorsementComment") if isinstance(subject, dict) else None,
    }


def _model_of(document: Mapping[str, Any]) -> DataModel:
    # An embedded endorsement is read as a credential on its own, with its own context.
    return "1.1" if first_context(document) == VC_1_1_CONTEXT else "2.0"


def _achievement_image(
    view: Mapping[str, Any],
    resources: IssuerResources,
    report: VerificationReport,
) -> bytes | None:
    # An achievement image is optional in 3.0 and no part of what the proof vouches for:
    # its problems are a warning, and its bytes are kept when it can be had.
    image = view["badge"].get("image")
    if not isinstance(image, str):
        return None
    checked = VerificationReport()
    data = check_badge_image(image, "3.0", resources, checked, already_held=True)
    for message in checked.warnings + checked.errors:
        report.warn("badge_image_unavailable", message.message)
    return data
