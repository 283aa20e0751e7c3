"""Collections: create, rename, describe, fill, order (with and without JavaScript), stories,
deletion, and every way another user's ids or tampered input are refused.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from backpack.extensions import db
from backpack.models import Badge, Collection, CollectionItem
from tests.conftest import TEST_PASSWORD, Accounts, post_form
from tests.sharing_helpers import act, add_to, create_collection, item_order
from tests.support.badge_rows import make_badge


@pytest.fixture
def ann(app: Flask, accounts: Accounts) -> int:
    """Ann's user id; she is logged in on `client`."""
    user_id = accounts.create("ann@example.org", name="Ann Example")
    accounts.login("ann@example.org")
    return user_id


def _collections(app: Flask) -> list[Collection]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Collection).order_by(Collection.position)))


def test_a_new_collection_is_private_and_listed(app: Flask, client: FlaskClient, ann: int) -> None:
    collection_id = create_collection(client, "  Robotics   club ", "What I built.")
    [collection] = _collections(app)
    assert collection.name == "Robotics club"
    assert collection.share_token is None
    page = client.get("/collections/").get_data(as_text=True)
    assert "Robotics club" in page
    assert "Private" in page
    edit = client.get(f"/collections/{collection_id}").get_data(as_text=True)
    assert "Only you can see this collection" in edit


def test_rename_describe_and_choose_to_show_the_name(
    app: Flask, client: FlaskClient, ann: int
) -> None:
    collection_id = create_collection(client)
    response = act(
        client,
        collection_id,
        "details",
        {"name": "Maker skills", "description": "Line 1\nLine 2", "show_owner_name": "y"},
    )
    assert response.status_code == 302
    [collection] = _collections(app)
    assert (collection.name, collection.description) == ("Maker skills", "Line 1\nLine 2")
    assert collection.show_owner_name is True
    act(client, collection_id, "details", {"name": "Maker skills", "description": ""})
    assert _collections(app)[0].show_owner_name is False


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "x" * 101}, "at most 100 characters"),
        ({"name": "   "}, "Give the collection a name"),
        ({"name": "Fine", "description": "d" * 2001}, "at most 2000 characters"),
    ],
)
def test_bad_names_and_descriptions_are_refused_with_a_reason(
    app: Flask, client: FlaskClient, ann: int, data: dict[str, str], message: str
) -> None:
    collection_id = create_collection(client, "Kept")
    response = act(client, collection_id, "details", data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _collections(app)[0].name == "Kept"
    created = post_form(client, "/collections/", data)
    assert created.status_code == 400
    assert len(_collections(app)) == 1


def test_badges_are_added_removed_and_may_sit_in_several_collections(
    app: Flask, client: FlaskClient, ann: int
) -> None:
    first, second = create_collection(client, "One"), create_collection(client, "Two")
    robot, maths = make_badge(app, ann, name="Robot"), make_badge(app, ann, name="Maths")
    assert add_to(client, first, robot, maths).status_code == 302
    assert add_to(client, second, robot).status_code == 302
    assert item_order(app, first) == [robot, maths]
    assert item_order(app, second) == [robot]
    assert "Robot" in client.get(f"/collections/{second}").get_data(as_text=True)

    assert act(client, first, f"badges/{robot}/remove").status_code == 302
    assert item_order(app, first) == [maths]
    assert item_order(app, second) == [robot]
    with app.app_context():
        assert db.session.get(Badge, robot) is not None  # still in the backpack
    assert act(client, first, f"badges/{robot}/remove").status_code == 404


def test_only_accepted_badges_can_be_collected(app: Flask, client: FlaskClient, ann: int) -> None:
    collection_id = create_collection(client)
    pending = make_badge(app, ann, status="pending", recipient="new@example.org")
    rejected = make_badge(app, ann, status="rejected")
    page = client.get(f"/collections/{collection_id}").get_data(as_text=True)
    assert f'value="{pending}"' not in page
    assert f'value="{rejected}"' not in page
    for badge_id in (pending, rejected):
        response = add_to(client, collection_id, badge_id)
        assert response.status_code == 400
        assert "Only your own accepted badges" in response.get_data(as_text=True)
    assert item_order(app, collection_id) == []


def test_ordering_works_without_javascript(app: Flask, client: FlaskClient, ann: int) -> None:
    collection_id = create_collection(client)
    a, b, c = (make_badge(app, ann, name=n) for n in ("A", "B", "C"))
    add_to(client, collection_id, a, b, c)
    assert act(client, collection_id, f"badges/{c}/move", {"direction": "up"}).status_code == 302
    assert item_order(app, collection_id) == [a, c, b]
    act(client, collection_id, f"badges/{a}/move", {"direction": "down"})
    assert item_order(app, collection_id) == [c, a, b]
    # At an end, a move changes nothing and is no error.
    act(client, collection_id, f"badges/{c}/move", {"direction": "up"})
    assert item_order(app, collection_id) == [c, a, b]


def test_the_script_saves_a_whole_new_order(app: Flask, client: FlaskClient, ann: int) -> None:
    collection_id = create_collection(client)
    a, b, c = (make_badge(app, ann, name=n) for n in ("A", "B", "C"))
    add_to(client, collection_id, a, b, c)
    response = act(
        client,
        collection_id,
        "order",
        {"order": f"{c},{a},{b}"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200
    assert response.get_json() == {"order": [c, a, b]}
    assert item_order(app, collection_id) == [c, a, b]
    page = client.get(f"/collections/{collection_id}").get_data(as_text=True)
    assert 'src="/static/collections.js"' in page
    with client.get("/static/collections.js") as script:
        assert script.status_code == 200
        assert b"X-CSRFToken" in script.get_data()


@pytest.mark.parametrize(
    "order",
    ["{a},{b}", "{a},{b},{b}", "{a},{b},{c},{c}", "{a},{b},{other}", "{a},{b},99999999",
     "x,y,z", "-1,{a},{b}", "{a};{b};{c}", "", "1" * 13, ",".join(["1"] * 5000)],
)  # fmt: skip
def test_tampered_orders_are_refused(
    app: Flask, client: FlaskClient, accounts: Accounts, ann: int, order: str
) -> None:
    other_user = accounts.create("bob@example.org", name="Bob")
    collection_id = create_collection(client)
    a, b, c = (make_badge(app, ann, name=n) for n in ("A", "B", "C"))
    other = make_badge(app, other_user, recipient="bob@example.org")
    add_to(client, collection_id, a, b, c)
    tampered = order.format(a=a, b=b, c=c, other=other)
    response = act(
        client, collection_id, "order", {"order": tampered}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 400
    assert response.get_json()["message"]
    assert item_order(app, collection_id) == [a, b, c]
    html = act(client, collection_id, "order", {"order": tampered})
    assert html.status_code == 400


@pytest.mark.parametrize("direction", ["sideways", "", "UP", "up down"])
def test_tampered_moves_are_refused(
    app: Flask, client: FlaskClient, ann: int, direction: str
) -> None:
    collection_id = create_collection(client)
    a, b = make_badge(app, ann, name="A"), make_badge(app, ann, name="B")
    add_to(client, collection_id, a, b)
    response = act(client, collection_id, f"badges/{b}/move", {"direction": direction})
    assert response.status_code == 400
    assert "That move is not possible" in response.get_data(as_text=True)
    assert item_order(app, collection_id) == [a, b]


def test_a_story_is_told_per_badge_and_too_long_ones_are_refused(
    app: Flask, client: FlaskClient, ann: int
) -> None:
    first, second = create_collection(client, "One"), create_collection(client, "Two")
    robot = make_badge(app, ann)
    add_to(client, first, robot)
    add_to(client, second, robot)
    story = "I built a <b>robot</b> that follows a line.\nIt took a month."
    assert act(client, first, f"badges/{robot}/story", {"story": story}).status_code == 302
    with app.app_context():
        stories = dict(
            db.session.execute(sa.select(CollectionItem.collection_id, CollectionItem.story)).all()
        )
    assert stories == {first: story, second: ""}
    page = client.get(f"/collections/{first}").get_data(as_text=True)
    assert "I built a &lt;b&gt;robot&lt;/b&gt;" in page

    too_long = act(client, first, f"badges/{robot}/story", {"story": "s" * 5001})
    assert too_long.status_code == 400
    assert "at most 5000 characters" in too_long.get_data(as_text=True)
    stranger = make_badge(app, ann, name="Not in it")
    assert act(client, first, f"badges/{stranger}/story", {"story": "x"}).status_code == 404


def test_a_refused_story_comes_back_as_typed_with_its_error_at_its_badge(
    app: Flask, client: FlaskClient, ann: int
) -> None:
    collection = create_collection(client, "One")
    robot = make_badge(app, ann)
    add_to(client, collection, robot)
    typed = "A month of soldering. " * 230  # over 5000 characters
    refused = act(client, collection, f"badges/{robot}/story", {"story": typed})
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert f">{typed}</textarea>" in page
    errors = page.split(f'id="story-{robot}-errors">', 1)[1].split("</ul>", 1)[0]
    assert "A story is at most 5000 characters." in errors
    assert 'class="story-editor" open' in page


def test_collections_can_be_reordered_in_the_list(
    app: Flask, client: FlaskClient, ann: int
) -> None:
    one, two = create_collection(client, "One"), create_collection(client, "Two")
    assert act(client, two, "move", {"direction": "up"}).status_code == 302
    assert [c.id for c in _collections(app)] == [two, one]
    page = client.get("/collections/").get_data(as_text=True)
    assert page.index(">Two<") < page.index(">One<")


def test_deleting_a_collection_keeps_its_badges(app: Flask, client: FlaskClient, ann: int) -> None:
    collection_id = create_collection(client)
    robot = make_badge(app, ann)
    add_to(client, collection_id, robot)
    assert act(client, collection_id, "delete").status_code == 302
    assert _collections(app) == []
    with app.app_context():
        assert db.session.get(Badge, robot) is not None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CollectionItem)) == 0


def test_deleting_a_badge_takes_it_out_of_its_collections(
    app: Flask, client: FlaskClient, ann: int
) -> None:
    collection_id = create_collection(client)
    robot, maths = make_badge(app, ann, name="Robot"), make_badge(app, ann, name="Maths")
    add_to(client, collection_id, robot, maths)
    response = post_form(client, f"/badges/{robot}", {}, action=f"/badges/{robot}/delete")
    assert response.status_code == 302
    assert item_order(app, collection_id) == [maths]


def test_deleting_the_account_deletes_its_collections(
    app: Flask, client: FlaskClient, ann: int
) -> None:
    collection_id = create_collection(client)
    add_to(client, collection_id, make_badge(app, ann))
    act(client, collection_id, "publish")
    response = post_form(client, "/account/", {"password": TEST_PASSWORD}, action="/account/delete")
    assert response.status_code == 302
    assert _collections(app) == []


def test_another_users_collection_is_not_found_anywhere(
    app: Flask, client: FlaskClient, accounts: Accounts, ann: int
) -> None:
    collection_id = create_collection(client, "Ann's")
    robot = make_badge(app, ann)
    add_to(client, collection_id, robot)
    accounts.logout()
    bob = accounts.create("bob@example.org", name="Bob")
    accounts.login("bob@example.org")
    bobs_badge = make_badge(app, bob, recipient="bob@example.org")
    assert client.get(f"/collections/{collection_id}").status_code == 404
    attempts = {
        "details": {"name": "Hijacked"},
        "badges": {"badge_ids": [str(bobs_badge)]},
        f"badges/{robot}/remove": {},
        f"badges/{robot}/move": {"direction": "up"},
        f"badges/{robot}/story": {"story": "mine now"},
        "order": {"order": str(robot)},
        "move": {"direction": "up"},
        "publish": {},
        "unpublish": {},
        "relink": {},
        "delete": {},
    }
    for path, data in attempts.items():
        response = post_form(
            client, "/collections/", data, action=f"/collections/{collection_id}/{path}"
        )
        assert response.status_code == 404, path
    [collection] = _collections(app)
    assert (collection.name, collection.share_token) == ("Ann's", None)
    assert item_order(app, collection_id) == [robot]


def test_another_users_badge_cannot_be_added(
    app: Flask, client: FlaskClient, accounts: Accounts, ann: int
) -> None:
    bob = accounts.create("bob@example.org", name="Bob")
    bobs_badge = make_badge(app, bob, recipient="bob@example.org")
    collection_id = create_collection(client)
    response = add_to(client, collection_id, bobs_badge)
    assert response.status_code == 400
    assert "Only your own accepted badges" in response.get_data(as_text=True)
    assert item_order(app, collection_id) == []


def test_collection_pages_need_a_login(client: FlaskClient) -> None:
    for path in ("/collections/", "/collections/1", "/shared-badges/1"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("number", ["0", "2147483648", "9223372036854775808", "9" * 40])
def test_out_of_range_ids_in_urls_are_not_found(
    app: Flask, client: FlaskClient, ann: int, number: str
) -> None:
    assert client.get(f"/collections/{number}").status_code == 404
    assert client.get(f"/shared-badges/{number}").status_code == 404
    collection_id = create_collection(client)
    for path in (f"badges/{number}/remove", f"badges/{number}/story", f"badges/{number}/move"):
        response = act(client, collection_id, path, {"direction": "up", "story": "x"})
        assert response.status_code == 404, path
    image = app.test_client().get(f"/public/collections/{'A' * 43}/badges/{number}/image")
    assert image.status_code == 404
