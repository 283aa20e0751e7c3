"""bench/load.py's data: earners with badges, a published collection and a Badge Connect token.

Written straight to the database (what is measured is the load, not how data got there),
with the server's own models and services and production's Argon2 cost for the password.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from backpack import create_app
from backpack.config import DEFAULTS
from backpack.extensions import db
from backpack.models import Badge, BadgeClass, Image, Issuer, User
from backpack.services import accounts, collections, emails, sharing
from tests.conftest import make_test_config
from tests.support.issuer import make_png
from tests.support.oauth import seed_access_token, seed_client

PASSWORD = "a long enough load-test passphrase"  # noqa: S105 (every seeded earner's)
BADGES_PER_EARNER = 12
ISSUER_SITE = "https://issuer.example"


@dataclass(frozen=True)
class Earner:
    """A seeded account and what the load needs of it."""

    address: str
    token: str  # a Badge Connect bearer token with every scope
    badge_ids: tuple[int, ...]
    public_path: str  # its published collection's page


def seed_earners(database_url: str, workdir: Path, count: int) -> list[Earner]:
    """`count` earners, each with badges in a published collection and a token."""
    settings = make_test_config(database_url, workdir)
    for name in ("ARGON2_TIME_COST", "ARGON2_MEMORY_COST", "ARGON2_PARALLELISM"):
        settings[name] = DEFAULTS[name]  # log-ins verify a hash of production's cost
    app = create_app(settings)
    with app.app_context():
        image, issuer = _shared_image_and_issuer()
        client = seed_client()
        password_hash = ""
        earners = []
        for number in range(count):
            address = f"earner{number}@load.example"
            if not password_hash:
                user = accounts.create_account(address, PASSWORD, name="Earner", verified=True)
                password_hash = user.password_hash
            else:  # one Argon2 hash serves all: the same password, made at the same cost
                user = User(name=f"Earner {number}", password_hash=password_hash)
                db.session.add(user)
                db.session.flush()
                emails.add_verified_email(user, address)
            badge_ids = [
                _stored_badge(user, number, n, image, issuer).id for n in range(BADGES_PER_EARNER)
            ]
            collection = collections.create_collection(user, "My badges", "What I learnt.")
            collections.add_badges(collection, badge_ids)
            sharing.publish_collection(collection)
            token = seed_access_token(client, user.id, expires_in=24 * 3600)
            earners.append(
                Earner(
                    address,
                    token,
                    tuple(badge_ids),
                    f"/public/collections/{collection.share_token}",
                )
            )
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return earners


def _shared_image_and_issuer() -> tuple[Image, Issuer]:
    data = make_png((36, 83, 200), 64)
    image = Image(
        sha256=hashlib.sha256(data).hexdigest(),
        mime_type="image/png",
        byte_size=len(data),
        data=data,
    )
    document = {"id": f"{ISSUER_SITE}/issuer.json", "type": "Issuer",
                "name": "Seeded Institute", "url": f"{ISSUER_SITE}/"}  # fmt: skip
    issuer = Issuer(iri=document["id"], content_sha256=secrets.token_hex(32),
                    name="Seeded Institute", url=f"{ISSUER_SITE}/", document=document)  # fmt: skip
    db.session.add_all([image, issuer])
    return image, issuer


def _stored_badge(user: User, earner: int, number: int, image: Image, issuer: Issuer) -> Badge:
    class_doc: dict[str, Any] = {
        "id": f"{ISSUER_SITE}/badges/{earner}-{number}.json",
        "type": "BadgeClass",
        "name": f"Skill number {number}",
        "description": "Awarded for a skill shown in the workshop. " * 3,
        "criteria": {"narrative": "Show the skill to an assessor."},
        "issuer": issuer.document,
    }
    badge_class = BadgeClass(
        iri=class_doc["id"], content_sha256=secrets.token_hex(32), issuer=issuer, image=image,
        name=class_doc["name"], description=class_doc["description"], document=class_doc,
    )  # fmt: skip
    issued = datetime.now(UTC) - timedelta(days=30 + number)
    assertion_id = f"{ISSUER_SITE}/assertions/{earner}-{number}.json"
    assertion = {
        "@context": "https://w3id.org/openbadges/v2", "type": "Assertion", "id": assertion_id,
        "badge": class_doc, "issuedOn": issued.isoformat(),
        "recipient": {"type": "email", "hashed": False, "identity": user.emails[0].address},
        "verification": {"type": "HostedBadge"},
    }  # fmt: skip
    badge = Badge(
        user_id=user.id, badge_class=badge_class, image=image, status="accepted",
        verification="valid", recipient=user.emails[0].address,
        fingerprint=hashlib.sha256(assertion_id.encode()).hexdigest(),
        assertion_iri=assertion_id, version="2.0", verification_kind="hosted", source="url",
        source_url=assertion_id, original_payload=assertion_id, assertion=assertion,
        issued_on=issued, last_report={"valid": True},
    )  # fmt: skip
    db.session.add(badge)
    db.session.flush()
    return badge
