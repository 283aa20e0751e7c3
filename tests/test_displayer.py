"""The Mozilla Displayer API: exact shapes, the per-user opt-in, CORS and JSONP."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Accounts, post_form
from tests.sharing_helpers import act, add_to, create_collection, publish, share_token
from tests.support.badge_rows import make_badge

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


@pytest.fixture
def ann(app: Flask, accounts: Accounts) -> int:
    user_id = accounts.create("Ann@Example.org", name="Ann Example")
    accounts.login("ann@example.org")
    return user_id


@pytest.fixture
def widget(app: Flask) -> FlaskClient:
    """A badge widget on another site: no account, no cookies of ours."""
    return app.test_client()


def _opt_in(client: FlaskClient, on: bool = True) -> None:
    data = {"findable": "y"} if on else {}
    response = post_form(client, "/account/", data, action="/account/displayer")
    assert response.status_code == 302


def _published_group(app: Flask, client: FlaskClient, user_id: int) -> tuple[int, list[int]]:
    collection_id = create_collection(client, "Maker skills")
    badges = [make_badge(app, user_id, name=n) for n in ("Robot", "Maths")]
    add_to(client, collection_id, *badges)
    publish(client, collection_id)
    return collection_id, badges


def test_the_lookup_is_off_until_the_user_opts_in(
    client: FlaskClient, widget: FlaskClient, ann: int
) -> None:
    settings = client.get("/account/apps").get_data(as_text=True)
    assert "Badge widgets on other sites" in settings
    assert "Displayer API" not in settings
    assert "user number" not in settings
    assert "shared" in settings
    assert 'name="findable" type="checkbox" value="y">' in settings  # unchecked
    missing = widget.post("/displayer/convert/email", data={"email": "ann@example.org"})
    assert missing.status_code == 404
    assert missing.get_json() == {
        "status": "missing",
        "error": "Could not find a user by the email address `ann@example.org`",
    }
    assert widget.get(f"/displayer/{ann}/groups.json").status_code == 404

    _opt_in(client)
    for body in ({"data": {"email": "  ANN@example.ORG "}}, {"json": {"email": "ann@example.org"}}):
        found = widget.post("/displayer/convert/email", **body)  # type: ignore[arg-type]
        assert found.status_code == 200
        assert found.get_json() == {
            "status": "okay",
            "email": body.get("data", body.get("json"))["email"].strip(),  # type: ignore[union-attr]
            "userId": ann,
        }
        assert "Access-Control-Allow-Origin" not in found.headers

    _opt_in(client, on=False)
    assert (
        widget.post("/displayer/convert/email", data={"email": "ann@example.org"}).status_code
        == 404
    )
    assert widget.get(f"/displayer/{ann}/groups.json").status_code == 404


def test_an_unverified_address_finds_nobody(
    client: FlaskClient, accounts: Accounts, widget: FlaskClient, ann: int
) -> None:
    _opt_in(client)
    accounts.add_email("second@example.org")
    response = widget.post("/displayer/convert/email", data={"email": "second@example.org"})
    assert response.status_code == 404


@pytest.mark.parametrize("body", [{}, {"email": ""}, {"email": "   "}, {"email": "a" * 400}])
def test_a_missing_or_bad_email_parameter_is_a_400(
    widget: FlaskClient, body: dict[str, str]
) -> None:
    response = widget.post("/displayer/convert/email", data=body)
    assert response.status_code == 400
    assert response.get_json()["status"] == "invalid"
    assert "email" in response.get_json()["error"]
    assert widget.post("/displayer/convert/email", json=["not", "an", "object"]).status_code == 400
    get = widget.get("/displayer/convert/email")
    assert get.status_code == 405
    assert get.headers["Allow"] == "POST"


def test_groups_list_only_published_collections_with_visible_badges(
    app: Flask, client: FlaskClient, widget: FlaskClient, ann: int
) -> None:
    _opt_in(client)
    group_id, badges = _published_group(app, client, ann)
    private = create_collection(client, "Private notes")
    add_to(client, private, badges[0])
    pending = make_badge(app, ann, status="pending", recipient="new@example.org")
    for path in (f"/displayer/{ann}/groups.json", f"/displayer/{ann}/groups"):
        response = widget.get(path)
        assert response.status_code == 200
        assert response.get_json() == {
            "userId": ann,
            "groups": [{"groupId": group_id, "name": "Maker skills", "badges": 2}],
        }
        assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert pending not in badges


def test_a_group_gives_each_badge_in_mozillas_shape(
    app: Flask, client: FlaskClient, widget: FlaskClient, ann: int
) -> None:
    _opt_in(client)
    group_id, badges = _published_group(app, client, ann)
    response = widget.get(f"/displayer/{ann}/group/{group_id}.json")
    assert response.status_code == 200
    document = response.get_json()
    assert set(document) == {"userId", "groupId", "badges"}
    assert (document["userId"], document["groupId"]) == (ann, group_id)
    assert [b["assertion"]["badge"]["name"] for b in document["badges"]] == ["Robot", "Maths"]
    token = share_token(app, group_id)
    for badge_id, entry in zip(badges, document["badges"], strict=True):
        assert set(entry) == {"lastValidated", "hostedUrl", "assertion", "imageUrl"}
        assert TIMESTAMP.fullmatch(entry["lastValidated"])
        assert entry["hostedUrl"] == entry["assertion"]["id"]
        assert entry["assertion"]["recipient"]["hashed"] is True
        assert entry["imageUrl"] == (
            f"http://backpack.test/public/collections/{token}/badges/{badge_id}/image"
        )
    assert widget.get(f"/displayer/{ann}/group/{group_id}").get_json() == document
    assert "ann@example.org" not in response.get_data(as_text=True).lower()


def test_private_unpublished_and_other_users_groups_are_missing(
    app: Flask, client: FlaskClient, accounts: Accounts, widget: FlaskClient, ann: int
) -> None:
    _opt_in(client)
    group_id, _ = _published_group(app, client, ann)
    private = create_collection(client, "Private")
    bob = accounts.create("bob@example.org", name="Bob")
    missing = {"httpStatus": 404, "status": "missing"}
    for path in (
        f"/displayer/{ann}/group/{private}.json",
        f"/displayer/{bob}/group/{group_id}.json",
        f"/displayer/{ann}/group/999999.json",
        f"/displayer/{ann}/group/abc.json",
        "/displayer/abc/groups.json",
        "/displayer/99999999999999999999999/groups.json",
        "/displayer/2147483648/groups.json",
        f"/displayer/{ann}/group/9223372036854775808.json",
        f"/displayer/{bob}/groups.json",
        "/displayer/nothing/here/at/all",
    ):
        response = widget.get(path)
        assert response.status_code == 404, path
        assert response.get_json() == missing, path
    act(client, group_id, "unpublish")
    assert widget.get(f"/displayer/{ann}/group/{group_id}.json").status_code == 404
    assert widget.get(f"/displayer/{ann}/groups.json").get_json()["groups"] == []


def test_jsonp_wraps_the_answer_for_a_well_formed_callback(
    app: Flask, client: FlaskClient, widget: FlaskClient, ann: int
) -> None:
    _opt_in(client)
    _published_group(app, client, ann)
    response = widget.get(f"/displayer/{ann}/groups.json?callback=jQuery123_456")
    assert response.status_code == 200
    assert response.mimetype == "application/javascript"
    body = response.get_data(as_text=True)
    match = re.fullmatch(
        r"/\*\*/ typeof jQuery123_456 === 'function' && jQuery123_456\((.*)\);", body
    )
    assert match, body
    assert json.loads(match.group(1))["userId"] == ann
    dotted = widget.get(f"/displayer/{ann}/groups.json?callback=widgets.show")
    assert dotted.status_code == 200


@pytest.mark.parametrize(
    "callback",
    ["alert(1)", "a b", "x;y", "<script>", "a" * 65, "1abc", "a[0]", "", "a..b", "é"],
)
def test_jsonp_refuses_any_other_callback(
    client: FlaskClient, widget: FlaskClient, ann: int, callback: str
) -> None:
    _opt_in(client)
    response = widget.get(f"/displayer/{ann}/groups.json", query_string={"callback": callback})
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    assert response.get_json()["status"] == "invalid"


def test_cors_preflight_is_answered_on_the_read_routes(
    app: Flask, client: FlaskClient, widget: FlaskClient, ann: int
) -> None:
    response = widget.options(
        f"/displayer/{ann}/groups.json",
        headers={"Origin": "https://moodle.example", "Access-Control-Request-Method": "GET"},
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response.headers["Access-Control-Allow-Methods"]
    assert widget.head(f"/displayer/{ann}/groups.json").status_code == 404


def test_the_lookup_is_rate_limited(app_factory: Callable[..., Flask], accounts: Accounts) -> None:
    app = app_factory(RATELIMIT_ENABLED=True, RATELIMIT_DISPLAYER_LOOKUP="3 per minute")
    widget = app.test_client()
    statuses = [
        widget.post("/displayer/convert/email", data={"email": f"n{i}@example.org"}).status_code
        for i in range(4)
    ]
    assert statuses == [404, 404, 404, 429]
    limited = widget.post("/displayer/convert/email", data={"email": "x@example.org"})
    assert limited.get_json()["httpStatus"] == 429


def test_the_api_needs_no_csrf_token(client: FlaskClient, ann: int) -> None:
    # A logged-in browser session must not change the answer or demand a token.
    response = client.post("/displayer/convert/email", data={"email": "nobody@example.org"})
    assert response.status_code == 404


def test_widgets_are_given_only_badges_whose_last_check_was_valid(
    app: Flask, client: FlaskClient, widget: FlaskClient, ann: int
) -> None:
    # A widget shows no verdict, so a badge that could not be checked (or was revoked) would
    # pass for a genuine one there; the public page, which shows verdicts, still lists it.
    _opt_in(client)
    collection_id = create_collection(client, "Mixed")
    good = make_badge(app, ann, name="Checked")
    unchecked = make_badge(app, ann, name="Unchecked", verification="unverifiable")
    add_to(client, collection_id, good, unchecked)
    publish(client, collection_id)
    document = widget.get(f"/displayer/{ann}/group/{collection_id}.json").get_json()
    assert [b["assertion"]["badge"]["name"] for b in document["badges"]] == ["Checked"]
    groups = widget.get(f"/displayer/{ann}/groups.json").get_json()["groups"]
    assert groups == [{"groupId": collection_id, "name": "Mixed", "badges": 1}]
