"""The Open Badges 3.0 API: discovery, credentials and profile, for OAuth clients.

Served on the one authorization server (`backpack.oauth`) that Badge Connect uses. Every
error under /ims/ob/v3p0/ is an `imsx_StatusInfo`; bodies are otherwise plain (no
envelope). Only Open Badges 3.0 credentials are exchanged here; 2.0 badges stay on the
Badge Connect API (`services.api_credentials` says why).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from authlib.oauth2 import OAuth2Error
from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import HTTPException, abort

from backpack.api.ob3_discovery import API_BASE, service_description
from backpack.api.paging import int_arg, page_links, timestamp_arg
from backpack.extensions import csrf, db, limiter
from backpack.models import OAuthToken
from backpack.oauth import scopes
from backpack.oauth.server import require_oauth
from backpack.outage_responses import answer_database_outages
from backpack.services import api_credentials
from backpack.services.badge_intake import BadgeRefused
from backpack.services.errors import ServiceError

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
JSON_TYPES = ("application/json", "application/vc+ld+json", "application/ld+json")
MINOR_BY_STATUS = {
    400: "invalid_data",
    401: "unauthorizedrequest",
    403: "forbidden",
    404: "not_found",
    405: "not_allowed",
    406: "not_acceptable",
    415: "invalid_data",
    429: "server_busy",
    500: "internal_server_error",
    503: "server_busy",
}

bp = Blueprint("ob3", __name__, url_prefix=API_BASE)
# Bearer tokens, not cookies, authenticate these routes: nothing for a forged form to ride on.
csrf.exempt(bp)


class ApiError(Exception):
    """An error answered as imsx_StatusInfo."""

    def __init__(self, status: int, description: str, minor: str | None = None) -> None:
        super().__init__(description)
        self.status, self.description = status, description
        self.minor = minor or MINOR_BY_STATUS.get(status, "unknown")


def status_info(description: str, minor: str, major: str = "failure") -> dict[str, Any]:
    """An `Imsx_StatusInfo` document with the OpenAPI enums."""
    return {
        "imsx_codeMajor": major,
        "imsx_severity": "error",
        "imsx_description": description,
        "imsx_codeMinor": {
            "imsx_codeMinorField": [
                {"imsx_codeMinorFieldName": "sourcedId", "imsx_codeMinorFieldValue": minor}
            ]
        },
    }


def _json(document: Any, status: int = 200) -> Response:
    response = Response(json.dumps(document), status=status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


def _error(status: int, description: str, minor: str | None = None) -> Response:
    minor = minor or MINOR_BY_STATUS.get(status, "unknown")
    return _json(status_info(description, minor), status)


@bp.errorhandler(ApiError)
def _api_error(error: ApiError) -> Response:
    db.session.rollback()
    return _error(error.status, error.description, error.minor)


# By code too: the site's own 429 page is registered by code, which Flask prefers to a
# blueprint's handler of the class.
@bp.errorhandler(429)
@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    response = _error(status, error.description or "The request could not be answered.")
    allowed = getattr(error, "valid_methods", None)
    if status == 405 and allowed:
        response.headers["Allow"] = ", ".join(allowed)
    return response


answer_database_outages(bp)


@bp.errorhandler(Exception)
def _unexpected(error: Exception) -> Response:
    db.session.rollback()
    current_app.logger.exception("Unhandled error in the Open Badges 3.0 API")
    return _error(500, "The server hit an error; try again.")


def _authorised(scope: str) -> OAuthToken:
    """A valid token with this scope, or a 401 or 403 imsx_StatusInfo."""
    try:
        token: OAuthToken = require_oauth.acquire_token([scope])
    except OAuth2Error as failure:
        if failure.error == "insufficient_scope":
            response = _error(403, f"This token was not granted the scope {scope}.")
        else:
            response = _error(
                401, "Send a valid, unexpired access token: Authorization: Bearer <token>."
            )
        for name, value in failure.get_headers():
            if name.lower() == "www-authenticate":
                response.headers[name] = value
        abort(response)
    return token


def _discovery_limit() -> str:
    return str(current_app.config["RATELIMIT_OB3_DISCOVERY"])


@bp.get("/discovery")
@limiter.limit(_discovery_limit)
def discovery() -> Response:
    """The Service Description Document; unauthenticated, cached, rate limited."""
    body = json.dumps(service_description(), sort_keys=True)
    response = Response(body, mimetype="application/json")
    response.set_etag(hashlib.sha256(body.encode()).hexdigest())
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    response.make_conditional(request)  # a 304 without the body when the ETag matches
    return response


@bp.get("/credentials")
def list_credentials() -> Response:
    """The earner's accepted 3.0 credentials (of the chosen collections), exactly as kept."""
    token = _authorised(scopes.CREDENTIAL_READONLY)
    # A larger page than we serve is not an error: the client follows `Link` for the rest.
    limit = min(int_arg("limit", DEFAULT_LIMIT, 1, 10**9, invalid=_invalid_query), MAX_LIMIT)
    offset = int_arg("offset", 0, 0, 10**9, invalid=_invalid_query)
    since = request.args.get("since")
    page = api_credentials.granted_badges(
        token.user,
        token.collection_ids,
        credentials=True,
        limit=limit,
        offset=offset,
        since=None if since is None else timestamp_arg("since", since, invalid=_invalid_query),
    )
    credentials: list[str] = []
    signed: list[str] = []
    for badge in page.badges:
        text = badge.original_payload.strip()
        if api_credentials.is_compact_jws(text):
            signed.append(json.dumps(text))
        elif text.startswith("{"):
            credentials.append(text)  # as it was sent: spliced in, never re-serialised
        else:  # it came by its URL: the credential that URL gave
            credentials.append(json.dumps(badge.assertion.get("credential") or {}))
    # JSON's own braces read plainer in %-formatting than doubled in an f-string.
    body = '{"credential": [%s], "compactJwsString": [%s]}' % (  # noqa: UP031
        ", ".join(credentials),
        ", ".join(signed),
    )
    response = Response(body, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Total-Count"] = str(page.total)
    response.headers["Link"] = page_links("ob3.list_credentials", limit, offset, page.total)
    return response


@bp.post("/credentials")
def upsert_credential() -> Response:
    """Verify a credential through the one intake and keep it: 201 new, 200 held already."""
    token = _authorised(scopes.CREDENTIAL_UPSERT)
    media_type = request.mimetype
    text = request.get_data(as_text=True)
    if media_type in JSON_TYPES:
        if api_credentials.credential_body(text) is None:
            raise ApiError(400, "The body must be a credential as a JSON object.")
    elif media_type == "text/plain":
        if not api_credentials.is_compact_jws(text):
            raise ApiError(400, "A text/plain body must be a credential as a compact JWS.")
    else:
        raise ApiError(
            415,
            "Send a credential as application/json or application/vc+ld+json, or a "
            "compact JWS as text/plain.",
        )
    try:
        received = api_credentials.upsert_credential(token.user, text)
    except BadgeRefused as refusal:
        raise ApiError(400, f"{refusal} ({refusal.code})") from refusal
    except ServiceError as refusal:
        raise ApiError(400, refusal.message) from refusal
    db.session.commit()
    response = Response(text, status=201 if received.created else 200, mimetype=media_type)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/profile")
def get_profile() -> Response:
    """The earner's name and verified addresses."""
    token = _authorised(scopes.OB3_PROFILE_READONLY)
    return _json(api_credentials.ob3_profile(token.user))


@bp.put("/profile")
def put_profile() -> Response:
    """Take the earner's name from a whole Profile and add the addresses it names."""
    token = _authorised(scopes.OB3_PROFILE_UPDATE)
    if request.mimetype not in JSON_TYPES:
        raise ApiError(415, "Send the Profile as application/json.")
    body = api_credentials.credential_body(request.get_data(as_text=True))
    if body is None:
        raise ApiError(400, "The body must be a Profile as a JSON object.")
    try:
        api_credentials.update_profile(token.user, body)
    except ServiceError as refusal:
        raise ApiError(400, refusal.message) from refusal
    db.session.commit()
    return _json(api_credentials.ob3_profile(token.user))


@bp.route("/credentials", methods=["PUT", "PATCH", "DELETE"])
@bp.route("/profile", methods=["POST", "PATCH", "DELETE"])
@bp.route("/discovery", methods=["POST", "PUT", "PATCH", "DELETE"])
def method_not_allowed() -> Response:
    """Other methods on the API's resources, answered as imsx_StatusInfo."""
    response = _error(405, "This resource does not take that method.")
    response.headers["Allow"] = {
        "credentials": "GET, HEAD, POST, OPTIONS",
        "profile": "GET, HEAD, PUT, OPTIONS",
    }.get(request.path.rsplit("/", 1)[-1], "GET, HEAD, OPTIONS")
    return response


@bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def not_found(rest: str) -> Response:
    """Any other path under the API base, answered as imsx_StatusInfo."""
    return _error(404, "There is no such resource in this API.")


def _invalid_query(reason: str) -> ApiError:
    return ApiError(400, reason, "invalid_query_parameter")
