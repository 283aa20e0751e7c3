"""A test issuer: hosts Open Badges 2.0 profiles, badge classes, images and assertions on a
real local HTTP server, awards badges (hosted or signed), revokes them, and bakes images.
"""

from __future__ import annotations

import base64
import copy
import functools
import hashlib
import io
import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from joserfc import jws
from joserfc.jwk import RSAKey
from PIL import Image as PILImage

from backpack.openbadges.baking import bake
from tests.support.http_server import LocalHTTPServer

V2 = "https://w3id.org/openbadges/v2"


def make_png(colour: tuple[int, int, int] = (36, 83, 200), size: int = 32) -> bytes:
    """A small real PNG."""
    buffer = io.BytesIO()
    PILImage.new("RGB", (size, size), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def make_svg() -> bytes:
    """A small real SVG."""
    return (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">'
        b'<circle cx="32" cy="32" r="30" fill="#2453c8"/></svg>'
    )


@functools.cache
def _signing_key() -> rsa.RSAPrivateKey:
    # One key per test run: making a 2048-bit key takes a noticeable moment.
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def sign_like_mozilla(payload: dict[str, Any], key: rsa.RSAPrivateKey) -> str:
    """A compact JWS as Mozilla's tools made it (node `jws` with `{alg: "rs256"}`): the header
    says `rs256` in lower case, header and payload are compact `JSON.stringify` output."""

    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    def compact(document: dict[str, Any]) -> bytes:
        return json.dumps(document, separators=(",", ":")).encode()

    signing_input = f"{part(compact({'alg': 'rs256'}))}.{part(compact(payload))}"
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{part(signature)}"


def hashed_identity(email: str, salt: str) -> str:
    return "sha256$" + hashlib.sha256((email + salt).encode()).hexdigest()


class TestIssuer:
    """An issuer organisation living on a LocalHTTPServer."""

    __test__ = False  # not a pytest test class

    def __init__(self, server: LocalHTTPServer, name: str = "Example Institute") -> None:
        self.server = server
        self.name = name
        self._numbers = itertools.count(1)
        self.profile_url = server.url("/issuer.json")
        self.key_url = server.url("/key.json")
        self._private_key = _signing_key()
        public_pem = (
            self._private_key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )
        self.profile: dict[str, Any] = {
            "@context": V2,
            "type": "Issuer",
            "id": self.profile_url,
            "name": name,
            "url": server.url("/"),
            "email": "badges@issuer.example",
            "publicKey": self.key_url,
        }
        server.serve_json("/issuer.json", self.profile)
        server.serve_json(
            "/key.json",
            {
                "@context": V2,
                "type": "CryptographicKey",
                "id": self.key_url,
                "owner": self.profile_url,
                "publicKeyPem": public_pem,
            },
        )
        self.serve_class_image(make_png())

    def serve_class_image(
        self, body: bytes, *, status: int = 200, content_type: str = "image/png"
    ) -> None:
        """Serve the image every badge class names (or, to test refusals, something else)."""
        self.server.serve("/image.png", body, status=status, content_type=content_type)

    def withdraw_class_image(self) -> None:
        """Stop serving the badge class image: it answers 404 from now on."""
        self.serve_class_image(b"Not Found", status=404, content_type="text/plain")

    def badge_class(
        self, slug: str = "robotics", name: str = "Robotics Level 1", **extra: Any
    ) -> str:
        """Host a badge class and return its URL."""
        url = self.server.url(f"/badges/{slug}.json")
        document = {
            "@context": V2,
            "type": "BadgeClass",
            "id": url,
            "name": name,
            "description": f"Awarded for {name.lower()}.",
            "image": self.server.url("/image.png"),
            "criteria": {"narrative": "Build a robot that follows a line."},
            "issuer": self.profile_url,
            **extra,
        }
        self.server.serve_json(f"/badges/{slug}.json", document)
        return url

    def award(
        self,
        email: str,
        *,
        slug: str = "robotics",
        hashed: bool = True,
        salt: str = "pepper",
        issued_on: datetime | None = None,
        expires: datetime | None = None,
        host: bool = True,
        **extra: Any,
    ) -> dict[str, Any]:
        """Award a hosted badge to an address and return its assertion."""
        badge_url = self.badge_class(slug)
        number = next(self._numbers)
        url = self.server.url(f"/assertions/{number}.json")
        recipient: dict[str, Any] = {
            "type": "email",
            "hashed": hashed,
            "identity": hashed_identity(email, salt) if hashed else email,
        }
        if hashed:
            recipient["salt"] = salt
        assertion: dict[str, Any] = {
            "@context": V2,
            "type": "Assertion",
            "id": url,
            "recipient": recipient,
            "badge": badge_url,
            "verification": {"type": "hosted"},
            "issuedOn": (issued_on or datetime.now(UTC) - timedelta(days=30)).isoformat(),
            **extra,
        }
        if expires is not None:
            assertion["expires"] = expires.isoformat()
        if host:
            self.server.serve_json(f"/assertions/{number}.json", assertion)
        return assertion

    def award_signed(self, email: str, **kwargs: Any) -> str:
        """Award a signed badge to an address and return its compact JWS."""
        assertion = self.award(email, host=False, **kwargs)
        assertion["id"] = f"urn:uuid:00000000-0000-4000-8000-{next(self._numbers):012d}"
        assertion["verification"] = {"type": "signed", "creator": self.key_url}
        return self.sign(assertion)

    def sign(self, assertion: dict[str, Any]) -> str:
        key = RSAKey.import_key(
            self._private_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return jws.serialize_compact({"alg": "RS256"}, json.dumps(assertion).encode(), key)

    def award_signed_like_mozilla(self, email: str) -> str:
        """A 1.0 signed badge as Mozilla-era issuers made it: BadgeClass and issuer hosted as
        1.0 documents, the bare PEM at `verify.url`, and the JWS header `{"alg":"rs256"}`."""
        number = next(self._numbers)
        self.server.serve_json(f"/1.0/badges/{number}.json", {
            "name": "Open Source Contributor", "description": "Contributed to a project.",
            "image": self.server.url("/image.png"), "criteria": self.server.url("/criteria"),
            "issuer": self.server.url("/1.0/issuer.json"),
        })  # fmt: skip
        self.server.serve_json("/1.0/issuer.json", {"name": self.name, "url": self.server.url("/")})
        public_pem = self._private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.server.serve("/1.0/public.pem", public_pem, content_type="text/plain")
        assertion = {
            "uid": f"mozilla-{number}",
            "recipient": {
                "type": "email", "hashed": True, "salt": "pepper",
                "identity": hashed_identity(email, "pepper"),
            },
            "badge": self.server.url(f"/1.0/badges/{number}.json"),
            "verify": {"type": "signed", "url": self.server.url("/1.0/public.pem")},
            "issuedOn": 1403784577,
        }  # fmt: skip
        return sign_like_mozilla(assertion, self._private_key)

    def revoke(self, assertion: dict[str, Any]) -> None:
        """Revoke a hosted badge the way the spec says: 410 Gone."""
        path = urlsplit(assertion["id"]).path
        self.server.serve(
            path,
            json.dumps({"@context": V2, "id": assertion["id"], "revoked": True}).encode(),
            status=410,
            content_type="application/ld+json",
        )

    def baked_png(self, assertion: dict[str, Any] | str) -> bytes:
        """A PNG with this assertion (JSON, or a JWS string) baked in."""
        payload = assertion if isinstance(assertion, str) else json.dumps(assertion)
        return bake(make_png((200, 120, 30)), payload)

    def copy(self, assertion: dict[str, Any]) -> dict[str, Any]:
        return copy.deepcopy(assertion)
