"""An earner's collections: create, describe, fill, order, tell a story per badge, delete."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from backpack.database.bulk_rows import among, insert_rows, insert_rows_returning_ids
from backpack.extensions import db
from backpack.models import Badge, Collection, CollectionItem, User
from backpack.models.base import utcnow
from backpack.models.collections import DESCRIPTION_MAX, NAME_MAX, STORY_MAX, new_share_token
from backpack.services import sharing
from backpack.services.errors import ServiceError

# Only badges in the backpack proper can be added; pending and rejected ones cannot. An
# imported collection keeps its members whatever their status (Mozilla showed them all to
# their owner): public pages and APIs show a member only while it is accepted.
COLLECTABLE_STATUS = "accepted"


class CollectionRefused(ServiceError):
    """A change to a collection that cannot be made, with the reason."""

    code = "collection_refused"
    status = 400


class BadOrder(ServiceError):
    """A new order that is not exactly the collection's badges, each once."""

    code = "bad_order"
    status = 400


@dataclass(frozen=True)
class CollectionSummary:
    """A collection as its owner's list shows it."""

    collection: Collection
    badge_count: int


def list_collections(user: User) -> list[CollectionSummary]:
    """The user's collections in their chosen order, with how many badges each holds."""
    counts = (
        sa.select(CollectionItem.collection_id, sa.func.count().label("badges"))
        .group_by(CollectionItem.collection_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Collection, sa.func.coalesce(counts.c.badges, 0))
        .outerjoin(counts, counts.c.collection_id == Collection.id)
        .where(Collection.user_id == user.id)
        .order_by(Collection.position, Collection.id)
    ).all()
    return [CollectionSummary(collection, int(count)) for collection, count in rows]


def collections_with_items(user: User) -> list[Collection]:
    """The user's collections in their chosen order, each with its items loaded."""
    return list(
        db.session.scalars(
            sa.select(Collection)
            .where(Collection.user_id == user.id)
            .options(selectinload(Collection.items))
            .order_by(Collection.position, Collection.id)
        )
    )


def get_collection(user: User, collection_id: int) -> Collection | None:
    """One of the user's collections with its badges, or None (never another user's)."""
    collection = db.session.scalar(
        sa.select(Collection)
        .where(Collection.id == collection_id, Collection.user_id == user.id)
        .options(selectinload(Collection.items).selectinload(CollectionItem.badge))
    )
    return collection


def collection_id_named(user: User, name: str) -> int | None:
    """The id of one of the user's collections of exactly this name, if there is one."""
    return db.session.scalar(
        sa.select(Collection.id).filter_by(user_id=user.id, name=name).limit(1)
    )


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise CollectionRefused("Give the collection a name.")
    if len(name) > NAME_MAX:
        raise CollectionRefused(f"A collection name is at most {NAME_MAX} characters.")
    return name


def _clean_text(text: str, limit: int, what: str) -> str:
    text = text.replace("\r\n", "\n").strip()
    if len(text) > limit:
        raise CollectionRefused(f"{what} is at most {limit} characters.")
    return text


def create_collection(user: User, name: str, description: str = "") -> Collection:
    """A new private collection at the end of the user's list."""
    last = db.session.scalar(
        sa.select(sa.func.max(Collection.position)).where(Collection.user_id == user.id)
    )
    collection = Collection(
        user_id=user.id,
        name=_clean_name(name),
        description=_clean_text(description, DESCRIPTION_MAX, "A description"),
        position=(last or 0) + 1,
    )
    db.session.add(collection)
    db.session.flush()
    return collection


def update_collection(
    collection: Collection, *, name: str, description: str, show_owner_name: bool
) -> None:
    """Rename and describe a collection, and choose whether its public page names the owner."""
    collection.name = _clean_name(name)
    collection.description = _clean_text(description, DESCRIPTION_MAX, "A description")
    collection.show_owner_name = show_owner_name
    collection.updated_at = utcnow()
    db.session.flush()


def delete_collection(collection: Collection) -> None:
    """Delete a collection (never its badges); its public link, if any, is withdrawn."""
    if collection.share_token is not None:
        sharing.retire_token(collection.user_id, collection.share_token)
    db.session.delete(collection)
    db.session.flush()


def addable_badges(collection: Collection) -> list[Badge]:
    """The owner's badges that could join this collection, newest first."""
    present = sa.select(CollectionItem.badge_id).where(
        CollectionItem.collection_id == collection.id
    )
    return list(
        db.session.scalars(
            sa.select(Badge)
            .where(
                Badge.user_id == collection.user_id,
                Badge.status == COLLECTABLE_STATUS,
                Badge.id.not_in(present),
            )
            .order_by(Badge.created_at.desc(), Badge.id.desc())
        )
    )


def shareable_badges(user: User) -> list[Badge]:
    """The user's accepted badges, newest first: those a collection or a link may show."""
    return list(
        db.session.scalars(
            sa.select(Badge)
            .where(Badge.user_id == user.id, Badge.status == COLLECTABLE_STATUS)
            .order_by(Badge.created_at.desc(), Badge.id.desc())
        )
    )


def add_badges(collection: Collection, badge_ids: Iterable[int]) -> int:
    """Put the owner's accepted badges at the end of the collection; return how many joined."""
    wanted = list(dict.fromkeys(badge_ids))
    if not wanted:
        raise CollectionRefused("Choose at least one badge to add.")
    found = {
        badge.id: badge
        for badge in db.session.scalars(
            sa.select(Badge).where(Badge.id.in_(wanted), Badge.user_id == collection.user_id)
        )
    }
    if len(found) != len(wanted):
        # Another user's badge, or one deleted meanwhile: say so without telling which.
        raise CollectionRefused("Some of those badges are not in your backpack.")
    if any(badge.status != COLLECTABLE_STATUS for badge in found.values()):
        raise CollectionRefused("Only accepted badges can go into a collection.")
    present = {item.badge_id for item in collection.items}
    position = len(collection.items)
    added = 0
    for badge_id in wanted:
        if badge_id in present:
            continue
        collection.items.append(CollectionItem(badge_id=badge_id, position=position))
        position += 1
        added += 1
    collection.updated_at = utcnow()
    db.session.flush()
    return added


def _item(collection: Collection, badge_id: int) -> CollectionItem | None:
    return next((item for item in collection.items if item.badge_id == badge_id), None)


def remove_badge(collection: Collection, badge_id: int) -> bool:
    """Take a badge out of the collection (it stays in the backpack); False if absent."""
    item = _item(collection, badge_id)
    if item is None:
        return False
    collection.items.remove(item)
    _renumber(collection.items)
    collection.updated_at = utcnow()
    db.session.flush()
    return True


def move_badge(collection: Collection, badge_id: int, offset: int) -> bool:
    """Move a badge up (-1) or down (+1) one place; False when it is absent or at an end."""
    if offset not in (-1, 1):
        raise BadOrder("A badge moves one place up or down at a time.")
    items = list(collection.items)
    item = _item(collection, badge_id)
    if item is None:
        return False
    index = items.index(item)
    target = index + offset
    if not 0 <= target < len(items):
        return False
    items[index], items[target] = items[target], items[index]
    _renumber(items)
    collection.updated_at = utcnow()
    db.session.flush()
    return True


def reorder(collection: Collection, badge_ids: Sequence[int]) -> None:
    """Put the collection's badges in this order, which must name each of them exactly once."""
    by_badge = {item.badge_id: item for item in collection.items}
    if len(badge_ids) != len(by_badge) or set(badge_ids) != set(by_badge):
        raise BadOrder(
            "The new order must list every badge of the collection exactly once. "
            "Reload the page: the collection may have changed in another window."
        )
    _renumber([by_badge[badge_id] for badge_id in badge_ids])
    collection.updated_at = utcnow()
    db.session.flush()


def set_story(collection: Collection, badge_id: int, story: str) -> bool:
    """Write the story of a badge in this collection; False if the badge is not in it."""
    item = _item(collection, badge_id)
    if item is None:
        return False
    item.story = _clean_text(story, STORY_MAX, "A story")
    collection.updated_at = utcnow()
    db.session.flush()
    return True


def move_collection(user: User, collection: Collection, offset: int) -> bool:
    """Move a collection up (-1) or down (+1) in the owner's list; False at an end."""
    if offset not in (-1, 1):
        raise BadOrder("A collection moves one place up or down at a time.")
    ordered = [summary.collection for summary in list_collections(user)]
    index = ordered.index(collection)
    target = index + offset
    if not 0 <= target < len(ordered):
        return False
    ordered[index], ordered[target] = ordered[target], ordered[index]
    for position, each in enumerate(ordered):
        each.position = position
    db.session.flush()
    return True


def _renumber(items: Sequence[CollectionItem]) -> None:
    for position, item in enumerate(items):
        item.position = position


@dataclass(frozen=True)
class ImportedCollection:
    """A collection an import brings: its badges in order, their stories, whether public."""

    user_id: int
    name: str
    description: str = ""
    badge_ids: Sequence[int] = ()
    stories: Mapping[int, str] = field(default_factory=dict)
    published: bool = False
    show_owner_name: bool = False


def import_collections(collections: Sequence[ImportedCollection]) -> list[int | ServiceError]:
    """Create many collections at once, filled, with stories, published where asked (imports).

    Each is checked as `create_collection`, `set_story` and `sharing.publish_collection`
    check one, and holds only its owner's badges; unlike `add_badges`, a pending or rejected
    badge keeps its place (hidden from visitors until it is accepted). The result is each
    new id or why it was refused. A few statements in all, whatever the count.
    """
    owners = sorted({c.user_id for c in collections})
    listed = sorted({badge_id for c in collections for badge_id in c.badge_ids})
    owned = badge_owners(listed)
    positions = db.session.execute(
        sa.select(Collection.user_id, sa.func.max(Collection.position))
        .where(among(Collection.user_id, owners))
        .group_by(Collection.user_id)
    )
    last = {user_id: position for user_id, position in positions}
    results: list[int | ServiceError] = []
    rows: list[dict[str, object]] = []
    contents: list[list[dict[str, object]]] = []
    now = utcnow()
    for wanted in collections:
        try:
            row, items = _new_collection(wanted, owned, now)
        except ServiceError as exc:
            results.append(exc)
            continue
        last[wanted.user_id] = row["position"] = (last.get(wanted.user_id) or 0) + 1
        results.append(len(rows))  # replaced by the collection's id below
        rows.append(row)
        contents.append(items)
    if not rows:
        return results
    ids = insert_rows_returning_ids(Collection, rows)
    items = [
        item | {"collection_id": i} for i, each in zip(ids, contents, strict=True) for item in each
    ]
    insert_rows(CollectionItem, items)
    return [ids[r] if isinstance(r, int) else r for r in results]


def badge_owners(badge_ids: Sequence[int]) -> dict[int, int]:
    """Of these badges, those that exist, each with its owner, whatever its status (one query)."""
    if not badge_ids:
        return {}
    rows = db.session.execute(sa.select(Badge.id, Badge.user_id).where(among(Badge.id, badge_ids)))
    return {badge_id: user_id for badge_id, user_id in rows}


def _new_collection(
    wanted: ImportedCollection, owned: Mapping[int, int], now: datetime
) -> tuple[dict[str, object], list[dict[str, object]]]:
    badge_ids = list(dict.fromkeys(wanted.badge_ids))
    if any(owned.get(badge_id) != wanted.user_id for badge_id in badge_ids):
        raise CollectionRefused("Only its owner's badges can go into a collection.")
    stories = {
        badge_id: _clean_text(story, STORY_MAX, "A story")
        for badge_id, story in wanted.stories.items()
        if badge_id in badge_ids
    }
    row: dict[str, object] = {
        "user_id": wanted.user_id,
        "name": _clean_name(wanted.name),
        "description": _clean_text(wanted.description, DESCRIPTION_MAX, "A description"),
        "share_token": new_share_token() if wanted.published else None,
        "published_at": now if wanted.published else None,
        "show_owner_name": wanted.show_owner_name,
    }
    items: list[dict[str, object]] = [
        {"badge_id": badge_id, "position": position, "story": stories.get(badge_id, "")}
        for position, badge_id in enumerate(badge_ids)
    ]
    return row, items
