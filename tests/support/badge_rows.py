"""Badges written straight to the database, for tests of what is done with stored badges.

Intake (fetching, verifying) has its own tests; collections and sharing only need badges
that look exactly like stored ones, many of them, quickly.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask

from backpack.extensions import db
from backpack.models import Badge, BadgeClass, Image, Issuer
from backpack.models.base import utcnow
from backpack.openbadges.recipient import identity_hash
from tests.support.credential_views import corpus_credential, credential_document, credential_view
from tests.support.issuer import make_png, make_svg

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


def make_credential_badge(
    app: Flask,
    user_id: int,
    *,
    original: str | None = None,
    status: str = "accepted",
    verification: str = "valid",
    image: str | None = "png",
    report: dict[str, Any] | None = None,
    edit: Callable[[dict[str, Any]], None] | None = None,
) -> int:
    """Store one Open Badges 3.0 badge as intake would (OB3-SHAPES): the view in `assertion`,
    the credential text verbatim in `original_payload`; returns its id.

    `original` defaults to the 1EdTech `complete.json`; `edit` changes the parsed credential
    first (the stored original is then its JSON), for hostile text in the fields.
    """
    text = original if original is not None else corpus_credential("complete.json")
    credential = credential_document(text)
    if edit is not None:
        edit(credential)
        text = json.dumps(credential, indent=2)
    view = credential_view(credential)
    name = view["badge"]["name"] or "A credential"
    jwt = not text.lstrip().startswith("{")
    with app.app_context():
        issuer_doc = view["badge"]["issuer"]
        issuer_digest = hashlib.sha256(json.dumps(issuer_doc).encode()).hexdigest()
        issuer = db.session.scalar(
            sa.select(Issuer).where(
                Issuer.iri == issuer_doc["id"], Issuer.content_sha256 == issuer_digest
            )
        ) or Issuer(
            iri=issuer_doc["id"],
            content_sha256=issuer_digest,
            name=issuer_doc["name"] or "",
            url=issuer_doc["url"],
            email=issuer_doc["email"],
            document=issuer_doc,
        )
        # A picture of its own per badge, as issuers give: pages must not load them one by one.
        shade = next(_numbers) % 256
        pictures = {"png": lambda: _image((120, 40, shade)), "svg": _svg_image}
        badge_class = BadgeClass(
            iri=view["badge"]["id"] or f"urn:test:{next(_numbers)}",
            content_sha256=hashlib.sha256(f"cred-class-{next(_numbers)}".encode()).hexdigest(),
            issuer=issuer,
            image=pictures[image]() if image else None,
            name=name,
            description=view["badge"]["description"],
            document=view["badge"],
        )
        issued = datetime.fromisoformat(view["issuedOn"].replace("Z", "+00:00"))
        expires = view.get("expires")
        # Unique per row here (tests store one credential many times); intake uses issuer+id.
        fingerprint = hashlib.sha256(f"{view['id']} {next(_numbers)}".encode()).hexdigest()
        badge = Badge(
            user_id=user_id,
            badge_class=badge_class,
            image=badge_class.image,
            status=status,
            verification=verification,
            recipient=view["recipient"]["identity"] or "",
            fingerprint=fingerprint,
            assertion_iri=view["id"],
            version="3.0",
            verification_kind="signed",
            source="upload",
            original_payload=text,
            assertion=view,
            issued_on=issued,
            expires_at=datetime.fromisoformat(expires.replace("Z", "+00:00")) if expires else None,
            last_report=report
            or {
                "valid": verification == "valid",
                "version": "3.0",
                "errors": [],
                "warnings": [],
                "proof": {
                    "type": "VC-JWT" if jwt else "DataIntegrityProof",
                    "cryptosuite": "RS256" if jwt else "eddsa-rdfc-2022",
                    "verification_method": "https://1edtech.edu/issuers/565049#key-1",
                },
                "credential_status": "active",
            },
            last_verified_at=utcnow(),
        )
        db.session.add(badge)
        db.session.commit()
        return badge.id


def _svg_image() -> Image:
    data = make_svg()
    digest = hashlib.sha256(data).hexdigest()
    found = db.session.scalar(sa.select(Image).where(Image.sha256 == digest))
    if found is not None:
        return found
    image = Image(
        sha256=digest,
        mime_type="image/svg+xml",
        width=64,
        height=64,
        byte_size=len(data),
        data=data,
    )
    db.session.add(image)
    return image


def held_badges(app: Flask) -> list[Badge]:
    """Every stored badge in id order, detached with what tests read of it already loaded
    (original payload, assertion, class, issuer and image)."""
    with app.app_context():
        rows = list(db.session.scalars(sa.select(Badge).order_by(Badge.id)))
        for row in rows:
            _ = row.original_payload, row.assertion, row.badge_class.issuer, row.image
            db.session.expunge(row)
        return rows
