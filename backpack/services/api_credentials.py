"""What the badge exchange APIs (Badge Connect 2.1 and Open Badges 3.0) read and write.

Each API shows the badges of its own version: Badge Connect 2.1 carries Open Badges 2.0
assertions and has no place for a verifiable credential; the 3.0 API carries only
credentials. A grant limited to collections on the consent page sees only their badges.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from backpack.extensions import db
from backpack.models import Badge, Collection, CollectionItem, User
from backpack.services import emails
from backpack.services.badge_intake import BadgeRefused, Received, receive_badge
from backpack.services.errors import ServiceError

OB3_VERSION = "3.0"
PROFILE_CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
# The Profile members PUT /profile understands; any other is refused, never dropped silently.
PROFILE_FIELDS = frozenset({"@context", "id", "type", "name", "email", "otherIdentifier"})


class ProfileRefused(ServiceError):
    """A profile update that cannot be applied as sent."""

    code = "profile_refused"
    status = 400


@dataclass(frozen=True)
class Page:
    """One page of an earner's badges, and how many there are in all."""

    badges: list[Badge]
    total: int


def granted_badges(
    user: User,
    collection_ids: list[int] | None,
    *,
    credentials: bool,
    limit: int,
    offset: int,
    since: datetime | None = None,
) -> Page:
    """The earner's accepted badges a grant may see, newest first.

    `credentials`: Open Badges 3.0 credentials (the 3.0 API), else every older badge
    (Badge Connect). `collection_ids` None: all of them; a list: only those in these
    collections (an empty list: none).
    """
    version = Badge.version == OB3_VERSION if credentials else Badge.version != OB3_VERSION
    conditions = [Badge.user_id == user.id, Badge.status == "accepted", version]
    if collection_ids is not None:
        chosen = (
            sa.select(CollectionItem.badge_id)
            .join(Collection, Collection.id == CollectionItem.collection_id)
            .where(Collection.user_id == user.id, Collection.id.in_(collection_ids))
        )
        conditions.append(Badge.id.in_(chosen))
    if since is not None:
        conditions.append(Badge.created_at > since)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Badge).where(*conditions))
    badges = db.session.scalars(
        sa.select(Badge)
        .where(*conditions)
        .options(orm.undefer(Badge.assertion), orm.undefer(Badge.original_payload))
        .order_by(Badge.created_at.desc(), Badge.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return Page(list(badges), int(total or 0))


def is_compact_jws(payload: str) -> bool:
    """Whether stored or sent text is a compact JWS (a VC-JWT), not JSON or a URL."""
    parts = payload.strip().split(".")
    return len(parts) == 3 and all(parts) and not payload.lstrip().startswith(("{", "http"))


def upsert_credential(user: User, text: str) -> Received:
    """Verify an Open Badges 3.0 credential through the one intake and keep it.

    Anything that verifies but is not a 3.0 credential (a 2.0 assertion has its own API)
    is refused with nothing stored: the intake runs in a savepoint that is rolled back.
    """
    savepoint = db.session.begin_nested()
    try:
        received = receive_badge(user, text, source="push")
    except BaseException:
        savepoint.rollback()
        raise
    if received.badge.version != OB3_VERSION:
        savepoint.rollback()
        raise BadgeRefused(
            "not_a_credential",
            "This API takes Open Badges 3.0 credentials; send 2.0 badges to the Badge "
            "Connect API (/ims/ob/v2p1).",
        )
    savepoint.commit()
    return received


def profile_id(user: User) -> str:
    """A stable URI naming the earner in Profile documents, which reveals nothing."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"backpack:user:{user.id}").urn


def ob3_profile(user: User) -> dict[str, Any]:
    """The earner as an Open Badges 3.0 Profile: name and verified addresses only."""
    profile: dict[str, Any] = {
        "@context": PROFILE_CONTEXT,
        "id": profile_id(user),
        "type": ["Profile"],
        "name": user.display_name,
    }
    verified = [e for e in user.emails if e.verified_at is not None]
    primary = user.primary_email
    if primary is not None:
        profile["email"] = primary.address
    if verified:
        profile["otherIdentifier"] = [
            {"type": "IdentifierEntry", "identifier": e.address, "identifierType": "emailAddress"}
            for e in verified
        ]
    return profile


def update_profile(user: User, profile: dict[str, Any]) -> None:
    """Take the earner's name from a whole Profile and add the addresses it names.

    New addresses are unverified (each gets a verification mail) until the earner verifies
    them; addresses missing from the Profile are kept: removing one is for the earner.
    """
    unknown = sorted(set(profile) - PROFILE_FIELDS)
    if unknown:
        raise ProfileRefused(f"This backpack cannot store the Profile field {unknown[0]}.")
    if "id" in profile and profile["id"] != profile_id(user):
        raise ProfileRefused("The Profile's id is not this earner's (GET /profile gives it).")
    name = profile.get("name")
    if name is not None:
        if not isinstance(name, str) or len(name.strip()) > 200:
            raise ProfileRefused("name must be text of at most 200 characters.")
        user.name = name.strip()
    for address in _addresses(profile):
        if emails.normalise_address(address) not in {e.normalised for e in user.emails}:
            emails.add_email(user, address)
    db.session.flush()


def _addresses(profile: dict[str, Any]) -> list[str]:
    found: list[str] = []
    email = profile.get("email")
    if email is not None:
        if not isinstance(email, str):
            raise ProfileRefused("email must be an email address.")
        found.append(email)
    others = profile.get("otherIdentifier", [])
    if not isinstance(others, list):
        raise ProfileRefused("otherIdentifier must be a list of IdentifierEntry objects.")
    for entry in others:
        if not isinstance(entry, dict) or not isinstance(entry.get("identifier"), str):
            raise ProfileRefused("Each otherIdentifier needs an identifier.")
        if entry.get("identifierType") != "emailAddress":
            raise ProfileRefused("Only emailAddress identifiers can be added here.")
        found.append(entry["identifier"])
    return found


def credential_body(text: str) -> dict[str, Any] | None:
    """A sent JSON credential as an object, or None when it is not a JSON object."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return document if isinstance(document, dict) else None
