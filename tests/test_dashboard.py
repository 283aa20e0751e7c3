"""After log-in the home page is the earner's dashboard; logged out it stays the welcome page."""

from __future__ import annotations

import html
import re

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Accounts
from tests.sharing_helpers import add_to, create_collection, publish
from tests.support.badge_rows import make_badge
from tests.support.sql_statements import counted_statements

ANN = "ann@example.org"


def home_text(client: FlaskClient) -> str:
    """The words the home page shows, as one line."""
    response = client.get("/")
    assert response.status_code == 200
    words = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(words).split())


def section(text: str, heading: str, next_heading: str) -> str:
    """The words between two headings of the page."""
    return text.split(heading, 1)[1].split(next_heading, 1)[0]


def test_logged_out_visitors_see_the_welcome_page(client: FlaskClient) -> None:
    text = home_text(client)
    assert "Your badges, kept and proven" in text
    assert "Create an account" in text


def test_an_empty_backpack_says_how_to_fill_it(client: FlaskClient, accounts: Accounts) -> None:
    accounts.create(ANN, name="Ann")
    accounts.login(ANN)
    page = client.get("/").get_data(as_text=True)
    assert "Your backpack is empty" in page
    assert 'href="/badges/add"' in page
    assert 'href="/account/import/"' in page
    assert "Connect an issuer" in page
    assert "Recent badges" not in page


def test_dashboard_shows_recent_pending_and_doubtful_badges_and_shared_state(
    app: Flask, client: FlaskClient, accounts: Accounts
) -> None:
    ann = accounts.create(ANN, name="Ann")
    accounts.login(ANN)
    fine = make_badge(app, ann, name="Robotics Level 1")
    make_badge(app, ann, name="First Aid", verification="expired")
    make_badge(app, ann, name="Old Mozilla Badge", verification="unchecked")
    make_badge(app, ann, name="Welding", verification="revoked")
    make_badge(app, ann, name="Chemistry", status="pending", recipient="ann@work.example")
    make_badge(app, ann, name="Declined", status="rejected")
    shown = create_collection(client, "Job applications")
    add_to(client, shown, fine)
    publish(client, shown)
    create_collection(client, "Drafts")

    text = home_text(client)
    attention = section(text, "Needs your attention (3)", "Waiting for a verified address")
    for name, verdict in (
        ("First Aid", "Expired"),
        ("Old Mozilla Badge", "Not checked yet"),
        ("Welding", "Revoked"),
    ):
        assert f"{name} Example Institute {verdict}" in attention
    assert "Robotics Level 1" not in attention
    pending = section(text, "Waiting for a verified address (1)", "Recent badges")
    assert "Chemistry" in pending
    recent = section(text, "Recent badges", "Collections")
    assert "Robotics Level 1" in recent
    assert "See all 4 badges" in recent
    assert "Chemistry" not in recent
    assert "First Aid" not in recent  # shown once, under attention
    assert "Declined" not in text
    collections = text.split("Manage collections", 1)[1]
    assert "Job applications 1 badge Published" in collections
    assert "Drafts 0 badges Private" in collections


def test_dashboard_costs_the_same_queries_for_few_and_many_badges(
    app: Flask, client: FlaskClient, accounts: Accounts
) -> None:
    ann = accounts.create(ANN, name="Ann")
    accounts.login(ANN)

    def cost() -> int:
        with counted_statements(app) as statements:
            assert client.get("/").status_code == 200
        return len(statements)

    for verification in ("valid", "expired"):
        make_badge(app, ann, verification=verification)
    make_badge(app, ann, status="pending")
    create_collection(client, "One")
    few = cost()
    for n in range(8):
        make_badge(app, ann, name=f"Badge {n}", verification=("valid", "revoked")[n % 2])
        make_badge(app, ann, name=f"Pending {n}", status="pending")
    create_collection(client, "Two")
    assert cost() == few
