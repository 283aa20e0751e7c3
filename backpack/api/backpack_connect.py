"""Mozilla Backpack Connect, with the routes and shapes pre-2019 issuers were written against.

`GET /access` asks the earner; `POST /accept` hands the issuer its tokens on its callback;
`POST /api/token` rotates them; `POST /api/issue` pushes a badge with the access token sent
base64-encoded (`Authorization: Bearer base64(token)`), and `GET /api/identity` gives the
earner's hashed address. Pushes go through the one intake service.
"""

from __future__ import annotations

import base64
import binascii
import json
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, Response, redirect, render_template, request
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from backpack.api.pushed_badges import CORS_HEADERS, award, json_response, origin_mismatch
from backpack.extensions import csrf, db
from backpack.links import external_url
from backpack.models import User
from backpack.security_headers import content_security_policy
from backpack.services import backpack_connect
from backpack.services.errors import ServiceError

bp = Blueprint("backpack_connect", __name__)


@bp.get("/access")
@login_required
def access() -> Response | tuple[str, int]:
    """Ask the earner whether an issuer site may push badges to their backpack."""
    callback = request.args.get("callback", "")
    try:
        origin = backpack_connect.origin_of(callback)
        scope = backpack_connect.check_scope(request.args.get("scope", ""))
    except ServiceError as error:
        return render_template("oauth/error.html", message=error.message), 400
    response = Response(
        render_template(
            "oauth/backpack_connect.html", origin=origin, callback=callback, scope=scope
        )
    )
    response.headers["Content-Security-Policy"] = content_security_policy(form_action=origin)
    return response


@bp.post("/accept")
@login_required
def accept() -> BaseResponse | tuple[str, int]:
    """Answer the issuer on its callback: tokens if the earner allowed, else access_denied."""
    callback = request.form.get("callback", "")
    try:
        backpack_connect.origin_of(callback)
        backpack_connect.check_scope(request.form.get("scope", ""))
    except ServiceError as error:
        return render_template("oauth/error.html", message=error.message), 400
    if request.form.get("decision") != "allow":
        return redirect(_with_query(callback, {"error": "access_denied"}), 303)
    tokens = backpack_connect.grant_access(current_user, callback)
    db.session.commit()
    params = {
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
        "expires": str(tokens.expires),
        "api_root": external_url("main.index").rstrip("/") + "/api",
    }
    return redirect(_with_query(callback, params), 303)


def _with_query(url: str, params: dict[str, str]) -> str:
    joiner = "&" if urlsplit(url).query else "?"
    return url + joiner + urlencode(params)


@bp.route("/api/token", methods=["POST", "OPTIONS"])
@csrf.exempt
def token() -> Response:
    """Trade a refresh token for new tokens (both rotate)."""
    if request.method == "OPTIONS":
        return json_response({})
    body = request.get_json(silent=True)
    fields = body if isinstance(body, dict) else request.form
    if fields.get("grant_type") != "refresh_token":
        return _text("invalid grant_type", 400)
    refresh_token = fields.get("refresh_token")
    tokens = backpack_connect.refresh(refresh_token) if isinstance(refresh_token, str) else None
    if tokens is None:
        return _text("invalid refresh_token", 400)
    db.session.commit()
    return json_response(
        {
            "expires": tokens.expires,
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
        }
    )


def _text(message: str, status: int) -> Response:
    response = Response(message, status=status, mimetype="text/plain")
    response.headers.update(CORS_HEADERS)
    return response


def _grant_user() -> tuple[User | None, str, Response | None]:
    """The earner and origin of the base64 bearer token, or the 401 to answer."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    try:
        raw = base64.b64decode(value.strip(), validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    grant = backpack_connect.find_grant(raw) if scheme.lower() == "bearer" and raw else None
    if grant is None:
        description = "The access token is missing, invalid, expired or revoked"
        response = json_response(
            {"status": "unauthorized", "message": f"invalid_token: {description}"}, 401
        )
        response.headers["WWW-Authenticate"] = (
            f'Bearer realm="openbadges", error="invalid_token", error_description="{description}"'
        )
        return None, "", response
    return grant.user, grant.origin, None


@bp.route("/api/issue", methods=["POST", "OPTIONS"])
@csrf.exempt
def issue() -> Response:
    """Push a badge (hosted assertion URL or JWS) from the token's issuer origin."""
    if request.method == "OPTIONS":
        return json_response({})
    user, origin, refusal = _grant_user()
    if refusal is not None or user is None:
        return refusal or json_response({}, 401)
    body = request.get_json(silent=True)
    fields = body if isinstance(body, dict) else request.form
    badge = fields.get("badge") or fields.get("assertion")
    if not isinstance(badge, str) or not badge.strip():
        return json_response({"message": "must provide either url or signature"}, 400)
    badge = badge.strip()
    claimed = _claimed_origin(badge)
    if claimed not in (origin, None):
        # Refused before fetching anything from a site the grant does not name.
        return origin_mismatch(
            f"The badge names {claimed}, but this connection lets only {origin} push badges."
        )
    db.session.commit()  # keep last_used_at even if the push is refused
    # Whatever its form, the badge is checked again once verified (`services.push_origin`).
    return award(user, badge, origin)


def _claimed_origin(badge: str) -> str | None:
    """The origin a hosted assertion or a signed one's key lives at (None: cannot tell)."""
    if badge.startswith(("http://", "https://")):
        return backpack_connect.origin_of(badge)
    parts = badge.split(".")
    if len(parts) != 3:
        return None
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded))
        creator = payload["verification"]["creator"]
        return backpack_connect.origin_of(creator) if isinstance(creator, str) else None
    except (ValueError, KeyError, TypeError, binascii.Error, ServiceError):
        return None


@bp.route("/api/identity", methods=["GET", "OPTIONS"])
def identity() -> Response:
    """The earner's primary address, hashed with a fresh salt."""
    if request.method == "OPTIONS":
        return json_response({})
    user, _origin, refusal = _grant_user()
    if refusal is not None or user is None:
        return refusal or json_response({}, 401)
    db.session.commit()
    try:
        return json_response(backpack_connect.recipient_hash(user))
    except ServiceError as error:
        return json_response({"message": error.message}, 404)
