"""Helpers for the collection and sharing tests: act through the pages as the owner would."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from backpack.extensions import db
from backpack.models import BadgeShare, Collection, CollectionItem
from tests.conftest import post_form


def create_collection(client: FlaskClient, name: str = "Robotics", description: str = "") -> int:
    """Create a collection through the page and return its id."""
    response = post_form(
        client, "/collections/", {"name": name, "description": description}, action="/collections/"
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    match = re.search(r"/collections/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def act(client: FlaskClient, collection_id: int, path: str, data: Any = None, **kw: Any) -> Any:
    """Post one of the collection page's forms."""
    return post_form(
        client,
        f"/collections/{collection_id}",
        data or {},
        action=f"/collections/{collection_id}/{path}",
        **kw,
    )


def add_to(client: FlaskClient, collection_id: int, *badge_ids: int) -> Any:
    return act(client, collection_id, "badges", {"badge_ids": [str(b) for b in badge_ids]})


def publish(client: FlaskClient, collection_id: int) -> str:
    """Publish a collection through its page and return its public path."""
    response = act(client, collection_id, "publish")
    assert response.status_code == 302
    return public_path(client.application, collection_id)


def public_path(app: Flask, collection_id: int) -> str:
    token = share_token(app, collection_id)
    assert token is not None, "the collection is not published"
    return f"/public/collections/{token}"


def share_token(app: Flask, collection_id: int) -> str | None:
    with app.app_context():
        return db.session.scalar(
            sa.select(Collection.share_token).where(Collection.id == collection_id)
        )


def badge_token(app: Flask, badge_id: int) -> str | None:
    with app.app_context():
        return db.session.scalar(
            sa.select(BadgeShare.share_token).where(BadgeShare.badge_id == badge_id)
        )


def share_badge(client: FlaskClient, badge_id: int) -> str:
    """Share one badge on its own through its sharing page; return its public path."""
    response = post_form(
        client,
        f"/shared-badges/{badge_id}",
        {},
        action=f"/shared-badges/{badge_id}/publish",
    )
    assert response.status_code == 302, response.status_code
    token = badge_token(client.application, badge_id)
    assert token is not None
    return f"/public/badges/{token}"


def item_order(app: Flask, collection_id: int) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(CollectionItem.badge_id)
                .where(CollectionItem.collection_id == collection_id)
                .order_by(CollectionItem.position)
            )
        )
