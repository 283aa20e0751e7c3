"""/api/v1/collections: the caller's collections."""

from __future__ import annotations

from flask import Response

from backpack.api.v1 import ApiError, bp, caller, json_response, known_id, load
from backpack.extensions import db
from backpack.models import Collection, User
from backpack.schemas.api_v1 import CollectionArgs, CollectionBadgesArgs, CollectionSchema
from backpack.services import collections

COLLECTION = CollectionSchema()


def _collection(user: User, collection_id: int) -> Collection:
    collection = collections.get_collection(user, known_id(collection_id, "collection"))
    if collection is None:
        raise ApiError(404, "not_found", "You have no collection with this id.")
    return collection


@bp.get("/collections")
def list_collections() -> Response:
    """The caller's collections, in their order."""
    user = caller("collections:read")
    found = collections.collections_with_items(user)
    return json_response({"items": COLLECTION.dump(found, many=True)})


@bp.post("/collections")
def create_collection() -> Response:
    """Create a private collection."""
    user = caller("collections:write")
    args = load(CollectionArgs())
    collection = collections.create_collection(user, args["name"], args["description"])
    db.session.commit()
    return json_response(COLLECTION.dump(_collection(user, collection.id)), 201)


@bp.get("/collections/<int:collection_id>")
def get_collection(collection_id: int) -> Response:
    """One collection with its badge ids in order."""
    return json_response(COLLECTION.dump(_collection(caller("collections:read"), collection_id)))


@bp.patch("/collections/<int:collection_id>")
def update_collection(collection_id: int) -> Response:
    """Rename or describe a collection."""
    user = caller("collections:write")
    collection = _collection(user, collection_id)
    args = load(CollectionArgs())
    collections.update_collection(
        collection,
        name=args["name"],
        description=args["description"],
        show_owner_name=collection.show_owner_name,
    )
    db.session.commit()
    return json_response(COLLECTION.dump(collection))


@bp.delete("/collections/<int:collection_id>")
def delete_collection(collection_id: int) -> Response:
    """Delete a collection (its badges stay)."""
    collections.delete_collection(_collection(caller("collections:write"), collection_id))
    db.session.commit()
    return Response(status=204)


@bp.post("/collections/<int:collection_id>/badges")
def add_collection_badges(collection_id: int) -> Response:
    """Add some of the caller's accepted badges to a collection."""
    user = caller("collections:write")
    collection = _collection(user, collection_id)
    collections.add_badges(collection, load(CollectionBadgesArgs())["badge_ids"])
    db.session.commit()
    return json_response(COLLECTION.dump(_collection(user, collection_id)))


@bp.delete("/collections/<int:collection_id>/badges/<int:badge_id>")
def remove_collection_badge(collection_id: int, badge_id: int) -> Response:
    """Take a badge out of a collection."""
    collection = _collection(caller("collections:write"), collection_id)
    if not collections.remove_badge(collection, known_id(badge_id, "badge")):
        raise ApiError(404, "not_found", "That badge is not in this collection.")
    db.session.commit()
    return Response(status=204)
