"""Open Badges 2.1 Badge Connect: the manifest, assertions and profile for OAuth clients.

Every answer carries the `status` envelope of the specification; every endpoint takes a
bearer token from the one authorization server (`backpack.oauth`) and checks its scope.
"""

from __future__ import annotations

import json
from typing import Any

from authlib.oauth2 import OAuth2Error
from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import HTTPException, abort

from backpack.api.paging import int_arg, page_links, timestamp_arg
from backpack.extensions import csrf, db
from backpack.links import external_url
from backpack.models import OAuthToken, User
from backpack.oauth import scopes
from backpack.oauth.server import require_oauth
from backpack.openbadges import V2_CONTEXT
from backpack.outage_responses import answer_database_outages
from backpack.services import emails
from backpack.services.api_credentials import granted_badges, is_compact_jws
from backpack.services.badge_intake import BadgeRefused, receive_badge
from backpack.services.errors import ServiceError

API_BASE = "/ims/ob/v2p1"
MANIFEST_CONTEXT = "https://purl.imsglobal.org/spec/ob/v2p1/ob_v2p1.jsonld"
DEFAULT_LIMIT = 50
MAX_LIMIT = 100
CREDENTIAL_NOT_ASSERTION = (
    "This is an Open Badges 3.0 credential: Badge Connect 2.1 carries Open Badges 2.0 "
    "assertions only. Send 3.0 credentials through the Open Badges 3.0 API "
    "(POST /ims/ob/v3p0/credentials), or have the earner add it on the backpack's "
    "Add a badge page."
)
STATUS_TEXT = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
}

bp = Blueprint("badge_connect", __name__)
# Bearer tokens, not cookies, authenticate these routes: nothing for a forged form to ride on.
csrf.exempt(bp)


class BadgeConnectError(Exception):
    """An error answered in the Badge Connect envelope."""

    def __init__(self, status: int, text: str, message: str | None) -> None:
        super().__init__(message)
        self.status, self.text, self.message = status, text, message


def envelope(status: int = 200, text: str = "OK", error: str | None = None) -> dict[str, Any]:
    """The `status` member every Badge Connect answer has."""
    return {"error": error, "statusCode": status, "statusText": text}


def _json(document: dict[str, Any], status: int = 200) -> Response:
    response = Response(json.dumps(document), status=status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(BadgeConnectError)
def _badge_connect_error(error: BadgeConnectError) -> Response:
    db.session.rollback()
    return _json({"status": envelope(error.status, error.text, error.message)}, error.status)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    text = STATUS_TEXT.get(status, "BAD_REQUEST")
    message = None if status == 404 else error.description
    return _json({"status": envelope(status, text, message)}, status)


answer_database_outages(bp)


@bp.errorhandler(Exception)
def _unexpected(error: Exception) -> Response:
    db.session.rollback()
    current_app.logger.exception("Unhandled error in the Badge Connect API")
    return _json(
        {"status": envelope(500, "BAD_REQUEST", "The server hit an error; try again.")}, 500
    )


def _authorised(scope: str) -> User:
    """The earner a valid token with this scope acts for."""
    return _authorised_token(scope).user


def _authorised_token(scope: str) -> OAuthToken:
    """A valid token with this scope, or the envelope's 401 or 403."""
    try:
        token: OAuthToken = require_oauth.acquire_token([scope])
    except OAuth2Error as error:
        status = 403 if error.error == "insufficient_scope" else 401
        text = "PERMISSION_DENIED" if status == 403 else "UNAUTHENTICATED"
        message = (
            f"This token was not granted the scope {scope}."
            if status == 403
            else "Send a valid, unexpired access token: Authorization: Bearer <token>."
        )
        response = _json({"status": envelope(status, text, message)}, status)
        for name, value in error.get_headers():
            if name.lower() == "www-authenticate":
                response.headers[name] = value
        abort(response)
    return token


@bp.get("/.well-known/badgeconnect.json")
def manifest() -> Response:
    """The Badge Connect manifest: where to register, authorise and call the API."""
    name = current_app.config["SITE_NAME"]
    document = {
        "@context": MANIFEST_CONTEXT,
        "id": external_url("badge_connect.manifest"),
        "type": "Manifest",
        "badgeConnectAPI": [
            {
                "type": "BadgeConnectAPI",
                "name": name,
                "apiBase": external_url("main.index").rstrip("/") + API_BASE,
                "version": "v2p1",
                "termsOfServiceUrl": current_app.config["TERMS_OF_SERVICE_URL"]
                or external_url("main.index"),
                "privacyPolicyUrl": current_app.config["PRIVACY_POLICY_URL"]
                or external_url("main.index"),
                "scopesOffered": list(scopes.SCOPES_OFFERED),
                "registrationUrl": external_url("oauth.register_client"),
                "authorizationUrl": external_url("oauth.authorize"),
                "tokenUrl": external_url("oauth.issue_token"),
                "tokenRevocationUrl": external_url("oauth.revoke_token"),
            }
        ],
    }
    response = Response(json.dumps(document), mimetype="application/json")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response


@bp.get(f"{API_BASE}/assertions")
def list_assertions() -> Response:
    """The earner's accepted 2.0 badges (of the chosen collections), newest first, paged."""
    token = _authorised_token(scopes.ASSERTION_READONLY)
    limit = int_arg("limit", DEFAULT_LIMIT, 1, MAX_LIMIT, invalid=_invalid)
    offset = int_arg("offset", 0, 0, 10**9, invalid=_invalid)
    since = request.args.get("since")
    page = granted_badges(
        token.user,
        token.collection_ids,
        credentials=False,
        limit=limit,
        offset=offset,
        since=None if since is None else timestamp_arg("since", since, invalid=_invalid),
    )
    assertions, signed = [], []
    for badge in page.badges:
        if is_compact_jws(badge.original_payload):
            signed.append(badge.original_payload.strip())
        else:
            assertions.append(badge.assertion)
    response = _json({"status": envelope(), "assertions": assertions, "signedAssertions": signed})
    response.headers["X-Total-Count"] = str(page.total)
    response.headers["Link"] = page_links(
        "badge_connect.list_assertions", limit, offset, page.total
    )
    return response


@bp.post(f"{API_BASE}/assertions")
def add_assertion() -> Response:
    """Put a badge awarded to the earner into their backpack, through the one intake."""
    user = _authorised(scopes.ASSERTION_CREATE)
    body = _json_body()
    signed, assertion = body.get("signedAssertion"), body.get("assertion")
    if signed is not None:
        if not isinstance(signed, str) or not signed.strip():
            raise _invalid("signedAssertion must be a compact JWS string.")
        data = signed.strip()
    elif isinstance(assertion, dict):
        data = json.dumps(assertion)
    elif isinstance(assertion, str) and assertion.strip():
        data = assertion.strip()  # a hosted assertion's URL
    else:
        raise _invalid('Send {"assertion": {...}} or {"signedAssertion": "<JWS>"}.')
    try:
        receive_badge(user, data, source="push", takes_credentials=False)
    except BadgeRefused as refusal:
        if refusal.code == "credential_not_assertion":
            raise BadgeConnectError(400, "INVALID_BADGE", CREDENTIAL_NOT_ASSERTION) from refusal
        text = (
            "RECIPIENT_PROFILE_MISMATCH"
            if refusal.code == "recipient_mismatch"
            else "INVALID_BADGE"
        )
        raise BadgeConnectError(400, text, str(refusal)) from refusal
    db.session.commit()
    return _json({"status": envelope()})


@bp.get(f"{API_BASE}/profile")
def get_profile() -> Response:
    """The earner's name and verified email address."""
    user = _authorised(scopes.PROFILE_READONLY)
    return _json({"status": envelope(), "profile": _profile(user)})


@bp.post(f"{API_BASE}/profile")
def update_profile() -> Response:
    """Add an email address; it matches badges only once the earner verifies it."""
    user = _authorised(scopes.PROFILE_UPDATE)
    body = _json_body()
    unknown = sorted(set(body) - {"email", "@context", "type", "id", "name"})
    if unknown:
        raise _invalid(f"Only email identifiers can be added here, not {', '.join(unknown)}.")
    address = body.get("email")
    if not isinstance(address, str) or not address.strip():
        raise _invalid('Give the address to add as "email".')
    if not emails.holds_address(user, address):
        try:
            emails.add_email(user, address)
        except ServiceError as error:
            raise _invalid(error.message) from error
        db.session.commit()
    return _json({"status": envelope(), "profile": _profile(user)})


@bp.route(f"{API_BASE}/assertions", methods=["PUT", "PATCH", "DELETE"])
@bp.route(f"{API_BASE}/profile", methods=["PUT", "PATCH", "DELETE"])
def method_not_allowed() -> Response:
    """Other methods on the API's resources, answered in the envelope."""
    response = _json({"status": envelope(405, "METHOD_NOT_ALLOWED", "Use GET or POST.")}, 405)
    response.headers["Allow"] = "GET, HEAD, POST, OPTIONS"
    return response


@bp.route(f"{API_BASE}/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def not_found(rest: str) -> Response:
    """Any other path under the API base, answered in the envelope."""
    return _json({"status": envelope(404, "NOT_FOUND", None)}, 404)


def _profile(user: User) -> dict[str, Any]:
    profile: dict[str, Any] = {"@context": V2_CONTEXT, "type": "Profile", "name": user.display_name}
    primary = user.primary_email
    if primary is not None:
        profile["email"] = primary.address
    return profile


def _invalid(message: str) -> BadgeConnectError:
    return BadgeConnectError(400, "REQUEST_VALIDATION_ERROR", message)


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise _invalid("The request body must be a JSON object (Content-Type: application/json).")
    return body
