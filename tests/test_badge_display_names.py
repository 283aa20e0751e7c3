"""A badge is never shown without a name: with no badge class name it is called by its
issuer's host and its issue date, else by where it came from, everywhere it is named."""

from __future__ import annotations

import html
import io
import re
from datetime import datetime

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from backpack.extensions import db
from backpack.models import Badge
from backpack.models.badges import display_name
from tests.badge_fixtures import add_badge
from tests.conftest import Accounts
from tests.sharing_helpers import add_to, create_collection, share_badge
from tests.support.issuer import TestIssuer

ANN = "ann@example.org"


def text_of(client: FlaskClient, path: str) -> str:
    """The words a page shows (its markup left out), as one line."""
    response = client.get(path)
    assert response.status_code == 200, path
    words = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(words).split())


def only_badge_id(app: Flask) -> int:
    with app.app_context():
        [badge_id] = db.session.scalars(sa.select(Badge.id)).all()
        return badge_id


def test_a_badge_without_a_name_is_called_by_its_issuers_host_and_date_everywhere(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer
) -> None:
    assertion = issuer.award(ANN)
    issuer.server.serve("/assertions/1.json", b"down", status=503, content_type="text/plain")
    png = issuer.baked_png(assertion)  # kept unverifiable: its badge class is only a URL
    add_badge(earner.client, "upload", (io.BytesIO(png), "badge.png"))
    issued = datetime.fromisoformat(assertion["issuedOn"])
    name = f"Badge from 127.0.0.1, issued {issued:%Y-%m-%d}"
    badge_id = only_badge_id(badge_app)
    assert f"“{name}” is now in your backpack." in text_of(earner.client, f"/badges/{badge_id}")
    assert f"{name} (127.0.0.1)" in text_of(earner.client, "/collections/")  # share list
    collection = create_collection(earner.client)
    assert f"{name} (127.0.0.1)" in text_of(earner.client, f"/collections/{collection}")
    add_to(earner.client, collection, badge_id)
    page = earner.client.get(f"/collections/{collection}").get_data(as_text=True)
    assert f'aria-label="Reorder {name}"' in page
    public = earner.client.get(share_badge(earner.client, badge_id)).get_data(as_text=True)
    assert f"<title>{name}" in public
    assert re.search(rf"<h1[^>]*>{re.escape(name)}</h1>", public)


@pytest.mark.parametrize(
    ("class_name", "host", "issued", "source", "shown"),
    [
        ("Robotics Level 1", "issuer.example", datetime(2024, 5, 1), "push", "Robotics Level 1"),
        ("  ", "issuer.example", datetime(2024, 5, 1), "push",
         "Badge from issuer.example, issued 2024-05-01"),
        ("", "issuer.example", None, "url", "Badge from issuer.example"),
        ("", None, datetime(2013, 2, 3), "import", "Badge from an import, issued 2013-02-03"),
        ("", None, None, "upload", "Badge from an uploaded image"),
    ],
)  # fmt: skip
def test_a_badge_always_has_a_name_to_show(
    class_name: str, host: str | None, issued: datetime | None, source: str, shown: str
) -> None:
    assert display_name(class_name, host, issued, source) == shown
