"""Open Badges 3.0 credentials for tests: the 1EdTech fixtures' text, and the view that
intake stores for one (OB3-SHAPES: `Badge.assertion`), built here without verifying it.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

OB30_DATA = (
    Path(__file__).parent.parent
    / "data/corpus/digital-credentials-public-validator/inspector-vc/src/test/resources/ob30"
)


def corpus_credential(name: str) -> str:
    """The text of a 3.0 credential from the 1EdTech validator's fixtures (JSON or JWS)."""
    return (OB30_DATA / name).read_text()


def credential_document(original: str) -> dict[str, Any]:
    text = original.strip()
    if text.startswith("{"):
        document: dict[str, Any] = json.loads(text)
        return document
    part = text.split(".")[1]
    payload: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return payload.get("vc", payload)


def _image_id(value: object) -> object:
    return value.get("id") if isinstance(value, dict) else value


def credential_view(credential: dict[str, Any]) -> dict[str, Any]:
    """The stored view of a credential, as OB3-SHAPES agrees (credentials/view.py)."""
    subject = credential.get("credentialSubject") or {}
    achievement = subject.get("achievement") or {}
    issuer = credential.get("issuer") or {}
    identifiers = subject.get("identifier") or []
    first = identifiers[0] if identifiers else None
    recipient = (
        {
            "type": first.get("identityType"),
            "identity": first.get("identityHash"),
            "hashed": bool(first.get("hashed")),
            **({"salt": first["salt"]} if "salt" in first else {}),
        }
        if first
        else {"type": "id", "identity": subject.get("id"), "hashed": False}
    )
    badge = {
        "id": achievement.get("id"),
        "type": "Achievement",
        "name": achievement.get("name") or credential.get("name"),
        "description": achievement.get("description", ""),
        "criteria": achievement.get("criteria", {}),
        "alignment": achievement.get("alignment", []),
        "tags": achievement.get("tag", []),
        "issuer": {
            "id": issuer.get("id"),
            "type": "Profile",
            "name": issuer.get("name"),
            "url": issuer.get("url"),
            "email": issuer.get("email"),
            "image": _image_id(issuer.get("image")),
        },
    }
    if achievement.get("image"):
        badge["image"] = _image_id(achievement["image"])
    view: dict[str, Any] = {
        "id": credential.get("id"),
        "type": "OpenBadgeCredential",
        "recipient": recipient,
        "badge": badge,
        "issuedOn": credential.get("validFrom") or credential.get("issuanceDate"),
        "credential": credential,
    }
    if credential.get("validUntil") or credential.get("expirationDate"):
        view["expires"] = credential.get("validUntil") or credential.get("expirationDate")
    if credential.get("evidence"):
        view["evidence"] = credential["evidence"]
    return view


def hash_identifiers(credential: dict[str, Any]) -> None:
    """Make the credential's recipient identifiers hashed, as most issuers send them (the
    proof no longer holds: for pages, which show the stored verdict, not for verifying)."""
    for entry in credential["credentialSubject"]["identifier"]:
        entry.update(hashed=True, identityHash="sha256$" + "ab" * 32, salt="pepper")
