"""What a page shows of an Open Badges 3.0 credential beyond what every badge shows.

Read from the stored credential (`Badge.assertion["credential"]`) and the last report. All of
it is issuer text: templates escape it, links are http(s) only, pictures data: images only.
Nothing here names the recipient, so the same view serves the earner's and public pages.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from backpack.models import Badge
from backpack.services.public_credentials import is_jwt

# An issuer's picture is shown inline only as a data: image (pages load nothing from
# elsewhere); an SVG in <img> runs no script. Bigger ones are left out.
INLINE_IMAGE_TYPES = (
    "data:image/png",
    "data:image/jpeg",
    "data:image/gif",
    "data:image/webp",
    "data:image/svg+xml",
)
MAX_INLINE_IMAGE = 64 * 1024
MAX_JWT_DISPLAYED = 64 * 1024

STATUS_LABELS: dict[str | None, tuple[str, str, str]] = {
    "active": ("Not revoked", "tag-ok", "The issuer's status list says this credential stands."),
    "revoked": ("Revoked", "tag-bad", "The issuer's status list says it revoked this credential."),
    "suspended": (
        "Suspended",
        "tag-bad",
        "The issuer's status list says it has suspended this credential for now.",
    ),
    "unknown": (
        "Status unknown",
        "tag-wait",
        "The issuer keeps its status in a kind of list this backpack cannot read, so whether "
        "it was revoked is not known.",
    ),
    "unreachable": (
        "Status not checked",
        "tag-wait",
        "The issuer's status list could not be fetched at the last check.",
    ),
    None: ("No status list", "tag-wait", "The issuer publishes no status for this credential."),
}
NOT_CHECKED_STATUS = ("Not checked yet", "tag-wait", "Its status has not been checked here yet.")


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _link(value: object) -> str | None:
    if isinstance(value, Mapping):
        value = value.get("id")
    if isinstance(value, str) and value.strip().lower().startswith(("https://", "http://")):
        return value.strip()
    return None


def _list(value: object) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _map(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _inline_image(value: object) -> str | None:
    if isinstance(value, Mapping):
        value = value.get("id")
    if (
        isinstance(value, str)
        and value.startswith(INLINE_IMAGE_TYPES)
        and len(value) <= MAX_INLINE_IMAGE
    ):
        return value
    return None


def _date(value: object) -> str | None:
    text = _text(value)
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return text


@dataclass(frozen=True)
class Party:
    """An issuer or endorser: its name, its identifier (a DID or URL) and a picture."""

    name: str
    identifier: str | None
    link: str | None  # its web site, else its identifier when that is a URL
    image: str | None
    identifier_link: str | None = None  # the identifier itself, when it is an http(s) URL


@dataclass(frozen=True)
class ResultRow:
    """One result of the achievement, named by its result description."""

    name: str
    value: str
    required: str | None


@dataclass(frozen=True)
class Endorsement:
    """Someone's endorsement of the badge, its achievement or its issuer."""

    about: str
    endorser: Party
    comment: str | None
    issued: str | None
    verified: bool | None  # only when the report says


@dataclass(frozen=True)
class ProofRow:
    """The proof that verified the credential, and the key it used."""

    type: str
    cryptosuite: str | None
    method: str | None
    method_link: str | None


@dataclass(frozen=True)
class CredentialView:
    """The 3.0 parts of a badge page."""

    title: str | None
    achievement_type: str | None
    issuer: Party
    valid_from: str | None
    valid_until: str | None
    awarded: str | None
    status: tuple[str, str, str]
    proof: ProofRow | None
    form: str
    file_label: str  # the original's download, named by its form
    results: list[ResultRow] = field(default_factory=list)
    endorsements: list[Endorsement] = field(default_factory=list)


def _party(profile: object) -> Party:
    if isinstance(profile, str):
        return Party(profile, profile, _link(profile), None, _link(profile))
    data = _map(profile)
    identifier = _text(data.get("id"))
    name = _text(data.get("name")) or identifier or "An unnamed issuer"
    return Party(
        name,
        identifier,
        _link(data.get("url")) or _link(identifier),
        _inline_image(data.get("image")),
        _link(identifier),
    )


def view_credential(badge: Badge) -> CredentialView | None:
    """The 3.0 facts of a badge, or None for an older badge."""
    credential = _map((badge.assertion or {}).get("credential"))
    if badge.version != "3.0" or not credential:
        return None
    subject = _map(next(iter(_list(credential.get("credentialSubject"))), None))
    achievement = _map(subject.get("achievement"))
    report = badge.last_report or {}
    achievement_name = _text(achievement.get("name"))
    title = _text(credential.get("name"))
    return CredentialView(
        title=title if title != achievement_name else None,
        achievement_type=_text(achievement.get("achievementType")),
        issuer=_party(credential.get("issuer")),
        valid_from=_date(credential.get("validFrom") or credential.get("issuanceDate")),
        valid_until=_date(credential.get("validUntil") or credential.get("expirationDate")),
        awarded=_date(credential.get("awardedDate")),
        status=_status(badge, report),
        proof=_proof(report.get("proof")),
        form="a VC-JWT (signed JWT)" if is_jwt(badge) else "JSON with an embedded proof",
        file_label="Credential (VC-JWT)" if is_jwt(badge) else "Credential (JSON)",
        results=_results(subject, achievement),
        endorsements=_endorsements(credential, achievement, report),
    )


def _status(badge: Badge, report: Mapping[str, Any]) -> tuple[str, str, str]:
    if badge.is_unchecked or "credential_status" not in report:
        return NOT_CHECKED_STATUS
    return STATUS_LABELS.get(report.get("credential_status"), NOT_CHECKED_STATUS)


def _proof(value: object) -> ProofRow | None:
    proof = _map(value)
    kind = _text(proof.get("type"))
    if kind is None:
        return None
    method = _text(proof.get("verification_method"))
    return ProofRow(kind, _text(proof.get("cryptosuite")), method, _link(method))


def _results(subject: Mapping[str, Any], achievement: Mapping[str, Any]) -> list[ResultRow]:
    descriptions = {
        d.get("id"): d
        for d in map(_map, _list(achievement.get("resultDescription")))
        if isinstance(d.get("id"), str)
    }
    # A result may name a level of another description's rubric (1EdTech's own examples do).
    levels = {
        level.get("id"): level
        for d in descriptions.values()
        for level in map(_map, _list(d.get("rubricCriterionLevel")))
    }
    rows = []
    for result in map(_map, _list(subject.get("result"))):
        description = _map(descriptions.get(result.get("resultDescription")))
        level = _map(levels.get(result.get("achievedLevel")))
        value = _text(result.get("value"))
        # What was required is shown beside a value only: a level or a status is not one.
        required = _text(description.get("requiredValue")) if value else None
        value = value or _text(level.get("name")) or _text(level.get("level"))
        value = value or _text(result.get("status"))
        if value is None:
            continue
        rows.append(ResultRow(_text(description.get("name")) or "Result", value, required))
    return rows


def _endorsements(
    credential: Mapping[str, Any], achievement: Mapping[str, Any], report: Mapping[str, Any]
) -> list[Endorsement]:
    checked = {
        e.get("id"): e.get("valid")
        for e in map(_map, _list(report.get("endorsements")))
        if isinstance(e.get("id"), str) and isinstance(e.get("valid"), bool)
    }
    found: list[tuple[str, object]] = []
    for about, holder in (
        ("this badge", credential),
        ("the achievement", achievement),
        ("the issuer", _map(credential.get("issuer"))),
    ):
        found += [(about, e) for e in _list(holder.get("endorsement"))]
        found += [(about, _jwt_payload(t)) for t in _list(holder.get("endorsementJwt"))]
    rows = []
    for about, value in found:
        endorsement = _map(value)
        if not endorsement:
            continue
        subject = _map(next(iter(_list(endorsement.get("credentialSubject"))), None))
        rows.append(
            Endorsement(
                about=about,
                endorser=_party(endorsement.get("issuer")),
                comment=_text(subject.get("endorsementComment")) or _text(endorsement.get("name")),
                issued=_date(endorsement.get("validFrom") or endorsement.get("issuanceDate")),
                verified=checked.get(endorsement.get("id")),
            )
        )
    return rows


def _jwt_payload(token: object) -> Mapping[str, Any]:
    """An endorsement JWT's credential, read for display only (the report says if it holds)."""
    if not isinstance(token, str) or len(token) > MAX_JWT_DISPLAYED or token.count(".") != 2:
        return {}
    part = token.split(".")[1]
    try:
        payload = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (ValueError, binascii.Error):
        return {}
    payload = _map(payload)
    return _map(payload.get("vc")) or payload
