"""A Moodle site connected to the backpack as an Open Badges 2.1 backpack, request by request.

What each method sends is what Moodle's own code sends (`lib/classes/oauth2/discovery/
imsbadgeconnect.php`, `badges/classes/oauth2/client.php`, `badges/classes/backpack_api2p1*.php`,
`badges/classes/assertion.php`; ../shared/reference/real-clients.md), oddities included:
the discovery keeps the last API entry, the authorization request loses the first scope,
the code is traded with HTTP Basic and no scope, the refresh sends the secret in the body.
Nothing here is an OAuth library: a library would tidy away exactly what is being tested.

The badge documents a real Moodle serves from its own site are hosted here by the local
test issuer, which speaks plain HTTP; the site's pages (client_uri, redirect URI) are https.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx2
from flask import Flask

from tests.support.issuer import TestIssuer, hashed_identity, make_png
from tests.support.oauth import BASE, query

SITE = "https://moodle.example/"
CALLBACK = SITE + "admin/oauth2callback.php"
V2 = "https://w3id.org/openbadges/v2"


def php_json(document: dict[str, Any]) -> str:
    """JSON as PHP's json_encode writes it by default: compact, with slashes escaped."""
    return json.dumps(document, separators=(",", ":")).replace("/", "\\/")


def without_first_scope(scopes: str) -> str:
    """The scope Moodle asks for: its filter of `profile` and `openid` drops the first scope.

    `array_search` answers `false` for a scope that is not there, `isset(false)` is true and
    `unset($scopes[false])` removes index 0.
    """
    return " ".join(scopes.split(" ")[1:])


class MoodleSite:
    """Moodle's badges backpack connection for one user, with its own clock."""

    def __init__(self, app: Flask) -> None:
        self.sent: list[str] = []
        self.http = httpx2.Client(
            transport=httpx2.WSGITransport(app=app),
            base_url=BASE,
            event_hooks={"request": [self._note]},
        )
        self.clock = time.time()
        self.endpoints: dict[str, str] = {}
        self.api_base = ""
        self.scopes_supported = ""
        self.client_id = self.client_secret = ""
        self.sesskey = secrets.token_hex(5)
        self.code_verifier = ""
        # The badge_backpack_oauth2 record: token, refreshtoken, expires, scope.
        self.stored: dict[str, Any] = {}

    def _note(self, request: httpx2.Request) -> None:
        authorization = request.headers.get("authorization", "").split(" ")[0]
        line = f"{request.method} {request.url.path}"
        self.sent.append(f"{line} ({authorization})" if authorization else line)

    def discover(self) -> None:
        """Read the manifest: endpoints, apiBase and scopesOffered of the LAST API entry."""
        manifest = self.http.get("/.well-known/badgeconnect.json").json()
        api = manifest["badgeConnectAPI"][-1]
        for key, value in api.items():
            if key.endswith("Url") and value:
                self.endpoints[key[: -len("Url")].lower() + "_endpoint"] = value
        self.scopes_supported = " ".join(api["scopesOffered"])
        self.api_base = api["apiBase"]

    def register(self) -> httpx2.Response:
        """Self-register as imsbadgeconnect::register does."""
        request = {
            "client_name": "Moodle Test Site",
            "client_uri": SITE,
            "logo_uri": SITE + "pix/f/moodle-256.png",
            "tos_uri": SITE,
            "policy_uri": SITE,
            "software_id": "moodle",
            "software_version": "2024042200",
            "redirect_uris": [CALLBACK],
            "token_endpoint_auth_method": "client_secret_basic",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "scope": self.scopes_supported,
        }
        answer = self.http.post(
            self.endpoints["registration_endpoint"],
            content=php_json(request),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        info = answer.json()
        self.client_id, self.client_secret = info["client_id"], info["client_secret"]
        return answer

    def login_url(self) -> str:
        """Where Moodle sends the user to connect: PKCE S256, the scopes minus the first."""
        verifier = _base64url(secrets.token_bytes(43))
        self.code_verifier = verifier
        challenge = _base64url(hashlib.sha256(verifier.encode()).digest())
        params = {
            "client_id": self.client_id,
            "response_type": "code",
            "redirect_uri": CALLBACK,
            "state": self.sesskey,
            "scope": without_first_scope(self.scopes_supported),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        return self.endpoints["authorization_endpoint"] + "?" + urlencode(params)

    def callback(self, location: str) -> httpx2.Response:
        """admin/oauth2callback.php: trade the code (HTTP Basic, no scope) and store the token."""
        assert location.startswith(CALLBACK + "?"), location
        answer = query(location)
        assert answer["state"] == self.sesskey
        params = {
            "code": answer["code"],
            "grant_type": "authorization_code",
            "redirect_uri": CALLBACK,
            "code_verifier": self.code_verifier,
        }
        basic = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        reply = self.http.post(
            self.endpoints["token_endpoint"],
            content=urlencode(params),
            headers={
                "Authorization": f"Basic {basic}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        self._store_token(reply)
        return reply

    def refresh(self) -> httpx2.Response:
        """upgrade_token(..., 'refresh_token'): the id and secret in the body, the stored scope."""
        params = {
            "refresh_token": self.stored["refreshtoken"],
            "grant_type": "refresh_token",
            "scope": self.stored["scope"],
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }
        reply = self.http.post(
            self.endpoints["token_endpoint"],
            content=urlencode(params),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        self._store_token(reply)
        return reply

    def _store_token(self, reply: httpx2.Response) -> None:
        # Moodle throws on anything but 200, and its persistent refuses a record without a
        # refresh token: either way the user is not connected.
        assert reply.status_code == 200, reply.text
        token = reply.json()
        assert "refresh_token" in token, f"Moodle cannot store a token without one: {token}"
        self.stored = {
            "token": token["access_token"],
            "refreshtoken": token["refresh_token"],
            "expires": self.clock + token["expires_in"] - 10,
            "scope": token["scope"],
        }

    def is_logged_in(self) -> bool:
        """client::is_logged_in: refresh first when the stored token has expired."""
        if self.clock >= self.stored["expires"]:
            self.refresh()
        return bool(self.stored.get("token") and self.stored.get("scope"))

    def put_assertion(self, assertion: dict[str, Any]) -> httpx2.Response:
        """backpack_api2p1::put_assertions: POST {apiBase}/assertions."""
        assert self.is_logged_in()
        return self.http.post(
            self.api_base + "/assertions",
            content=php_json({"assertion": assertion}),
            headers={
                "Authorization": f"Bearer {self.stored['token']}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
        )


def _base64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def moodle_assertion(issuer: TestIssuer, email: str, badge_id: int = 7) -> dict[str, Any]:
    """An issued badge as Moodle exports it (OB 2.0, BadgeClass and Issuer embedded, a data:
    image, a hosted verify.url), also hosted where its id says, as assertion.php serves it."""
    unique_hash = secrets.token_hex(20)
    server = issuer.server
    assertion_url = server.url(f"/badges/assertion.php?b={unique_hash}&obversion=2")
    badge_page = server.url(f"/badges/badge.php?hash={unique_hash}")
    class_url = server.url(f"/badges/badge_json.php?id={badge_id}")
    issuer_url = server.url(f"/badges/badge_json.php?id={badge_id}&action=0&obversion=2")
    salt = "badges1700000000"
    issuer_profile = {
        "name": "Moodle Test Site",
        "url": server.url("/"),
        "email": "badges@moodle.example",
        "@context": V2,
        "id": issuer_url,
        "type": "Issuer",
    }
    badge_class = {
        "name": "Course completion",
        "description": "Completed the course.",
        "image": "data:image/png;base64," + base64.b64encode(make_png()).decode(),
        "criteria": {"id": badge_page, "narrative": "Complete the course."},
        "issuer": issuer_profile,
        "@context": V2,
        "id": class_url,
        "type": "BadgeClass",
        "version": "1",
        "@language": "en",
    }
    issued_on = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    assertion = {
        "recipient": {
            "identity": hashed_identity(email, salt),
            "type": "email",
            "hashed": True,
            "salt": salt,
        },
        "badge": badge_class,
        "verify": {"type": "hosted", "url": assertion_url},
        "issuedOn": issued_on.isoformat(),
        "evidence": badge_page,
        "@context": V2,
        "type": "Assertion",
        "id": assertion_url,
    }
    for url, document in [
        (assertion_url, assertion),
        (class_url, badge_class),
        (issuer_url, issuer_profile),
    ]:
        parts = urlsplit(url)
        server.serve_json(f"{parts.path}?{parts.query}", document)
    return assertion
