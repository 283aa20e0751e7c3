"""A public page costs the same number of SQL statements whatever the number of badges."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from backpack.extensions import db
from backpack.models import BadgeShare
from backpack.web.page_cache import page_cache
from tests.conftest import Accounts, post_form
from tests.sharing_helpers import add_to, create_collection, publish, share_token
from tests.support.badge_rows import make_badge
from tests.support.sql_statements import counted_statements


def _costs(app: Flask, client: FlaskClient, user_id: int, size: int) -> dict[str, int]:
    collection_id = create_collection(client, f"{size} badges")
    badge_ids = [make_badge(app, user_id, name=f"Badge {n}") for n in range(size)]
    add_to(client, collection_id, *badge_ids)
    path = publish(client, collection_id)
    post_form(client, "/collections/", {}, action=f"/shared-badges/{badge_ids[0]}/publish")
    with app.app_context():
        token = db.session.scalar(sa.select(BadgeShare.share_token))
    visitor = app.test_client()
    routes = {
        "html": path,
        "json": path + ".json",
        "widget": path + "/embed",
        "oembed": f"/public/oembed?url=http://backpack.test{path}",
        "image": f"{path}/badges/{badge_ids[-1]}/image",
        "displayer group": f"/displayer/{user_id}/group/{collection_id}.json",
        "displayer groups": f"/displayer/{user_id}/groups.json",
        "single badge": f"/public/badges/{token}",
    }
    costs: dict[str, int] = {}
    for name, route in routes.items():
        with app.app_context():
            page_cache().clear()
        with counted_statements(app) as cold:
            response = visitor.get(route)
        assert response.status_code == 200, (name, response.get_data(as_text=True)[:300])
        response.close()
        with counted_statements(app) as warm:
            visitor.get(route).close()
        costs[f"{name} (first)"] = len(cold)
        costs[f"{name} (cached)"] = len(warm)
    assert share_token(app, collection_id)
    return costs


def test_public_pages_cost_the_same_for_3_and_30_badges(
    app: Flask, client: FlaskClient, accounts: Accounts
) -> None:
    user_id = accounts.create("ann@example.org", name="Ann")
    accounts.login("ann@example.org")
    post_form(client, "/account/", {"findable": "y"}, action="/account/displayer")
    small, large = _costs(app, client, user_id, 3), _costs(app, client, user_id, 30)
    assert small == large
    # A cached page costs one query: the version check that keeps it from going stale.
    assert small["html (cached)"] == 1
    assert small["html (first)"] <= 3
