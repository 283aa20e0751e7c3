"""Every route of the URL map answers hostile input with anything but a server error.

The walk takes each rule and each method it allows, and sends: hostile values in every path
converter; every parameter name a view, form or schema reads, in the query string and the
form body, each name given each hostile value once; JSON bodies that are malformed, deep,
huge or of the wrong types; garbage files; and headers that lie. It does so as an anonymous
visitor, as a logged-in earner (with a valid CSRF token, so that forms reach their views),
and with a bearer token of the kind the route's API takes. No answer may be a 5xx (503,
a deliberate "try later", excepted) or show a traceback.
"""

from __future__ import annotations

import base64
import io
import logging
import re
import socket
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from ipaddress import ip_address
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from backpack.extensions import db
from tests.conftest import Accounts, Outbox, csrf_token
from tests.support import hostile
from tests.support.badge_rows import make_badge
from tests.test_api_v1 import ALL, make_token

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# Where programs post JSON: every hostile body there, a sample on the pages' forms.
TAKES_JSON = ("/api/", "/ims/", "/oauth/", "/displayer/", "/public/", "/issuer/", "/accept")
BACKPACK = Path(__file__).resolve().parent.parent / "backpack"
# Names the protocols define, which views read through Authlib rather than by name.
PROTOCOL_NAMES = (
    "client_id", "client_secret", "redirect_uri", "response_type", "state", "code", "scope",
    "grant_type", "refresh_token", "token", "token_type_hint", "code_challenge",
    "code_challenge_method", "code_verifier", "nonce", "limit", "offset", "address",
)  # fmt: skip
# Endpoints that remove what later requests reach are walked late; those that end the
# session or revoke the tokens the walk uses, last of all.
REMOVES_THINGS = re.compile(r"delete|remove|reject|unpublish|relink")
ENDS_ACCESS = re.compile(r"revoke|\.end_|logout")


def parameter_names() -> tuple[str, ...]:
    """Every parameter name the HTTP layer reads, as its source spells it."""
    read = re.compile(
        r"""(?:get|getlist)\(\s*"([A-Za-z_]\w*)"|^\s+(\w+) = (?:fields\.\w+|\w+Field)\(""", re.M
    )
    names = set(PROTOCOL_NAMES)
    for package in ("web", "api", "oauth", "schemas"):
        for source in (BACKPACK / package).rglob("*.py"):
            for match in read.finditer(source.read_text()):
                names.add(match.group(1) or match.group(2))
    return tuple(sorted(names - {"csrf_token", "Authorization"}))


@dataclass
class World:
    """An app with one earner who has a badge, a published collection and tokens of each kind."""

    app: Flask
    browser: FlaskClient
    csrf: str
    path_values: dict[str, str]
    badge_token: str
    bearer: dict[str, str]
    failures: list[str] = field(default_factory=list)
    errors: list[logging.LogRecord] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)

    def sane_values(self, rule: Rule) -> dict[str, str]:
        """Path values that name the earner's own things, so hostile input meets real rows."""
        if rule.rule.startswith("/public/badges/"):
            return {**self.path_values, "token": self.badge_token}
        return self.path_values


class ErrorLog(logging.Handler):
    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__(logging.ERROR)
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Host names resolve to nothing: a badge's issuer is never looked up on the network."""
    resolve = socket.getaddrinfo

    def numeric_only(host: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            ip_address(host.decode() if isinstance(host, bytes) else str(host).strip("[]"))
        except ValueError:
            raise socket.gaierror(socket.EAI_NONAME, "no network in this test") from None
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", numeric_only)


@pytest.fixture
def world(app_factory: Callable[..., Flask], tmp_path: Path, no_network: None) -> Iterator[World]:
    from backpack.models import Badge, EmailAddress, User
    from backpack.services import backpack_connect, collections, emails, sharing
    from tests.support.oauth import seed_access_token, seed_client

    app = app_factory(FETCH_TIMEOUT=0.5)
    browser = app.test_client()
    earner = Accounts(app, browser, Outbox(tmp_path / "outbox"))
    user_id = earner.create("ann@example.org")
    earner.login("ann@example.org")
    badge_id = make_badge(app, user_id)
    personal_token = make_token(browser, ALL)
    with app.app_context():
        user = db.session.get_one(User, user_id)
        collection = collections.create_collection(user, "Robots")
        collections.add_badges(collection, [badge_id])
        sharing.publish_collection(collection)
        sharing.set_findable(user, True)
        badge_share = sharing.share_badge(db.session.get_one(Badge, badge_id), None)
        second: EmailAddress = emails.add_email(user, "ann.other@example.org", send=False)
        oauth_token = seed_access_token(seed_client(), user_id)
        legacy = backpack_connect.grant_access(user, "http://127.0.0.1:1/issuer")
        db.session.commit()
        path_values = {
            "badge_id": str(badge_id),
            "collection_id": str(collection.id),
            "group_id": str(collection.id),
            "user_id": str(user_id),
            "email_id": str(second.id),
            "token": str(collection.share_token),
            "filename": "backpack.css",
        }
        badge_token = badge_share.share_token
    legacy_header = "Bearer " + base64.b64encode(legacy.access_token.encode()).decode()
    world = World(
        app=app,
        browser=browser,
        csrf=csrf_token(browser, "/account/"),
        path_values=path_values,
        badge_token=badge_token,
        bearer={
            "/api/v1/": f"Bearer {personal_token}",
            "/ims/": f"Bearer {oauth_token}",
            "/api/": legacy_header,
        },
    )
    handler = ErrorLog(world.errors)
    app.logger.addHandler(handler)
    yield world
    app.logger.removeHandler(handler)


def path_for(rule: Rule, values: dict[str, str]) -> str:
    """The rule's path with each converter replaced by its value, as it stands in a URL."""
    return re.sub(r"<(?:[^<>]*:)?(\w+)>", lambda m: values.get(m.group(1), "1"), rule.rule)


def form_body(
    names: tuple[str, ...], texts: tuple[str | bytes, ...], shift: int, csrf: str | None
) -> bytes:
    """Every name with a hostile value, each name another one (which one turns with `shift`)."""
    pairs = [
        f"{hostile.url_encoded(name)}={hostile.url_encoded(texts[(i + shift) % len(texts)])}"
        for i, name in enumerate(names)
    ]
    if csrf is not None:
        pairs.append(f"csrf_token={csrf}")
    return "&".join(pairs).encode()


@dataclass(frozen=True)
class Budget:
    """How much hostile input one walk sends to each route."""

    texts: tuple[str | bytes, ...]
    raw_segments: tuple[str, ...] = ()
    json_bodies: tuple[bytes, ...] = ()
    files: tuple[tuple[bytes, bytes], ...] = ()
    headers: tuple[dict[str, str], ...] = ()
    # Every JSON body on the routes where programs post JSON, not just these.
    every_json_body: bool = False


ALL_JSON_BODIES = hostile.JSON_BODIES + tuple(
    hostile.json_object(parameter_names(), shift) for shift in range(len(hostile.JSON_VALUES))
)
# Everything, for the logged-in earner on SQLite.
THOROUGH = Budget(
    hostile.TEXT,
    hostile.RAW_SEGMENTS,
    ALL_JSON_BODIES[::3],
    hostile.FILES,
    hostile.HEADERS,
    every_json_body=True,
)
# For the other visitors: how the route's guard reads input is what differs.
SAMPLE = Budget(hostile.STORAGE_TEXT, json_bodies=ALL_JSON_BODIES[::3], headers=hostile.HEADERS)
# On PostgreSQL: what reaches the database, which may refuse what SQLite stores.
STORAGE = Budget(hostile.STORAGE_TEXT, json_bodies=ALL_JSON_BODIES[len(hostile.JSON_BODIES) :: 2])


@dataclass(frozen=True)
class Attempt:
    """One hostile request, as the test client takes it."""

    method: str
    url: str
    data: bytes | dict[str, Any] | None = None
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


def attempts(
    rule: Rule,
    method: str,
    world: World,
    names: tuple[str, ...],
    budget: Budget,
    csrf: str | None,
    with_paths: bool,
) -> Iterator[Attempt]:
    """Each hostile request to send to one rule with one method."""
    sane = path_for(rule, world.sane_values(rule))
    texts = budget.texts
    for argument in sorted(rule.arguments) if with_paths else ():
        segments = [hostile.url_encoded(t) for t in texts[::2]] + list(budget.raw_segments)
        for segment in segments:
            yield Attempt(method, path_for(rule, {**world.sane_values(rule), argument: segment}))
    has_body = method != "GET"
    form = "application/x-www-form-urlencoded"
    for shift in range(len(texts)):
        query = form_body(names, texts, shift, None).decode()
        body = form_body(names, texts, shift + 1, csrf) if has_body else None
        yield Attempt(method, f"{sane}?{query}", body, form if has_body else None)
    if has_body:
        takes_json = budget.every_json_body and rule.rule.startswith(TAKES_JSON)
        for body in ALL_JSON_BODIES if takes_json else budget.json_bodies:
            yield Attempt(method, sane, body, "application/json")
        for image, archive in budget.files:
            files: dict[str, Any] = {
                "image": (io.BytesIO(image), "badge.png"),
                "archive": (io.BytesIO(archive), "badges.zip"),
                "route": "upload",
                "csrf_token": csrf or "",
            }
            yield Attempt(method, sane, files, "multipart/form-data")
    for headers in budget.headers:
        content_type = headers.get("Content-Type", form)
        others = {k: v for k, v in headers.items() if k != "Content-Type"}
        yield Attempt(method, sane, b"name=x&email=x", content_type, others)


def send(client: FlaskClient, attempt: Attempt, headers: dict[str, str], world: World) -> None:
    """Send one attempt; note it when it answers a server error or shows a traceback."""
    before = len(world.errors)
    response = client.open(
        attempt.url,
        method=attempt.method,
        data=attempt.data,
        content_type=attempt.content_type,
        headers={**headers, **attempt.headers},
    )
    body = response.get_data()
    response.close()
    world.statuses[response.status_code] += 1
    broken = response.status_code >= 500 and response.status_code != 503
    if broken or b"Traceback (most recent call last)" in body:
        cause = ""
        if len(world.errors) > before and world.errors[-1].exc_info:
            kind, error, trace = world.errors[-1].exc_info
            while trace is not None and trace.tb_next is not None:
                trace = trace.tb_next
            where = f"{trace.tb_frame.f_code.co_filename}:{trace.tb_lineno}" if trace else ""
            cause = f" <- {kind.__name__ if kind else ''}: {str(error)[:120]} at {where}"
        who = headers.get("Authorization", "session" if "X-CSRFToken" in headers else "anon")
        world.failures.append(
            f"{response.status_code} {attempt.method} {attempt.url[:160]} "
            f"[{attempt.content_type}; {who[:12]}; {attempt.headers}]{cause}"
        )


def walk_order(rule: Rule) -> tuple[bool, bool, bool, str]:
    ends, removes = ENDS_ACCESS.search(rule.endpoint), REMOVES_THINGS.search(rule.endpoint)
    return (bool(ends), "logout" in rule.endpoint, bool(removes), rule.rule)


def bearer_for(world: World, path: str) -> str | None:
    return next((v for prefix, v in world.bearer.items() if path.startswith(prefix)), None)


def test_no_route_answers_hostile_input_with_a_server_error(
    world: World, database_url: str
) -> None:
    # Every value on SQLite. PostgreSQL is slower per request: there, the values a database
    # may refuse where SQLite stores them, and no anonymous visitor (who reaches few rows).
    on_sqlite = database_url.startswith("sqlite")
    budget = THOROUGH if on_sqlite else STORAGE
    names = parameter_names()
    anonymous = world.app.test_client()
    rules = sorted(world.app.url_map.iter_rules(), key=walk_order)
    assert len(rules) > 90, "the whole URL map is walked"
    walked_paths: set[str] = set()
    for rule in rules:
        bearer = bearer_for(world, rule.rule)
        for method in sorted(set(METHODS) & (rule.methods or set())):
            # Converters do not depend on the method: hostile paths once per path.
            with_paths = rule.rule not in walked_paths
            walked_paths.add(rule.rule)
            session = attempts(rule, method, world, names, budget, world.csrf, with_paths)
            for attempt in session:
                send(world.browser, attempt, {"X-CSRFToken": world.csrf}, world)
            others = SAMPLE if on_sqlite else STORAGE
            sample = list(attempts(rule, method, world, names, others, None, with_paths))
            if bearer is not None:
                for attempt in sample:
                    send(anonymous, attempt, {"Authorization": bearer}, world)
            elif on_sqlite:
                for attempt in sample[::3]:
                    send(anonymous, attempt, {}, world)
    # The walk reached views (pages, redirects, refusals), not only a wall of 404s.
    assert {200, 302, 400, 401, 404, 405} <= set(world.statuses), world.statuses
    assert not world.failures, "\n".join(sorted(set(world.failures))[:40])


# Each finding of the walk, as a user would meet it.


@pytest.mark.parametrize(
    ("page", "action", "body"),
    [
        ("/account/", "/account/emails", {"email": ["ann@example.org"]}),
        ("/account/", "/account/delete", {"password": {"a": 1}}),
        ("/collections/", "/collections/", {"name": 7, "description": None}),
        ("/badges/add", "/badges/add", {"route": "url", "url": [1]}),
    ],
)
def test_a_page_form_posted_as_json_is_refused_as_a_bad_form(
    accounts: Accounts, page: str, action: str, body: dict[str, Any]
) -> None:
    accounts.create("ann@example.org")
    accounts.login("ann@example.org")
    token = csrf_token(accounts.client, page)
    response = accounts.client.post(action, json=body, headers={"X-CSRFToken": token})
    assert response.status_code == 400
    assert accounts.client.get("/account/").status_code == 200, "nothing was deleted"


@pytest.mark.parametrize(
    "field_value",
    [
        {"scope": 5},
        {"scope": True},
        {"client_uri": {"href": "https://issuer.example"}},
        {"logo_uri": 1},
        {"redirect_uris": "https://issuer.example/backpack/connected"},
        {"redirect_uris": [["https://issuer.example/backpack/connected"]]},
        {"grant_types": [1]},
        {"response_types": [None]},
        {"contacts": {}},
        {"jwks": "keys"},
        {"jwks": {"keys": [{"kty": "OKP", "crv": "no such curve", "x": "AA"}]}},
    ],
)
def test_registration_with_metadata_of_the_wrong_type_is_refused(
    client: FlaskClient, field_value: dict[str, Any]
) -> None:
    from tests.support.oauth import registration

    response = client.post("/oauth/register", json=registration(**field_value))
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "invalid_client_metadata"
    assert next(iter(field_value)) in body["error_description"]


@pytest.mark.parametrize("endpoint", ["/oauth/token", "/oauth/revoke"])
def test_client_credentials_that_are_not_text_are_an_invalid_client(
    client: FlaskClient, endpoint: str
) -> None:
    credentials = base64.b64encode(b"\xff\xfe:\xc3(").decode()
    response = client.post(
        endpoint,
        data={"grant_type": "refresh_token", "refresh_token": "x", "token": "x"},
        headers={"Authorization": f"Basic {credentials}"},
    )
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_client"
    assert response.headers["WWW-Authenticate"].startswith("Basic ")
