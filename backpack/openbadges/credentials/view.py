"""A credential as the assertion the backpack stores and shows (OB3-SHAPES.md).

Pages, collections and exports read `Badge.assertion` in the 2.0 shape (an assertion with
its BadgeClass and issuer embedded); a 3.0 credential is shown through the same shape, its
Achievement as the BadgeClass, with the whole credential kept under `credential` for what
2.0 has no place for (results, endorsements, status, proof).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from backpack.openbadges.credentials.extract import VC_1_1_CONTEXT, as_list, first_context
from backpack.openbadges.recipient import RecipientMatch, identity_matches
from backpack.openbadges.report import BadgeSummary

# Open Badges 3.0 `identityType` values that a 2.0 IdentityObject names otherwise.
_IDENTITY_TYPES = {"emailAddress": "email"}


def assertion_view(credential: Mapping[str, Any], matched: RecipientMatch | None) -> dict[str, Any]:
    """The stored/shown view of a credential; `matched` picks the recipient identifier."""
    subject = _node(credential.get("credentialSubject"))
    achievement = _node(subject.get("achievement"))
    v1 = first_context(credential) == VC_1_1_CONTEXT
    view: dict[str, Any] = {
        "id": credential.get("id"),
        "type": "OpenBadgeCredential",
        "recipient": _shown_recipient(subject, matched),
        "badge": _badge(achievement, _node(credential.get("issuer"))),
        "issuedOn": credential.get("issuanceDate" if v1 else "validFrom"),
        "credential": dict(credential),
    }
    expires = credential.get("expirationDate" if v1 else "validUntil")
    if expires is not None:
        view["expires"] = expires
    image = _image(credential.get("image"))
    if image is not None:
        view["image"] = image
    if credential.get("evidence") is not None:
        view["evidence"] = as_list(credential["evidence"])
    return view


def summary(view: Mapping[str, Any]) -> BadgeSummary:
    """The at-a-glance summary of a credential's view."""
    badge = view.get("badge") or {}
    issuer = badge.get("issuer") or {}
    return BadgeSummary(
        name=_text(badge.get("name")) or _text(view["credential"].get("name")),
        issuer_name=_text(issuer.get("name")),
        issued_on=_text(view.get("issuedOn")),
        expires=_text(view.get("expires")),
    )


def credential_key(credential: Mapping[str, Any]) -> tuple[str, str]:
    """Issuer id and credential id, percent-unescaped and trimmed: two copies of one
    credential have the same key (specification, "Equality and comparison")."""
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    return _comparable(issuer_id), _comparable(credential.get("id"))


def identity_objects(subject: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The subject's identities as 2.0 IdentityObjects: its `id`, then each `identifier`."""
    found: list[dict[str, Any]] = []
    subject_id = subject.get("id")
    if isinstance(subject_id, str):
        found.append({"type": "id", "identity": subject_id, "hashed": False})
        if subject_id.lower().startswith("mailto:"):
            found.append({"type": "email", "identity": subject_id[7:], "hashed": False})
    for entry in as_list(subject.get("identifier")):
        if not isinstance(entry, dict) or not isinstance(entry.get("identityHash"), str):
            continue
        kind = entry.get("identityType")
        identity: dict[str, Any] = {
            "type": _IDENTITY_TYPES.get(kind, kind) if isinstance(kind, str) else "id",
            "identity": entry["identityHash"],
            "hashed": entry.get("hashed") is True or str(entry.get("hashed")).lower() == "true",
        }
        if isinstance(entry.get("salt"), str):
            identity["salt"] = entry["salt"]
        found.append(identity)
    return found


def _shown_recipient(
    subject: Mapping[str, Any], matched: RecipientMatch | None
) -> dict[str, Any] | None:
    identities = identity_objects(subject)
    if matched is not None:
        for identity in identities:
            if identity_matches(identity, matched.identity):
                return identity
    return identities[0] if identities else None


def _badge(achievement: Mapping[str, Any], issuer: Mapping[str, Any]) -> dict[str, Any]:
    criteria = _node(achievement.get("criteria"))
    badge: dict[str, Any] = {
        "id": achievement.get("id"),
        "type": "Achievement",
        "name": achievement.get("name"),
        "description": achievement.get("description"),
        "criteria": {key: criteria[key] for key in ("id", "narrative") if key in criteria},
        "alignment": as_list(achievement.get("alignment")),
        "tags": as_list(achievement.get("tag")),
        "issuer": _issuer(issuer),
    }
    image = _image(achievement.get("image"))
    if image is not None:
        badge["image"] = image
    return badge


def _issuer(issuer: Mapping[str, Any]) -> dict[str, Any]:
    shown: dict[str, Any] = {"id": issuer.get("id"), "type": "Profile"}
    for key in ("name", "url", "email"):
        if isinstance(issuer.get(key), str):
            shown[key] = issuer[key]
    image = _image(issuer.get("image"))
    if image is not None:
        shown["image"] = image
    return shown


def _image(value: Any) -> str | None:
    # An Image is an object with an `id` (a URL or data: URI) in 3.0; a bare string in
    # credentials written the 2.0 way.
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value.strip() else None


def _node(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    return {"id": value} if isinstance(value, str) else {}


def _comparable(value: Any) -> str:
    return unquote(value).strip() if isinstance(value, str) else ""


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
