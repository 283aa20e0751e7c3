"""A whole Mozilla Backpack instance, read from its tables, as import units.

Users come first (each followed by its additional addresses), then badges with their
images, then groups with their portfolios. The source is read through server-side cursors,
a row at a time, so memory stays flat however large the instance is.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from backpack.extensions import db
from backpack.models import Badge, User
from backpack.services import accounts, collections, emails, legacy_links, sharing
from backpack.services.badge_intake import receive_unchecked
from backpack.services.errors import ServiceError
from importers import mozilla_schema as schema
from importers.pipeline import Outcome, Pipeline, RecordRefused, Unit
from importers.report import ImportReport

Row = sa.RowMapping
STREAM_ROWS = 500


def count_units(source: sa.Engine) -> int:
    """Roughly how many units the instance holds (for the progress bar)."""
    with source.connect() as connection:
        return sum(
            connection.scalar(sa.select(sa.func.count()).select_from(table)) or 0
            for table in (schema.user, schema.badge, schema.group)
        )


def instance_units(source: sa.Engine, pipeline: Pipeline, report: ImportReport) -> Iterator[Unit]:
    """Every unit of the instance, in the order their dependencies need."""
    for row in _stream(source, sa.select(schema.user).order_by(schema.user.c.id)):
        yield Unit("users", f"user:{row['id']}", _user_importer(row), str(row["email"]))
        for slot in (1, 2):
            address = row[f"additional_email_{slot}"]
            if address:
                verified = bool(row[f"additional_email_{slot}_is_verified"])
                key = f"user:{row['id']}:email:{slot}"
                apply = _email_importer(pipeline, row["id"], address, verified)
                yield Unit("emails", key, apply, str(address))
    owners = _Owners(pipeline)
    badges = sa.select(schema.badge, schema.badge_image.c.image_data).outerjoin(
        schema.badge_image, schema.badge_image.c.badge_hash == schema.badge.c.body_hash
    )
    for row in _stream(source, badges.order_by(schema.badge.c.user_id, schema.badge.c.id)):
        label = str(row["endpoint"] or row["body_hash"] or row["id"])
        yield Unit("badges", f"badge:{row['id']}", _badge_importer(owners, row), label)
    groups = sa.select(
        schema.group,
        schema.portfolio.c.title,
        schema.portfolio.c.subtitle,
        schema.portfolio.c.preamble,
        schema.portfolio.c.stories,
    ).outerjoin(schema.portfolio, schema.portfolio.c.group_id == schema.group.c.id)
    missing = _Tally()
    for row in _stream(source, groups.order_by(schema.group.c.id)):
        apply = _group_importer(owners, row, missing)
        yield Unit("collections", f"group:{row['id']}", apply, str(row["name"]))
    if missing.count:
        report.notes.append(
            f"{missing.count} badge(s) listed in groups were deleted or not imported; "
            "their collections hold the others."
        )


def _stream(source: sa.Engine, query: sa.Select[Any]) -> Iterator[Row]:
    with source.connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=STREAM_ROWS).execute(
            query
        )
        for row in result:
            yield row._mapping


class _Tally:
    def __init__(self) -> None:
        self.count = 0


class _Owners:
    """Our user for a Mozilla user id; badges come ordered by owner, so one is remembered."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.last: tuple[int, int | None] | None = None

    def user(self, mozilla_id: int) -> User:
        if self.last is None or self.last[0] != mozilla_id:
            self.last = (mozilla_id, self.pipeline.target("users", f"user:{mozilla_id}"))
        user = db.session.get(User, self.last[1]) if self.last[1] is not None else None
        if user is None:
            raise RecordRefused(f"its owner (Mozilla user {mozilla_id}) was not imported")
        return user


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return "" if value is None else str(value)


def _millis(value: object) -> datetime | None:
    if isinstance(value, int) and value > 0:
        return datetime.fromtimestamp(value / 1000, UTC)
    return None


def _user_importer(row: Row) -> Callable[[], Outcome]:
    def apply() -> Outcome:
        name = " ".join(_text(row[k]).strip() for k in ("first_name", "last_name")).strip()
        try:
            user = accounts.import_account(
                _text(row["email"]),
                _text(row["password"]),
                name=name,
                verified=bool(row["email_is_verified"]),
                created_at=_millis(row["created_at"]),
            )
        except ServiceError as exc:
            raise RecordRefused(f"{row['email']}: {exc.message}") from exc
        return Outcome(user.id)

    return apply


def _email_importer(
    pipeline: Pipeline, mozilla_id: int, address: str, verified: bool
) -> Callable[[], Outcome]:
    def apply() -> Outcome:
        user = _Owners(pipeline).user(mozilla_id)
        if any(e.normalised == emails.normalise_address(address) for e in user.emails):
            return Outcome(None, created=False)
        try:
            email = emails.add_email(user, address, send=False)
            if verified:
                emails.mark_verified(email)
        except ServiceError as exc:
            raise RecordRefused(f"{address}: {exc.message}") from exc
        return Outcome(email.id)

    return apply


def _badge_importer(owners: _Owners, row: Row) -> Callable[[], Outcome]:
    def apply() -> Outcome:
        user = owners.user(row["user_id"])
        try:
            body = _text(row["body"])
        except UnicodeDecodeError:
            raise RecordRefused("its stored body is not UTF-8 text") from None
        signature = _text(row["signature"])
        image = None
        if row["image_data"]:
            try:
                image = base64.b64decode(row["image_data"], validate=False)
            except (binascii.Error, ValueError):
                image = None  # a badge is never refused for its picture
        validated = row["validated_on"]
        if isinstance(validated, datetime) and validated.tzinfo is None:
            validated = validated.replace(tzinfo=UTC)
        received = receive_unchecked(
            user,
            signature or body,
            described_by=body if signature else None,
            hosted_url=_text(row["endpoint"]) or None,
            image=image,
            checked_at=validated if isinstance(validated, datetime) else None,
        )
        badge = received.badge
        public_path = _text(row["public_path"])
        if public_path and received.created and badge.status == "accepted":
            # Shared on Mozilla: it stays shared, and its old link leads to it.
            sharing.share_badge(badge, None)
            legacy_links.remember_link(
                owners.pipeline.scope, legacy_links.BADGE, public_path, badge.id
            )
        return Outcome(badge.id, created=received.created, pending=received.pending)

    return apply


def _json(value: object, kind: type, what: str) -> Any:
    if value is None or value == b"" or value == "":
        return kind()
    try:
        document = json.loads(value if isinstance(value, str | bytes) else str(value))
    except (ValueError, UnicodeDecodeError):
        raise RecordRefused(f"its {what} are not JSON") from None
    if not isinstance(document, kind):
        raise RecordRefused(f"its {what} are not a JSON {kind.__name__}")
    return document


def _group_importer(owners: _Owners, row: Row, missing: _Tally) -> Callable[[], Outcome]:
    def apply() -> Outcome:
        user = owners.user(row["user_id"])
        listed = _json(row["badges"], list, "badges")
        stories = _json(row["stories"], dict, "portfolio stories")
        parts = (_text(row[k]).strip() for k in ("title", "subtitle", "preamble"))
        description = "\n\n".join(p for p in parts if p)
        name = _text(row["name"]).strip()[:100] or "Untitled collection"
        try:
            collection = collections.create_collection(user, name, description[:2000])
        except ServiceError as exc:
            raise RecordRefused(exc.message) from exc
        ours: dict[str, int] = {}
        for mozilla_id in listed:
            target = owners.pipeline.target("badges", f"badge:{mozilla_id}")
            if target is None:
                missing.count += 1
            else:
                ours[str(mozilla_id)] = target
        accepted = _accepted(user, list(ours.values()))
        if accepted:
            collections.add_badges(collection, accepted)
        for mozilla_id, story in stories.items():
            if str(mozilla_id) in ours and isinstance(story, str) and story.strip():
                collections.set_story(collection, ours[str(mozilla_id)], story[:5000])
        if row["public"]:
            sharing.publish_collection(collection)
        if row["url"]:
            scope = owners.pipeline.scope
            legacy_links.remember_link(
                scope, legacy_links.COLLECTION, _text(row["url"]), collection.id
            )
        return Outcome(collection.id)

    return apply


def _accepted(user: User, badge_ids: list[int]) -> list[int]:
    if not badge_ids:
        return []
    found = set(
        db.session.scalars(
            sa.select(Badge.id).where(
                Badge.id.in_(badge_ids), Badge.user_id == user.id, Badge.status == "accepted"
            )
        )
    )
    return [i for i in badge_ids if i in found]
