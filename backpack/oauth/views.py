"""OAuth 2 endpoints: consent, token, revocation, registration and metadata."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InvalidClientError
from flask import Blueprint, Response, current_app, g, jsonify, render_template, request
from flask_login import current_user, login_required
from werkzeug.exceptions import BadRequest

from backpack.extensions import csrf, limiter
from backpack.oauth import scopes
from backpack.oauth.metadata import server_metadata
from backpack.oauth.server import CONSENTED_COLLECTIONS, authorization_server
from backpack.origins import web_origin
from backpack.security_headers import content_security_policy
from backpack.services.collections import list_collections
from backpack.services.connected_apps import chosen_collections

bp = Blueprint("oauth", __name__)


def _limit() -> str:
    return str(current_app.config["RATELIMIT_OAUTH_REGISTER"])


@bp.route("/oauth/authorize", methods=["GET", "POST"])
@login_required
def authorize() -> Response | tuple[str, int] | str:
    """Ask the earner whether a client may act for them, and answer the client."""
    server = authorization_server()
    try:
        grant = server.get_consent_grant(end_user=current_user)
    except OAuth2Error as error:
        # Without a valid client and redirect URI there is nobody safe to send the error to.
        if error.redirect_uri:
            return server.handle_error_response(request, error)
        description = error.description or "The application sent an invalid request."
        return render_template("oauth/error.html", message=description), 400
    if request.method == "POST":
        decision = request.form.get("decision")
        if decision not in ("allow", "deny"):
            raise BadRequest("Choose to allow or to deny.")
        g.setdefault(
            CONSENTED_COLLECTIONS,
            chosen_collections(current_user, request.form.getlist("collections")),
        )
        user = current_user._get_current_object() if decision == "allow" else None
        return server.create_authorization_response(grant=grant, grant_user=user)
    client = grant.client
    requested = grant.request.scope or ""
    if not client.check_grant_type("refresh_token"):
        # Registered without the refresh_token grant, it is given no lasting access
        # whatever scope it asks: none is promised.
        requested = " ".join(s for s in requested.split() if s != scopes.OFFLINE_ACCESS)
    response = Response(
        render_template(
            "oauth/consent.html",
            client=client,
            scopes=scopes.describe(requested),
            redirect_uri=grant.redirect_uri,
            collections=_choosable_collections(grant.request.scope or ""),
        )
    )
    response.headers["Content-Security-Policy"] = _consent_policy(
        grant.redirect_uri, client.client_metadata.get("logo_uri")
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _choosable_collections(scope: str) -> list[Any]:
    """The earner's collections, offered when the client asks to read badges."""
    if not set(scope.split()) & set(scopes.READING):
        return []
    return [summary.collection for summary in list_collections(current_user)]


def _consent_policy(redirect_uri: str, logo_uri: object) -> str:
    """The site's policy, letting the form lead to the client and the page show its logo.

    Browsers apply form-action to the redirect that answers the form, so the client's
    origin must be allowed there or the earner's browser stops at our page.
    """
    return content_security_policy(
        form_action=web_origin(redirect_uri) or "",
        img_src=web_origin(logo_uri, schemes=("https",)) or "",
    )


@bp.before_request
def refuse_credentials_that_are_not_text() -> Response | None:
    """Answer invalid_client to HTTP Basic client credentials that are not UTF-8 text.

    Authlib decodes them without catching the UnicodeDecodeError, which would be a 500.
    """
    scheme, _, value = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        base64.b64decode(value.strip()).decode("utf-8")
    except UnicodeDecodeError:
        error = InvalidClientError("The client credentials are not text.", status_code=401)
        return authorization_server().handle_error_response(request, error)
    except (binascii.Error, ValueError):
        pass  # Authlib reads these as no credentials at all
    return None


@bp.route("/oauth/token", methods=["POST"])
@csrf.exempt
def issue_token() -> Response:
    """Exchange a code or a refresh token for tokens."""
    return authorization_server().create_token_response()


@bp.route("/oauth/revoke", methods=["POST"])
@csrf.exempt
def revoke_token() -> Response:
    """Revoke a token (RFC 7009)."""
    server = authorization_server()
    return server.create_endpoint_response("revocation")


@bp.route("/oauth/register", methods=["POST"])
@csrf.exempt
@limiter.limit(_limit)
def register_client() -> Response:
    """Register a Badge Connect client (RFC 7591), without an initial access token."""
    return _register("client_registration")


@bp.route("/oauth/register/ob3", methods=["POST"])
@csrf.exempt
@limiter.limit(_limit)
def register_ob3_client() -> Response:
    """Register an Open Badges 3.0 API client (RFC 7591), under that API's stricter rules."""
    return _register("ob3_client_registration")


def _register(endpoint: str) -> Response:
    if not isinstance(request.get_json(silent=True), dict):
        error = {
            "error": "invalid_client_metadata",
            "error_description": "Send the client metadata as a JSON object.",
        }
        return Response(json.dumps(error), status=400, mimetype="application/json")
    return authorization_server().create_endpoint_response(endpoint)


@bp.route("/.well-known/oauth-authorization-server")
def metadata() -> Response:
    """This server's metadata (RFC 8414)."""
    response = jsonify(server_metadata())
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response
