"""Whose a 3.0 credential is: its subject matched to the identities an earner holds."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backpack.openbadges.credentials.view import identity_objects
from backpack.openbadges.recipient import (
    RecipientCandidates,
    RecipientMatch,
    check_recipient,
    find_recipient,
)
from backpack.openbadges.report import VerificationReport


def match_subject(
    credential: Mapping[str, Any], recipients: RecipientCandidates, report: VerificationReport
) -> RecipientMatch | None:
    """Match a 3.0 credential's subject (its `id`, then each `identifier`) to the known
    identities, recording the outcome in `report` as `check_recipient` does."""
    subject = credential.get("credentialSubject")
    identities = identity_objects(subject) if isinstance(subject, Mapping) else []
    for identity in identities:
        if find_recipient(identity, recipients) is not None:
            return check_recipient(identity, recipients, report)
    return check_recipient(identities[0] if identities else None, recipients, report)
