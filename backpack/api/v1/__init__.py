"""The first-party JSON API: badges, collections and email addresses of the caller.

It authenticates by the browser session (with a CSRF token on every change) or by a
personal access token (`Authorization: Bearer bpk_...`), whose scopes it checks. Every
error has one shape: `{"error": code, "message": text}` (ErrorSchema).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from limits import parse_many
from marshmallow import Schema, ValidationError
from werkzeug.exceptions import HTTPException

from backpack.extensions import csrf, db
from backpack.models import User
from backpack.models.base import MAX_ID
from backpack.outage_responses import answer_database_outages
from backpack.services import access_tokens, rate_budgets
from backpack.services.errors import ServiceError

bp = Blueprint("api_v1", __name__, url_prefix="/api/v1")
# Bearer-token requests carry no cookie to forge; session requests are checked in `caller`.
csrf.exempt(bp)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ApiError(Exception):
    """An error answered in the API's one shape."""

    def __init__(self, status: int, error: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.error, self.message, self.extra = status, error, message, extra


def json_response(document: Any, status: int = 200) -> Response:
    response = Response(json.dumps(document), status=status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


def _error(status: int, error: str, message: str, **extra: Any) -> Response:
    return json_response({"error": error, "message": message, **extra}, status)


@bp.errorhandler(ApiError)
def _api_error(error: ApiError) -> Response:
    db.session.rollback()
    response = _error(error.status, error.error, error.message, **error.extra)
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="backpack"'
    return response


@bp.errorhandler(ValidationError)
def _invalid(error: ValidationError) -> Response:
    return _error(422, "invalid", "The request has invalid fields.", fields=error.messages)


@bp.errorhandler(ServiceError)
def _refused(error: ServiceError) -> Response:
    db.session.rollback()
    return _error(error.status if error.status < 500 else 400, error.code, error.message)


@bp.errorhandler(CSRFError)
def _csrf(error: CSRFError) -> Response:
    return _error(400, "csrf", "Send the page's CSRF token in the X-CSRFToken header.")


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException) -> Response:
    """An HTTP error in this API's JSON shape (also used for routing errors, see create_app)."""
    status = error.code or 500
    return _error(
        status, (error.name or "error").lower().replace(" ", "_"), error.description or ""
    )


answer_database_outages(bp)


@bp.errorhandler(Exception)
def _unexpected(error: Exception) -> Response:
    db.session.rollback()
    current_app.logger.exception("Unhandled error in /api/v1")
    return _error(500, "server_error", "The server hit an error. It is logged; try again later.")


def caller(scope: str) -> User:
    """The user making this request, if allowed the given scope and within its rate."""
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, secret = header.partition(" ")
        token = access_tokens.authenticate(secret.strip()) if scheme.lower() == "bearer" else None
        if token is None:
            raise ApiError(401, "unauthenticated", "The access token is invalid or revoked.")
        if scope not in token.scope.split():
            raise ApiError(403, "insufficient_scope", f"This token lacks the scope {scope}.")
        _spend_rate(f"token:{token.id}", f"account:{token.user_id}")
        db.session.commit()  # its last use
        return token.user
    if not current_user.is_authenticated:
        raise ApiError(401, "unauthenticated", "Log in, or send a personal access token.")
    if request.method not in SAFE_METHODS:
        csrf.protect()
    user: User = current_user._get_current_object()
    _spend_rate(f"account:{user.id}")
    return user


def _spend_rate(*keys: str) -> None:
    """Count this request against its token's and its account's API rate, before any work:
    many tokens of one account share the account's rate."""
    config = current_app.config
    if not config["RATELIMIT_ENABLED"]:
        return
    budgets = [(item, key) for key in keys for item in parse_many(config["RATELIMIT_API"])]
    if not rate_budgets.spend(budgets, "api-v1"):
        raise ApiError(429, "rate_limited", "Too many API requests. Wait a minute and try again.")


def known_id(value: int, what: str) -> int:
    """An id that can exist; larger ones are answered 404 before reaching the database."""
    if not 1 <= value <= MAX_ID:
        raise ApiError(404, "not_found", f"You have no {what} with this id.")
    return value


def load(schema: Schema, source: str = "json") -> dict[str, Any]:
    """Validated input from the JSON body or the query string."""
    if source == "query":
        data: Any = request.args.to_dict()
    else:
        try:
            data = current_app.json.loads(request.get_data(cache=True)) if request.is_json else None
        except ValueError as exc:  # not JSON, or JSON the server cannot store: it says which
            raise ApiError(400, "bad_request", str(exc)) from None
        if not isinstance(data, dict):
            raise ApiError(400, "bad_request", "The body must be a JSON object.")
    loaded: dict[str, Any] = schema.load(data)
    return loaded


@bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def not_found(rest: str) -> Response:
    """Any other path under /api/v1."""
    return _error(404, "not_found", "There is no such API resource.")


# Last, and only for their routes: each of these modules adds its views to `bp`, above.
from backpack.api.v1 import badges, collections, emails, openapi  # noqa: E402, F401
