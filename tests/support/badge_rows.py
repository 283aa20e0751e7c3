"""Badges written straight to the database, for tests of what is done with stored badges.

Intake (fetching, verifying) has its own tests; collections and sharing only need badges
that look exactly like stored ones, many of them, quickly.
"""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask

from backpack.extensions import db
from backpack.models import Badge, BadgeClass, Image, Issuer
from backpack.models.base import utcnow
from backpack.openbadges.recipient import identity_hash
from tests.support.issuer import make_png

_numbers = itertools.count(1)
ISSUER_URL = "https://issuer.example/"


def _image(colour: tuple[int, int, int]) -> Image:
    data = make_png(colour)
    digest = hashlib.sha256(data).hexdigest()
    found = db.session.scalar(sa.select(Image).where(Image.sha256 == digest))
    if found is not None:
        return found
    image = Image(
        sha256=digest, mime_type="image/png", width=32, height=32, byte_size=len(data), data=data
    )
    db.session.add(image)
    return image


def make_badge(
    app: Flask,
    user_id: int,
    *,
    name: str = "Robotics Level 1",
    recipient: str = "ann@example.org",
    status: str = "accepted",
    verification: str = "valid",
    hashed: bool = True,
    issuer_name: str = "Example Institute",
    image: bool = True,
    **assertion_extra: Any,
) -> int:
    """Store one badge as intake would have, and return its id."""
    number = next(_numbers)
    with app.app_context():
        issuer_doc = {
            "id": f"{ISSUER_URL}issuer.json",
            "type": "Issuer",
            "name": issuer_name,
            "url": ISSUER_URL,
            "email": "badges@issuer.example",
        }
        issuer_digest = hashlib.sha256(issuer_name.encode()).hexdigest()
        issuer = db.session.scalar(
            sa.select(Issuer).where(
                Issuer.iri == issuer_doc["id"], Issuer.content_sha256 == issuer_digest
            )
        )
        if issuer is None:
            issuer = Issuer(
                iri=issuer_doc["id"],
                content_sha256=issuer_digest,
                name=issuer_name,
                url=ISSUER_URL,
                email="badges@issuer.example",
                document=issuer_doc,
            )
        class_doc = {
            "id": f"{ISSUER_URL}badges/{number}.json",
            "type": "BadgeClass",
            "name": name,
            "description": f"Awarded for {name.lower()}.",
            "image": f"{ISSUER_URL}image.png",
            "criteria": {"narrative": "Build a robot that follows a line."},
            "issuer": issuer_doc,
        }
        badge_class = BadgeClass(
            iri=class_doc["id"],
            content_sha256=hashlib.sha256(f"class-{number}".encode()).hexdigest(),
            issuer=issuer,
            image=_image((36, 83, 200)) if image else None,
            name=name,
            description=class_doc["description"],
            document=class_doc,
        )
        salt = "pepper"
        assertion_id = f"{ISSUER_URL}assertions/{number}.json"
        issued = datetime.now(UTC) - timedelta(days=30)
        assertion: dict[str, Any] = {
            "@context": "https://w3id.org/openbadges/v2",
            "type": "Assertion",
            "id": assertion_id,
            "recipient": {
                "type": "email",
                "hashed": hashed,
                "identity": identity_hash(recipient, salt) if hashed else recipient,
                **({"salt": salt} if hashed else {}),
            },
            "badge": class_doc,
            "verification": {"type": "HostedBadge"},
            "issuedOn": issued.isoformat(),
            **assertion_extra,
        }
        badge = Badge(
            user_id=user_id,
            badge_class=badge_class,
            image=badge_class.image,
            status=status,
            verification=verification,
            recipient=recipient,
            fingerprint=hashlib.sha256(assertion_id.encode()).hexdigest(),
            assertion_iri=assertion_id,
            version="2.0",
            verification_kind="hosted",
            source="url",
            source_url=assertion_id,
            original_payload=assertion_id,
            assertion=assertion,
            issued_on=issued,
            last_report={"valid": verification == "valid", "errors": [], "warnings": []},
            last_verified_at=utcnow(),
        )
        db.session.add(badge)
        db.session.commit()
        return badge.id
