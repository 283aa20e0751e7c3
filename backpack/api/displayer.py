"""The Mozilla Displayer API, with the shapes Moodle, WordPress and Chamilo widgets expect.

`POST /displayer/convert/email` finds a user id by address; `GET /displayer/<userId>/groups.json`
lists published collections; `GET /displayer/<userId>/group/<groupId>.json` gives one's badges.
Everything answers only for users who opted in (account settings) and only about published
collections and accepted badges. The read routes allow CORS and JSONP (`?callback=`); the
address lookup allows neither, as Mozilla's did, and is rate limited.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import HTTPException

from backpack.extensions import csrf, limiter
from backpack.links import external_url
from backpack.models import Badge
from backpack.models.base import MAX_ID
from backpack.services import displayer

bp = Blueprint("displayer", __name__, url_prefix="/displayer")
# A public read API with no session: nothing for a cross-site request to forge.
csrf.exempt(bp)

# A JavaScript name or dotted path (jQuery's `jQuery123_456`, `widgets.show`), nothing else:
# no brackets, quotes or parentheses that could smuggle code into the response.
CALLBACK = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]{0,63}(\.[A-Za-z_$][A-Za-z0-9_$]{0,63}){0,3}")
ID = re.compile(r"[0-9]{1,18}")
MISSING: dict[str, Any] = {"httpStatus": 404, "status": "missing"}
READ_METHODS = "GET, HEAD, OPTIONS"


def _json(document: object, status: int = 200) -> Response:
    return Response(json.dumps(document), status=status, mimetype="application/json")


def _read_response(document: object, status: int = 200) -> Response:
    """JSON, or JSONP when ?callback= names a function; CORS allowed either way."""
    callback = request.args.get("callback")
    if callback is None:
        response = _json(document, status)
    elif not CALLBACK.fullmatch(callback):
        response = _json(
            {"status": "invalid", "error": "invalid `callback` parameter: give a function name"},
            400,
        )
    else:
        # U+2028 and U+2029 are valid in JSON but end a line in older JavaScript engines.
        body = json.dumps(document).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
        # The leading comment stops a response from being read as anything but script.
        response = Response(
            f"/**/ typeof {callback} === 'function' && {callback}({body});",
            status=status,
            mimetype="application/javascript",
        )
    return response


@bp.after_request
def allow_cross_origin_reads(response: Response) -> Response:
    """CORS on the read routes (preflights included), never on the address lookup."""
    if request.endpoint not in ("displayer.convert_email", "displayer.convert_email_form"):
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Allow-Methods"] = READ_METHODS
        response.headers["Access-Control-Max-Age"] = "86400"
    return response


def _user_id(value: str) -> int | None:
    # Ids beyond the database's integer type cannot exist; asking for one is a plain miss.
    number = int(value) if ID.fullmatch(value) else None
    return number if number is not None and number <= MAX_ID else None


def _limit() -> str:
    return str(current_app.config["RATELIMIT_DISPLAYER_LOOKUP"])


@bp.post("/convert/email")
@limiter.limit(_limit)
def convert_email() -> Response:
    """Find the user id behind a verified address of a user who opted in."""
    body = request.get_json(silent=True) if request.is_json else None
    value = body.get("email") if isinstance(body, dict) else request.form.get("email")
    if not isinstance(value, str) or not value.strip():
        return _json({"status": "invalid", "error": "missing `email` parameter"}, 400)
    email = value.strip()
    if len(email) > 320:
        return _json({"status": "invalid", "error": "the `email` parameter is too long"}, 400)
    user_id = displayer.find_user_id(email)
    if user_id is None:
        # The same answer whether the address is unknown or its owner did not opt in.
        message = f"Could not find a user by the email address `{email}`"
        return _json({"status": "missing", "error": message}, 404)
    return _json({"status": "okay", "email": email, "userId": user_id})


@bp.get("/convert/email")
def convert_email_form() -> Response:
    """Say how to use the lookup (Mozilla's HTML form is not kept)."""
    response = _json(
        {"status": "invalid", "error": "POST the address as `email` (form or JSON)"}, 405
    )
    response.headers["Allow"] = "POST"
    return response


@bp.get("/<user_id>/groups.json")
@bp.get("/<user_id>/groups")
def groups(user_id: str) -> Response:
    """The user's published collections, with how many badges each shows."""
    uid = _user_id(user_id)
    found = displayer.groups(uid) if uid is not None else None
    if found is None:
        return _read_response(MISSING, 404)
    return _read_response(
        {
            "userId": uid,
            "groups": [
                {"groupId": g.collection_id, "name": g.name, "badges": g.badge_count} for g in found
            ],
        }
    )


@bp.get("/<user_id>/group/<group_id>.json")
@bp.get("/<user_id>/group/<group_id>")
def group(user_id: str, group_id: str) -> Response:
    """The badges of one published collection, as Mozilla's Displayer gave them."""
    uid, gid = _user_id(user_id), _user_id(group_id)
    found = displayer.group_badges(uid, gid) if uid is not None and gid is not None else None
    if found is None:
        return _read_response(MISSING, 404)
    return _read_response(
        {
            "userId": uid,
            "groupId": gid,
            "badges": [_displayer_badge(badge, found.share_token) for badge in found.badges],
        }
    )


def _timestamp(moment: datetime) -> str:
    # JavaScript's Date.toISOString(), which Mozilla's lastValidated used.
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _displayer_badge(badge: Badge, token: str) -> dict[str, Any]:
    hosted = badge.source_url if badge.verification_kind == "hosted" else None
    image = None
    if badge.badge_class.image_id is not None:
        image = external_url("public.collection_image", token=token, badge_id=badge.id)
    return {
        "lastValidated": _timestamp(badge.last_verified_at),
        "hostedUrl": hosted,
        "assertion": displayer.displayer_assertion(badge),
        "imageUrl": image,
    }


@bp.route("/<path:anything>", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
def unknown(anything: str) -> Response:
    """Any other path under /displayer/: the API's own not-found answer."""
    return _read_response(MISSING, 404)


@bp.errorhandler(429)
def rate_limited(error: HTTPException) -> Response:
    """Too many lookups, in the API's JSON shape (the app's own handler renders HTML)."""
    message = "Too many requests in a short time. Wait a little and try again."
    return _json({"httpStatus": 429, "status": "error", "error": message}, 429)


@bp.errorhandler(HTTPException)
def api_error(error: HTTPException) -> Response:
    """Any other error inside the API in its JSON shape, never an HTML page."""
    status = error.code or 500
    return _json({"httpStatus": status, "status": "error", "error": error.description}, status)
