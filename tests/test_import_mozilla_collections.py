"""Mozilla groups and portfolios as they really were, imported through `mozilla-db` and
`mozilla-dump` alike: pending members, several portfolio rows, escaped names.

The source rows are written here with the exact column shapes of mozilla-backpack.md
section 1 (`group.badges` a JSON array, a new `portfolio` row at every edit).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import bcrypt
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from backpack.extensions import db
from backpack.models import Badge, Collection, EmailAddress, User
from backpack.openbadges.baking import unbake
from backpack.openbadges.errors import OpenBadgesError
from backpack.services import emails, sharing
from importers import mozilla_schema as schema
from importers.pipeline import Pipeline
from importers.report import ImportReport
from tests import services
from tests.conftest import TEST_PASSWORD, Accounts
from tests.support import mozilla_instance as generated
from tests.support.import_snapshot import snapshot
from tests.support.mozilla import MozillaBadge, body_0_5
from tests.support.mozilla_units import instance_units

pytestmark = pytest.mark.mariadb

ANN, SCHOOL = "ann@example.org", "ann@school.example.edu"
GROUP_URL = "e" * 32
ESCAPED_NAME = "&lt;b&gt;Web&lt;/b&gt; &amp;lt;skills&amp;gt;"
# Badge 12 was sent to Ann's school address, which she had not verified: it is pending.
WEB_BADGES = (11, 12, 13)
# Badge 14 is in no group and was never shared; badge 15 was shared on its own.
PRIVATE_BADGE, SHARED_BADGE = 14, 15
ADDRESSED = {11: ANN, 12: SCHOOL, 13: ANN, PRIVATE_BADGE: ANN, SHARED_BADGE: ANN}


def user_rows() -> list[dict[str, Any]]:
    hashed = bcrypt.hashpw(TEST_PASSWORD.encode(), bcrypt.gensalt(4, prefix=b"2a")).decode()
    return [
        {
            "id": 1,
            "first_name": "Ann",
            "last_name": "O&#x27;Example &amp;lt;3",
            "email": ANN,
            "email_is_verified": 1,
            "additional_email_1": SCHOOL,
            "additional_email_1_is_verified": 0,
            "password": hashed,
            "created_at": 1_400_000_000_000,
        }
    ]


def badge(number: int, email: str) -> MozillaBadge:
    return body_0_5(number, email)


def badge_and_image_rows() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    badges, images = [], []
    for number, email in ADDRESSED.items():
        made = badge(number, email)
        badges.append(
            {
                "id": number,
                "user_id": 1,
                "awarded_to_email_address": email,
                "endpoint": made.endpoint,
                "signature": None,
                "image_path": f"/_badges/{made.body_hash[:32]}.png",
                "body": made.body.encode(),
                "body_hash": made.body_hash,
                "validated_on": datetime(2014, 5, 1, 12, 0, 0),
                "public_path": made.body_hash if number == SHARED_BADGE else None,
            }
        )
        images.append(
            {
                "id": number,
                "badge_hash": made.body_hash,
                "image_data": base64.b64encode(made.baked_image()),
                "baked": 1,
            }
        )
    return badges, images


def group_rows() -> list[dict[str, Any]]:
    listed = json.dumps(list(WEB_BADGES)).encode()
    return [
        {"id": 1, "user_id": 1, "name": ESCAPED_NAME, "url": GROUP_URL, "public": 1,
         "badges": listed},
        {"id": 2, "user_id": 1, "name": "Only pending", "url": "f" * 32, "public": 0,
         "badges": b"[12]"},
    ]  # fmt: skip


def portfolio_rows() -> list[dict[str, Any]]:
    """Each edit added a row; the newest (highest id) is what Mozilla showed."""

    def row(number: int, group: int, title: str, stories: dict[str, str]) -> dict[str, Any]:
        return {
            "id": number,
            "group_id": group,
            "url": "d" * 32 if number == 1 else None,
            "title": title,
            "subtitle": f"{title}: subtitle",
            "preamble": f"{title}: preamble",
            "stories": json.dumps(stories).encode(),
        }

    return [
        row(1, 1, "First draft", {"11": "A stale story"}),
        row(2, 2, "Pending only, old", {}),
        row(3, 1, "Second draft", {"11": "Still stale"}),
        row(4, 2, "Pending only, new", {"12": "Told while it waited"}),
        row(5, 1, "My web journey", {"11": "My first badge", "12": "Earned at school"}),
    ]


def source_tables() -> list[tuple[str, list[dict[str, Any]]]]:
    badges, images = badge_and_image_rows()
    return [
        ("user", user_rows()),
        ("badge", badges),
        ("badge_image", images),
        ("group", group_rows()),
        ("portfolio", portfolio_rows()),
    ]


@pytest.fixture
def app(app_factory: Callable[..., Flask]) -> Flask:
    """The app, re-reading each public page's version on every request."""
    return app_factory(PUBLIC_PAGE_FRESHNESS=0)


@pytest.fixture(params=["mozilla-db", "mozilla-dump"])
def source(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[str]]:
    """The import command's arguments for the instance above, as a database or a dump."""
    admin = services.require_mariadb()
    with generated.import_source(
        admin, "mozilla_groups", source_tables(), request.param, tmp_path
    ) as arguments:
        yield arguments


run_import = generated.run_import


def public_page(client: FlaskClient) -> str:
    moved = client.get("/share/" + GROUP_URL)
    assert moved.status_code == 301
    page = client.get(moved.headers["Location"])
    assert page.status_code == 200
    return page.get_data(as_text=True)


def badge_names(text: str) -> list[str]:
    """The badge names a page shows, in order."""
    names = [f"HTML5 Fundamental {n}" for n in WEB_BADGES]
    found = [(text.find(name), name) for name in names if name in text]
    return [name for _, name in sorted(found)]


def test_a_pending_member_is_kept_hidden_and_appears_in_its_place_once_verified(
    app: Flask, client: FlaskClient, source: list[str]
) -> None:
    run_import(app, source)
    with app.app_context():
        web = db.session.scalars(
            sa.select(Collection).where(Collection.share_token.is_not(None))
        ).one()
        held = [(i.badge.status, i.story) for i in web.items]
        assert held == [
            ("accepted", "My first badge"),
            ("pending", "Earned at school"),
            ("accepted", ""),
        ]
        token = web.share_token
    page = public_page(client)
    assert badge_names(page) == ["HTML5 Fundamental 11", "HTML5 Fundamental 13"]
    assert "Earned at school" not in page
    document = client.get(f"/public/collections/{token}.json").get_json()
    assert len(document["badges"]) == 2
    with app.app_context():
        school = db.session.scalars(sa.select(EmailAddress).filter_by(normalised=SCHOOL)).one()
        emails.mark_verified(school)
        db.session.commit()
    page = public_page(client)
    assert badge_names(page) == [f"HTML5 Fundamental {n}" for n in WEB_BADGES]
    assert page.index("My first badge") < page.index("Earned at school")
    assert page.index("Earned at school") < page.index("HTML5 Fundamental 13")
    assert len(client.get(f"/public/collections/{token}.json").get_json()["badges"]) == 3


def test_the_owner_sees_a_pending_member_marked_in_the_collection_editor(
    app: Flask, client: FlaskClient, accounts: Accounts, source: list[str]
) -> None:
    run_import(app, source)
    with app.app_context():
        private = db.session.scalars(sa.select(Collection).filter_by(name="Only pending")).one()
        collection_id = private.id
    accounts.login(ANN)
    editor = client.get(f"/collections/{collection_id}").get_data(as_text=True)
    assert "HTML5 Fundamental 12" in editor
    assert "Waiting for you to verify its address" in editor
    assert "Told while it waited" in editor


def test_each_group_takes_its_newest_portfolio(app: Flask, source: list[str]) -> None:
    run_import(app, source)
    with app.app_context():
        found = {c.name: c for c in db.session.scalars(sa.select(Collection))}
        web = found["<b>Web</b> &lt;skills&gt;"]
        assert web.description == (
            "My web journey\n\nMy web journey: subtitle\n\nMy web journey: preamble"
        )
        assert [i.story for i in web.items] == ["My first badge", "Earned at school", ""]
        other = found["Only pending"]
        assert other.description.startswith("Pending only, new\n\n")
        assert [i.story for i in other.items] == ["Told while it waited"]


def test_a_name_mozilla_stored_escaped_is_unescaped_once(
    app: Flask, client: FlaskClient, source: list[str]
) -> None:
    run_import(app, source)
    with app.app_context():
        names = set(db.session.scalars(sa.select(Collection.name)))
    # `&amp;lt;` was an escaped `&lt;` that Ann typed: it stays `&lt;`.
    assert names == {"<b>Web</b> &lt;skills&gt;", "Only pending"}
    with app.app_context():
        assert db.session.scalars(sa.select(User.name)).one() == "Ann O'Example &lt;3"
    page = public_page(client)
    assert "&lt;b&gt;Web&lt;/b&gt; &amp;lt;skills&amp;gt;" in page  # escaped once, by the page
    assert "&amp;lt;b&amp;gt;" not in page


def test_a_second_import_keeps_every_member_once(app: Flask, source: list[str]) -> None:
    run_import(app, source)
    again = run_import(app, source)
    assert again["already_imported"]["collections"] == 2
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Collection)) == 2
        statuses = db.session.scalars(sa.select(Badge.status).order_by(Badge.id)).all()
        assert statuses == ["accepted", "pending", "accepted", "accepted", "accepted"]


def test_batches_of_one_keep_the_same_members_as_whole_batches(
    app_factory: Callable[..., Flask], tmp_path: Path
) -> None:
    """Batches of one write what a whole batch writes."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'mozilla.sqlite3'}")
    schema.metadata.create_all(engine)
    generated.fill(engine.url.render_as_string(hide_password=False), source_tables())
    written = []
    for batch in (1, 100):
        app = app_factory(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / f'{batch}.db'}")
        with app.app_context():
            db.create_all()
            pipeline = Pipeline("mozilla:test", ImportReport(), batch=batch)
            units = instance_units(engine, pipeline)
            report = pipeline.run(units)
            assert sum(report.failed.values()) == 0
            written.append(snapshot())
    engine.dispose()
    assert written[0] == written[1]
    members = written[0]["collections"]["<b>Web</b> &lt;skills&gt;"][4]
    assert [story for _, _, story in members] == ["My first badge", "Earned at school", ""]


def image_url(number: int, image_type: str = "png") -> str:
    return f"/images/badge/{badge(number, ADDRESSED[number]).body_hash}.{image_type}"


def test_old_image_urls_answer_for_published_badges_only(
    app: Flask, client: FlaskClient, source: list[str]
) -> None:
    run_import(app, source)
    for number in (11, 13, SHARED_BADGE):
        shown = client.get(image_url(number))
        assert shown.status_code == 200, number
        assert shown.mimetype == "image/png"
        assert "sandbox" in shown.headers["Content-Security-Policy"]
        # The picture Mozilla served, without the badge baked into it: it named Ann.
        assert ANN.encode() not in shown.data
        with pytest.raises(OpenBadgesError):
            unbake(shown.data)
    assert client.get(image_url(11, "svg")).status_code == 200  # Mozilla served either name
    for url in (image_url(12), image_url(PRIVATE_BADGE), image_url(11, "gif"), "/images/badge/0"):
        assert client.get(url).status_code == 404, url
    with app.app_context():
        school = db.session.scalars(sa.select(EmailAddress).filter_by(normalised=SCHOOL)).one()
        emails.mark_verified(school)
        db.session.commit()
    assert client.get(image_url(12)).status_code == 200  # accepted now, in a published group
    with app.app_context():
        web = db.session.scalars(sa.select(Collection).where(Collection.share_token.is_not(None)))
        sharing.unpublish_collection(web.one())
        db.session.commit()
    # Unpublished: its badges' images are gone, but the one shared on its own stays.
    assert client.get(image_url(11)).status_code == 404
    assert client.get(image_url(12)).status_code == 404
    assert client.get(image_url(SHARED_BADGE)).status_code == 200
