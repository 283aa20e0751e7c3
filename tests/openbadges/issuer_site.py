"""A badge issuer on the local test server: its profile, BadgeClass, key and badges.

`IssuerSite` publishes Open Badges 2.0 documents on a `LocalHTTPServer` and makes hosted
and signed assertions for them, signed with keys generated here by `cryptography`. A test
changes a document (`site.issuer["email"] = ...`) and calls `site.publish()`.
"""

from __future__ import annotations

import copy
import json
import uuid
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from joserfc import jws
from joserfc.jwk import ECKey, OKPKey, RSAKey

from backpack.openbadges.recipient import identity_hash
from tests.support.http_server import LocalHTTPServer
from tests.support.issuer import make_png

V2 = "https://w3id.org/openbadges/v2"
RECIPIENT = "alice@example.org"
SALT = "pepper"

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


@cache
def rsa_key(bits: int = 2048, name: str = "issuer") -> rsa.RSAPrivateKey:
    """An RSA private key, generated once per test session for each name."""
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


@cache
def ec_key(name: str = "issuer") -> ec.EllipticCurvePrivateKey:
    """A P-256 private key, generated once per test session for each name."""
    return ec.generate_private_key(ec.SECP256R1())


@cache
def ed25519_key(name: str = "issuer") -> ed25519.Ed25519PrivateKey:
    """An Ed25519 private key, generated once per test session for each name."""
    return ed25519.Ed25519PrivateKey.generate()


def public_pem(key: PrivateKey) -> str:
    """The PEM (SubjectPublicKeyInfo) of a private key's public half."""
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def sign(payload: dict[str, Any] | bytes, key: PrivateKey, *, alg: str = "RS256") -> str:
    """A compact JWS of a payload, signed with a private key."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    if isinstance(key, rsa.RSAPrivateKey):
        signer: RSAKey | ECKey | OKPKey = RSAKey(key, key)
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        signer = ECKey(key, key)
    else:
        signer = OKPKey(key, key)
    token = jws.serialize_compact({"alg": alg}, body, signer, algorithms=[alg])
    return token.decode() if isinstance(token, bytes) else token


class IssuerSite:
    """An Open Badges 2.0 issuer served from a local HTTP server."""

    def __init__(self, server: LocalHTTPServer, *, key: PrivateKey | None = None) -> None:
        self.server = server
        self.key: PrivateKey = key or rsa_key()
        self.issuer: dict[str, Any] = {
            "@context": V2,
            "type": "Issuer",
            "id": self.url("/issuer.json"),
            "name": "Example Issuer",
            "url": self.url("/"),
            "email": "badges@example.org",
            "publicKey": self.url("/key.json"),
            "revocationList": self.url("/revocations.json"),
        }
        self.badge_class: dict[str, Any] = {
            "@context": V2,
            "type": "BadgeClass",
            "id": self.url("/badge.json"),
            "name": "Robot Wrangler",
            "description": "Keeps robots in line.",
            "image": self.url("/badge.png"),
            "criteria": {"narrative": "Wrangle three robots."},
            "issuer": self.issuer["id"],
        }
        self.key_document: dict[str, Any] = {
            "@context": V2,
            "type": "CryptographicKey",
            "id": self.url("/key.json"),
            "owner": self.issuer["id"],
            "publicKeyPem": public_pem(self.key),
        }
        self.revocation_list: dict[str, Any] = {
            "@context": V2,
            "type": "RevocationList",
            "id": self.url("/revocations.json"),
            "revokedAssertions": [],
        }
        self.serve_image(make_png())
        self.publish()

    def url(self, path: str) -> str:
        """The absolute URL of a path on the issuer's server."""
        return self.server.url(path)

    def publish(self) -> None:
        """Serve the issuer profile, BadgeClass, key and revocation list as they are now."""
        self.serve("/issuer.json", self.issuer)
        self.serve("/badge.json", self.badge_class)
        self.serve("/key.json", self.key_document)
        self.serve("/revocations.json", self.revocation_list)

    def serve_image(
        self, body: bytes, *, status: int = 200, content_type: str = "image/png"
    ) -> None:
        """Serve the BadgeClass image (or, to test refusals, something else) at /badge.png."""
        self.server.serve("/badge.png", body, status=status, content_type=content_type)

    def serve(self, path: str, document: Any, *, status: int = 200) -> None:
        """Serve a JSON document at a path."""
        self.server.serve_json(path, document, status=status)

    def assertion(self, name: str | None = None, **changes: Any) -> dict[str, Any]:
        """A hosted 2.0 assertion to alice@example.org (hashed, salted); None removes a key."""
        name = name or uuid.uuid4().hex
        document: dict[str, Any] = {
            "@context": V2,
            "type": "Assertion",
            "id": self.url(f"/assertions/{name}.json"),
            "recipient": {
                "type": "email",
                "hashed": True,
                "salt": SALT,
                "identity": identity_hash(RECIPIENT, SALT),
            },
            "badge": self.badge_class["id"],
            "issuedOn": "2020-01-02T03:04:05Z",
            "verification": {"type": "HostedBadge"},
        }
        document.update(copy.deepcopy(changes))
        return {key: value for key, value in document.items() if value is not None}

    def hosted_badge(self, name: str | None = None, **changes: Any) -> dict[str, Any]:
        """A hosted assertion, served at its id; returns the document."""
        document = self.assertion(name, **changes)
        self.serve(urlsplit(document["id"]).path, document)
        return document

    def signed_payload(self, **changes: Any) -> dict[str, Any]:
        """A signed 2.0 assertion's payload (before signing)."""
        base = {
            "id": f"urn:uuid:{uuid.uuid4()}",
            "verification": {"type": "SignedBadge", "creator": self.key_document["id"]},
        }
        return self.assertion(**{**base, **changes})

    def signed_badge(
        self, *, alg: str = "RS256", key: PrivateKey | None = None, **changes: Any
    ) -> str:
        """A signed 2.0 assertion as a compact JWS."""
        return sign(self.signed_payload(**changes), key or self.key, alg=alg)
