"""/api/v1/badges: the caller's badges."""

from __future__ import annotations

import json

from flask import Response

from backpack.api.v1 import ApiError, bp, caller, json_response, known_id, load
from backpack.extensions import db
from backpack.models import Badge, User
from backpack.schemas.api_v1 import BadgeArgs, BadgeListArgs, BadgeSchema, BadgeUpdateArgs
from backpack.services import badges
from backpack.services.badge_intake import BadgeRefused, receive_badge

BADGE = BadgeSchema()


def _badge(user: User, badge_id: int) -> Badge:
    badge = badges.get_badge(user, known_id(badge_id, "badge"))
    if badge is None:
        raise ApiError(404, "not_found", "You have no badge with this id.")
    return badge


@bp.get("/badges")
def list_badges() -> Response:
    """The caller's badges, newest first."""
    user = caller("badges:read")
    args = load(BadgeListArgs(), "query")
    status = args.get("status")
    rows = badges.badge_slice(user, status=status, limit=args["limit"], offset=args["offset"])
    total = badges.count_badges(user, status=status)
    return json_response({"items": BADGE.dump(rows, many=True), "total": total})


@bp.post("/badges")
def add_badge() -> Response:
    """Add a badge by URL, JWS or assertion JSON, through the one intake."""
    user = caller("badges:write")
    value = load(BadgeArgs())["badge"]
    data = json.dumps(value) if isinstance(value, dict) else str(value).strip()
    source = "url" if data.startswith(("http://", "https://")) else "paste"
    try:
        received = receive_badge(user, data, source=source)
    except BadgeRefused as refusal:
        raise ApiError(422, refusal.code, str(refusal)) from refusal
    db.session.commit()
    return json_response(BADGE.dump(received.badge), 201 if received.created else 200)


@bp.get("/badges/<int:badge_id>")
def get_badge(badge_id: int) -> Response:
    """One of the caller's badges."""
    return json_response(BADGE.dump(_badge(caller("badges:read"), badge_id)))


@bp.patch("/badges/<int:badge_id>")
def update_badge(badge_id: int) -> Response:
    """Accept or reject a badge."""
    badge = _badge(caller("badges:write"), badge_id)
    status = load(BadgeUpdateArgs())["status"]
    if status == "accepted":
        badges.accept_badge(badge)
    else:
        badges.reject_badge(badge)
    db.session.commit()
    return json_response(BADGE.dump(badge))


@bp.delete("/badges/<int:badge_id>")
def delete_badge(badge_id: int) -> Response:
    """Delete a badge for good."""
    badges.delete_badge(_badge(caller("badges:write"), badge_id))
    db.session.commit()
    return Response(status=204)
