"""A stand-in for another backpack's Open Badges 3.0 API (the service provider side), on a
`LocalHTTPServer`: discovery, registration, consent, token (PKCE S256 checked, Basic client
auth; refresh with rotation), `GET /credentials` paged with `Link`, and `GET /profile`.

Consent is given by `consent(authorize_url)`, which checks the request as a provider would
and returns where the earner's browser would be sent back.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.support.http_server import LocalHTTPServer, RecordedRequest, Response

API = "/ims/ob/v3p0"
BADGR = "/bcv1"
JSON = {"Content-Type": "application/json"}


class Ob3Backpack:
    """Another backpack that holds an earner's credentials and serves them over the 3.0 API."""

    def __init__(
        self,
        server: LocalHTTPServer,
        credentials: list[dict[str, Any]],
        jws: list[str] = (),  # type: ignore[assignment]
        *,
        page_size: int = 2,
        jws_field: str = "compactJwsStrings",
        badge_connect: bool = False,
        auth_method: str = "client_secret_basic",
    ) -> None:
        self.server = server
        self.credentials, self.jws = list(credentials), list(jws)
        self.page_size, self.jws_field = page_size, jws_field
        self.registrations: list[dict[str, Any]] = []
        self.client_id, self.client_secret = "client-" + secrets.token_hex(4), secrets.token_hex(16)
        self.codes: dict[str, dict[str, str]] = {}
        self.access_token = ""  # the last one issued
        self.live_tokens: set[str] = set()
        self.refresh_token = ""  # the last one issued
        # Each live refresh token, and the scope it renews; rotated at every use.
        self.live_refresh_tokens: dict[str, str] = {}
        self.refreshes: list[dict[str, str]] = []  # the refresh requests, as sent
        self.expires_in = 3600
        # How the registration tells the client to authenticate at the token endpoint.
        self.auth_method = auth_method
        self.base = BADGR if badge_connect else API
        if badge_connect:
            # Badgr's shape: the manifest redirects to /bcv1/manifest/<domain>, v1p0.
            manifest = f"{BADGR}/manifest/127.0.0.1"
            server.redirect("/.well-known/badgeconnect.json", server.url(manifest))
            server.serve_json(manifest, self.manifest(), content_type="application/json")
            server.route(f"{BADGR}/assertions", self.page)
            self.items_field, self.jws_field = "assertions", "signedAssertions"
        else:
            server.serve_json(f"{API}/discovery", self.discovery(), content_type="application/json")
            server.route(f"{API}/credentials", self.page)
            self.items_field = "credential"
        server.route("/oauth/register", self.register)
        server.route("/oauth/token", self.token)
        server.route(f"{self.base}/profile", self.profile)
        self.revoked: list[str] = []
        server.route("/oauth/revoke", self.revoke)

    def discovery(self, **overrides: str) -> dict[str, Any]:
        """The Service Description Document (endpoints may be overridden by name)."""
        url = self.server.url
        endpoints = {
            "registration": url("/oauth/register"),
            "authorization": url("/oauth/authorize"),
            "token": url("/oauth/token"),
        } | overrides
        return {
            "openapi": "3.0.1",
            "info": {"title": "Stand-in", "termsOfService": url("/tos"),
                     "x-imssf-privacyPolicyUrl": url("/privacy")},
            "servers": [{"url": url(API)}],
            "components": {"securitySchemes": {"OAuth2ACG": {
                "type": "oauth2",
                "x-imssf-registrationUrl": endpoints["registration"],
                # Not in the 3.0 SDD's schema: where a provider says it revokes (RFC 7009).
                "x-imssf-revocationUrl": url("/oauth/revoke"),
                "flows": {"authorizationCode": {
                    "authorizationUrl": endpoints["authorization"],
                    "tokenUrl": endpoints["token"],
                    "refreshUrl": endpoints["token"],
                    "scopes": {},
                }},
            }}},
        }  # fmt: skip

    def manifest(self) -> dict[str, Any]:
        """A Badge Connect manifest as Badgr served it."""
        url = self.server.url
        api = {
            "name": "Badgr stand-in", "apiBase": url(BADGR), "version": "v1p0",
            "termsOfServiceUrl": url("/tos"), "privacyPolicyUrl": url("/privacy"),
            "scopesOffered": ["https://purl.imsglobal.org/spec/ob/v2p1/scope/assertion.readonly",
                              "https://purl.imsglobal.org/spec/ob/v2p1/scope/profile.readonly"],
            "registrationUrl": url("/oauth/register"), "authorizationUrl": url("/oauth/authorize"),
            "tokenUrl": url("/oauth/token"), "tokenRevocationUrl": url("/oauth/revoke"),
        }  # fmt: skip
        return {"@context": "https://w3id.org/openbadges/badgeconnect/v1", "id": url(BADGR),
                "badgeConnectAPI": [api]}  # fmt: skip

    def register(self, request: RecordedRequest) -> Response:
        metadata = json.loads(request.body)
        self.registrations.append(metadata)
        answer = metadata | {"client_id": self.client_id, "client_secret": self.client_secret,
                             "token_endpoint_auth_method": self.auth_method,
                             "client_id_issued_at": 0, "client_secret_expires_at": 0}  # fmt: skip
        return Response(201, json.dumps(answer).encode(), JSON)

    def consent(self, authorize_url: str) -> str:
        """The earner allows access: where their browser is sent back, with a code."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
        assert query["response_type"] == "code"
        assert query["client_id"] == self.client_id
        assert query["code_challenge_method"] == "S256"
        assert query["state"]
        code = secrets.token_hex(8)
        self.codes[code] = query
        return f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"

    def token(self, request: RecordedRequest) -> Response:
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        if not self._client_authenticated(request, form):
            return Response(401, b'{"error": "invalid_client"}', JSON)
        if form.get("grant_type") == "refresh_token":
            return self._refresh(form)
        asked = self.codes.pop(form.get("code", ""), None)
        if asked is None:
            return Response(400, b'{"error": "invalid_grant"}', JSON)
        verifier = form.get("code_verifier", "").encode()
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
        if challenge.decode() != asked["code_challenge"]:
            return Response(400, b'{"error": "invalid_grant"}', JSON)
        if form.get("redirect_uri") != asked["redirect_uri"]:
            return Response(400, b'{"error": "invalid_grant"}', JSON)
        return self._tokens(asked["scope"])

    def _client_authenticated(self, request: RecordedRequest, form: dict[str, str]) -> bool:
        """The client authenticated as it was registered, and only so."""
        given = request.headers.get("authorization")
        if self.auth_method == "client_secret_post":
            secret = (form.get("client_id"), form.get("client_secret"))
            return given is None and secret == (self.client_id, self.client_secret)
        basic = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        return given == f"Basic {basic}" and "client_secret" not in form

    def _refresh(self, form: dict[str, str]) -> Response:
        """RFC 6749 section 6, with rotation: the refresh token is spent by its use."""
        self.refreshes.append(form)
        scope = self.live_refresh_tokens.pop(form.get("refresh_token", ""), None)
        if scope is None:
            body = (
                b'{"error": "invalid_grant", "error_description": "The refresh token is invalid."}'
            )
            return Response(400, body, JSON)
        return self._tokens(scope)

    def _tokens(self, scope: str) -> Response:
        self.access_token = "at-" + secrets.token_hex(16)
        self.live_tokens.add(self.access_token)
        self.refresh_token = "rt-" + secrets.token_hex(8)
        self.live_refresh_tokens[self.refresh_token] = scope
        body = {"access_token": self.access_token, "token_type": "Bearer",
                "expires_in": self.expires_in, "refresh_token": self.refresh_token,
                "scope": scope}  # fmt: skip
        return Response(200, json.dumps(body).encode(), JSON)

    def end_access_tokens(self) -> None:
        """Every access token issued so far is refused from now on (they expired here)."""
        self.live_tokens.clear()

    def end_refresh_tokens(self) -> None:
        """Every refresh token issued so far is refused from now on (the earner revoked
        this server here, say)."""
        self.live_refresh_tokens.clear()

    def revoke(self, request: RecordedRequest) -> Response:
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        if not self._client_authenticated(request, form):  # RFC 7009 2.1
            return Response(401, b'{"error": "invalid_client"}', JSON)
        self.revoked.append(form.get("token", ""))
        self.live_tokens.discard(form.get("token", ""))
        self.live_refresh_tokens.pop(form.get("token", ""), None)
        return Response(200, b"", JSON)

    def _authorized(self, request: RecordedRequest) -> bool:
        given = request.headers.get("authorization", "")
        return given.startswith("Bearer ") and given[len("Bearer ") :] in self.live_tokens

    def page(self, request: RecordedRequest) -> Response:
        if not self._authorized(request):
            return Response(401, b'{"imsx_codeMajor": "failure"}', JSON)
        query = {k: v[0] for k, v in parse_qs(urlsplit(request.path).query).items()}
        limit, offset = int(query.get("limit", self.page_size)), int(query.get("offset", 0))
        limit = min(limit, self.page_size)
        everything: list[Any] = [*self.credentials, *self.jws]
        shown = everything[offset : offset + limit]
        body = {
            self.items_field: [item for item in shown if isinstance(item, dict)],
            self.jws_field: [item for item in shown if isinstance(item, str)],
        }
        headers = dict(JSON)
        if self.base == API:  # Badgr sent no total
            headers["X-Total-Count"] = str(len(everything))
        if offset + limit < len(everything):
            path = "assertions" if self.base == BADGR else "credentials"
            following = self.server.url(f"{self.base}/{path}?limit={limit}&offset={offset + limit}")
            headers["Link"] = f'<{following}>; rel="next", <{self.server.url(API)}>; rel="first"'
        return Response(200, json.dumps(body).encode(), headers)

    def profile(self, request: RecordedRequest) -> Response:
        if not self._authorized(request):
            return Response(401, b'{"imsx_codeMajor": "failure"}', JSON)
        return Response(200, json.dumps({"type": "Profile", "name": "Ann"}).encode(), JSON)
