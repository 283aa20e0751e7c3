"""Schemas of the first-party API (/api/v1)."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from backpack.services.badges import STATUSES


class ErrorSchema(Schema):
    """The one error shape of /api/v1."""

    error = fields.String(required=True, metadata={"description": "A stable machine code"})
    message = fields.String(required=True, metadata={"description": "What went wrong, in words"})
    fields_ = fields.Dict(data_key="fields", keys=fields.String(), values=fields.Raw())


class PageArgs(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=100))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10**9))


class BadgeListArgs(PageArgs):
    status = fields.String(validate=validate.OneOf(STATUSES))


class BadgeSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    verification = fields.String(required=True)
    recipient = fields.String(required=True)
    issuer_name = fields.String(required=True)
    assertion_id = fields.String(attribute="assertion_iri", allow_none=True, required=True)
    issued_on = fields.DateTime(allow_none=True, required=True)
    expires = fields.DateTime(attribute="expires_at", allow_none=True, required=True)
    source = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class BadgeListSchema(Schema):
    items = fields.List(fields.Nested(BadgeSchema), required=True)
    total = fields.Integer(required=True)


def _badge_input(value: object) -> None:
    if isinstance(value, str) and value.strip():
        return
    if isinstance(value, dict) and value:
        return
    raise ValidationError("Give a hosted assertion URL, a JWS, or the assertion JSON object.")


class BadgeArgs(Schema):
    badge = fields.Raw(
        required=True,
        validate=_badge_input,
        metadata={"description": "A hosted assertion URL, a JWS, or assertion JSON"},
    )


class BadgeUpdateArgs(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["accepted", "rejected"]))


class CollectionSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    published = fields.Function(lambda c: c.published_at is not None, required=True)
    badge_ids = fields.Function(lambda c: [i.badge_id for i in c.items], required=True)


class CollectionArgs(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    description = fields.String(load_default="", validate=validate.Length(max=2000))


class CollectionBadgesArgs(Schema):
    badge_ids = fields.List(
        fields.Integer(validate=validate.Range(min=1, max=2**31 - 1)),
        required=True,
        validate=validate.Length(min=1, max=100),
    )


class EmailSchema(Schema):
    id = fields.Integer(required=True)
    address = fields.String(required=True)
    verified = fields.Boolean(attribute="is_verified", required=True)
    primary = fields.Boolean(attribute="is_primary", required=True)


class EmailArgs(Schema):
    address = fields.String(required=True, validate=validate.Length(min=1, max=320))
