"""A badge pushed into an earner's backpack, answered as Mozilla's APIs did.

Shared by Backpack Connect's `POST /api/issue` (`api.backpack_connect`) and the issuer
API's `POST /issuer/assertion` (`api.mozilla_issuer`); both push through the one intake
service.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response

from backpack.extensions import db
from backpack.models import User
from backpack.services.badge_intake import BadgeRefused, receive_badge
from backpack.services.public_pages import public_assertion

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": "Authorization, Content-Type",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
}


def json_response(document: dict[str, Any], status: int = 200) -> Response:
    """A JSON answer that issuer pages may read from another origin, never cached."""
    response = Response(json.dumps(document), status=status, mimetype="application/json")
    # Issuer pages call Backpack Connect's routes with XMLHttpRequest; its bearer token, not
    # a cookie, authorises.
    response.headers.update(CORS_HEADERS)
    response.headers["Cache-Control"] = "no-store"
    return response


def award(user: User, data: str, origin: str | None = None) -> Response:
    """Push a badge into the user's backpack; answer as Mozilla's issuer API did.

    `origin` is the site a Backpack Connect grant lets push; the badge must come from it.
    """
    try:
        received = receive_badge(user, data, source="push", origin=origin)
    except BadgeRefused as refusal:
        if refusal.code == "recipient_mismatch":
            return json_response({"message": "badge assertion is for a different user"}, 403)
        if refusal.code == "origin_mismatch":
            return origin_mismatch(str(refusal))
        return json_response({"message": str(refusal), "reason": refusal.code}, 400)
    db.session.commit()
    badge = public_assertion(received.badge)
    if not received.created:
        return json_response(
            {"badge": badge, "exists": True, "message": "badge already exists"}, 304
        )
    return json_response({"exists": False, "badge": badge}, 201)


def origin_mismatch(reason: str) -> Response:
    """The 403 for a badge from another site than the one its grant lets push."""
    return json_response(
        {
            "message": "issuer origin must be identical to bearer token origin",
            "reason": "origin_mismatch",
            "detail": reason,
        },
        403,
    )
