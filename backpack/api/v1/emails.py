"""/api/v1/emails: the caller's email addresses."""

from __future__ import annotations

from flask import Response

from backpack.api.v1 import ApiError, bp, caller, json_response, known_id, load
from backpack.extensions import db
from backpack.schemas.api_v1 import EmailArgs, EmailSchema
from backpack.services import emails

EMAIL = EmailSchema()


@bp.get("/emails")
def list_emails() -> Response:
    """The caller's addresses, verified or not."""
    return json_response({"items": EMAIL.dump(caller("emails:read").emails, many=True)})


@bp.post("/emails")
def add_email() -> Response:
    """Add an address; it counts once its owner follows the mailed link."""
    user = caller("emails:write")
    email = emails.add_email(user, load(EmailArgs())["address"])
    db.session.commit()
    return json_response(EMAIL.dump(email), 201)


@bp.delete("/emails/<int:email_id>")
def remove_email(email_id: int) -> Response:
    """Remove an address (not the primary or the last verified one)."""
    user = caller("emails:write")
    email = emails.get_address(user, known_id(email_id, "address"))
    if email is None:
        raise ApiError(404, "not_found", "You have no address with this id.")
    emails.remove_email(email)
    db.session.commit()
    return Response(status=204)
