"""What a badge page shows, taken from the stored assertion with every link made safe."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from backpack.models import Badge
from backpack.models.badges import UNCHECKED
from backpack.web.credential_presenter import CredentialView, view_credential


def safe_link(value: object) -> str | None:
    """An http(s) URL from issuer data, or None (no javascript: or data: links on our pages)."""
    if isinstance(value, dict):
        value = value.get("id")
    if isinstance(value, str) and value.strip().lower().startswith(("https://", "http://")):
        return value.strip()
    return None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _as_list(value: object) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


@dataclass(frozen=True)
class Evidence:
    url: str | None
    name: str | None
    narrative: str | None


@dataclass(frozen=True)
class Alignment:
    name: str
    url: str | None
    description: str | None
    framework: str | None
    code: str | None


@dataclass(frozen=True)
class BadgeView:
    """The displayable facts of one badge."""

    name: str
    description: str
    criteria_url: str | None
    criteria_narrative: str | None
    issuer_name: str
    issuer_url: str | None
    issuer_email: str | None
    narrative: str | None
    evidence: list[Evidence] = field(default_factory=list)
    alignments: list[Alignment] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)
    hosted_url: str | None = None
    earlier_check: str | None = None
    credential: CredentialView | None = None  # an Open Badges 3.0 badge's own parts
    issuer_image: str | None = None


def view_badge(badge: Badge) -> BadgeView:
    """Gather what the badge page shows."""
    assertion: dict[str, Any] = badge.assertion or {}
    badge_class: dict[str, Any] = badge.badge_class.document or {}
    issuer: dict[str, Any] = badge.badge_class.issuer.document or {}
    if badge.version == "3.0" and isinstance(assertion.get("badge"), dict):
        # A credential's achievement and issuer, shaped like a BadgeClass and its Issuer.
        badge_class = assertion["badge"]
        achievement_issuer = badge_class.get("issuer")
        issuer = achievement_issuer if isinstance(achievement_issuer, dict) else {}
    criteria = badge_class.get("criteria")
    report = badge.last_report or {}
    return BadgeView(
        name=badge.name,
        description=badge.badge_class.description,
        criteria_url=safe_link(criteria),
        criteria_narrative=_text(criteria.get("narrative")) if isinstance(criteria, dict) else None,
        issuer_name=badge.issuer_name,
        issuer_url=safe_link(issuer.get("url")) or safe_link(issuer.get("id")),
        issuer_email=_text(issuer.get("email")),
        narrative=_text(assertion.get("narrative")),
        evidence=[_evidence(item) for item in _as_list(assertion.get("evidence"))],
        alignments=[
            a for a in (_alignment(item) for item in _as_list(badge_class.get("alignment"))) if a
        ],
        tags=[t for t in _as_list(badge_class.get("tags")) if isinstance(t, str)],
        errors=[m for m in report.get("errors", []) if isinstance(m, dict)],
        warnings=[m for m in report.get("warnings", []) if isinstance(m, dict)],
        hosted_url=safe_link(badge.source_url),
        earlier_check=earlier_check(badge),
        credential=view_credential(badge),
        issuer_image=embedded_image(issuer.get("image")),
    )


# Pictures an issuer profile may carry within itself (an SVG in an <img> runs no script).
EMBEDDED_IMAGE_TYPES = ("png", "jpeg", "gif", "webp", "svg+xml")
EMBEDDED_IMAGE_MAX = 256 * 1024


def embedded_image(value: object) -> str | None:
    """An issuer's image when its profile embeds it as a data: URL, else None.

    A linked one is not shown: the pages load pictures from this server only (a visitor's
    address is not handed to every issuer), and issuer pictures are not fetched and kept."""
    if isinstance(value, dict):
        value = value.get("id")
    if not isinstance(value, str) or len(value) > EMBEDDED_IMAGE_MAX:
        return None
    head = value[: value.find(",") + 1].lower()
    kinds = tuple(f"data:image/{kind};base64," for kind in EMBEDDED_IMAGE_TYPES)
    return value if head in kinds else None


def earlier_check(badge: Badge) -> str | None:
    """For a badge not checked here yet, when its source last checked it, in its source's
    name ("Mozilla Backpack last checked it on 2018-05-01"); never shown as a check of ours."""
    if not badge.is_unchecked:
        return None
    elsewhere = (badge.last_report or {}).get("checked_elsewhere")
    if not isinstance(elsewhere, dict):
        return None
    by, at = _text(elsewhere.get("by")), _text(elsewhere.get("at"))
    try:
        when = datetime.fromisoformat(at) if at else None
    except ValueError:
        when = None
    if by is None or when is None:
        return None
    return f"{by} last checked it on {when:%Y-%m-%d}"


def _evidence(item: object) -> Evidence:
    if isinstance(item, dict):
        return Evidence(
            safe_link(item.get("id")), _text(item.get("name")), _text(item.get("narrative"))
        )
    return Evidence(safe_link(item), None, None)


def _alignment(item: object) -> Alignment | None:
    if not isinstance(item, dict):
        return None
    name = _text(item.get("targetName"))
    if name is None:
        return None
    return Alignment(
        name=name,
        url=safe_link(item.get("targetUrl")),
        description=_text(item.get("targetDescription")),
        framework=_text(item.get("targetFramework")),
        code=_text(item.get("targetCode")),
    )


VERDICT_LABELS = {
    "valid": ("Verified", "tag-ok", "The issuer confirms this badge, and it is awarded to you."),
    UNCHECKED: (
        "Not checked yet",
        "tag-wait",
        "This badge came with an import and has not been checked with its issuer here yet. "
        "That happens in the background soon after an import, or now with “Check again now”.",
    ),
    "expired": ("Expired", "tag-wait", "The badge was genuine but its expiry date has passed."),
    "unverifiable": (
        "Unverifiable",
        "tag-wait",
        "The issuer's server could not be reached, so the badge could not be checked. "
        "It is kept, and checked again later.",
    ),
    "revoked": ("Revoked", "tag-bad", "The issuer has revoked this badge."),
    "invalid": ("Not valid", "tag-bad", "The last check found a problem with this badge."),
}
STATUS_LABELS = {
    "accepted": "In your backpack",
    "pending": "Waiting for you to verify its address",
    "rejected": "Rejected",
}
