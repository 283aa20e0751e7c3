"""Open Badges 3.0 credentials as the backpack stores them, without the 3.0 verifier.

The shapes are the ones agreed in OB3-SHAPES.md: an OpenBadgeCredential (VC data model
2.0), its stored view (`credentials.view.assertion_view`: a 2.0-shaped assertion with the
whole credential under `credential`), and the report `verify_badge` gives for it
(`version == "3.0"`). Tests of what is done with a verified 3.0 badge (keeping, replacing,
collections, exports) use these; the verifier has its own tests.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from backpack.openbadges import ProofSummary, VerificationReport, summarise
from tests.support.issuer import make_png

VC2 = "https://www.w3.org/ns/credentials/v2"
OB3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
ISSUER_DID = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
PROOF = ProofSummary("DataIntegrityProof", "eddsa-rdfc-2022", f"{ISSUER_DID}#z6Mkha")


def credential(
    email: str = "ann@example.org",
    *,
    credential_id: str = "urn:uuid:91537dba-56cb-11ec-bf63-0242ac130002",
    issuer_id: str = ISSUER_DID,
    valid_from: datetime | None = None,
    name: str = "Robotics Level 1",
    salt: str = "pepper",
) -> dict[str, Any]:
    """An OpenBadgeCredential awarded to a hashed email address (its proof left out)."""
    issued = valid_from or datetime.now(UTC) - timedelta(days=30)
    digest = hashlib.sha256((email + salt).encode()).hexdigest()
    image = "data:image/png;base64," + base64.b64encode(make_png((10, 160, 90))).decode()
    return {
        "@context": [VC2, OB3],
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer_id, "type": ["Profile"], "name": "Example Institute 3"},
        "validFrom": issued.isoformat(),
        "name": name,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "emailAddress",
                    "hashed": True,
                    "identityHash": f"sha256${digest}",
                    "salt": salt,
                }
            ],
            "achievement": {
                "id": "https://issuer3.example/achievements/robotics",
                "type": ["Achievement"],
                "name": name,
                "description": f"Awarded for {name.lower()}.",
                "criteria": {"narrative": "Build a robot that follows a line."},
                "image": {"id": image, "type": "Image"},
            },
        },
    }


def credential_view(document: dict[str, Any]) -> dict[str, Any]:
    """The stored view of a credential (OB3-SHAPES.md), matched on its first identifier."""
    subject = document["credentialSubject"]
    achievement = subject["achievement"]
    identifier = subject["identifier"][0]
    issuer = document["issuer"]
    return {
        "id": document["id"],
        "type": "OpenBadgeCredential",
        "recipient": {
            "type": "email",
            "identity": identifier["identityHash"],
            "hashed": True,
            "salt": identifier["salt"],
        },
        "badge": {
            "id": achievement["id"],
            "type": "Achievement",
            "name": achievement["name"],
            "description": achievement["description"],
            "criteria": achievement["criteria"],
            "image": achievement["image"]["id"],
            "alignment": [],
            "tags": [],
            "issuer": {"id": issuer["id"], "type": "Profile", "name": issuer["name"]},
        },
        "issuedOn": document["validFrom"],
        "credential": copy.deepcopy(document),
    }


def credential_report(
    document: dict[str, Any], *, matched: str | None = "ann@example.org"
) -> VerificationReport:
    """The report verify_badge gives for a credential that checks out, matched to `matched`."""
    view = credential_view(document)
    return VerificationReport(
        version="3.0",
        recipient_matched=matched is not None,
        matched_identity=matched,
        assertion=view,
        badge=summarise(view),
        verification_kind="signed",
        proof=PROOF,
        credential_status=None,
    )


def text(document: dict[str, Any]) -> str:
    """A credential as an issuer hands it out: JSON text, laid out its own way."""
    return json.dumps(document, indent=1)
