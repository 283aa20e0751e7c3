"""Fresh public pages are answered before Flask handles the request, exactly as Flask would."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from backpack.web import page_replay
from tests.badge_fixtures import add_badge
from tests.conftest import Accounts
from tests.sharing_helpers import act, add_to, create_collection, publish
from tests.support.issuer import TestIssuer


@pytest.fixture
def replaying_app(app_factory: Callable[..., Flask]) -> Flask:
    return app_factory(FETCH_ALLOW_PRIVATE=True, FETCH_TIMEOUT=1.0, PUBLIC_PAGE_FRESHNESS=60)


@pytest.fixture
def owner(replaying_app: Flask) -> Accounts:
    from pathlib import Path

    from tests.conftest import Outbox

    outbox = Outbox(Path(replaying_app.config["MAIL_OUTBOX_DIR"]))
    helper = Accounts(replaying_app, replaying_app.test_client(), outbox)
    helper.create("ann@example.org")
    helper.login("ann@example.org")
    return helper


@contextmanager
def flask_requests(monkeypatch: pytest.MonkeyPatch, app: Flask) -> Iterator[list[str]]:
    """The paths that reached Flask (not answered by the replay) while the block runs."""
    seen: list[str] = []
    replay = app.wsgi_app
    assert isinstance(replay, page_replay.PageReplay)
    inner = replay.wsgi_app

    def counting(environ: dict[str, Any], start_response: Any) -> Any:
        seen.append(environ["PATH_INFO"])
        return inner(environ, start_response)

    monkeypatch.setattr(replay, "wsgi_app", counting)
    yield seen


def published(owner: Accounts, issuer: TestIssuer) -> tuple[int, str]:
    add_badge(owner.client, "url", issuer.award("ann@example.org")["id"])
    collection = create_collection(owner.client, "Robots")
    add_to(owner.client, collection, 1)
    return collection, publish(owner.client, collection)


def snapshot(response: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    return response.status_code, sorted(response.headers.items()), response.get_data()


def test_a_fresh_page_is_replayed_byte_for_byte_without_reaching_flask(
    replaying_app: Flask,
    owner: Accounts,
    issuer: TestIssuer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, path = published(owner, issuer)
    visitor = replaying_app.test_client()
    with flask_requests(monkeypatch, replaying_app) as seen:
        first = snapshot(visitor.get(path))
        again = snapshot(visitor.get(path))
        third = snapshot(visitor.get(path, headers={"Accept-Encoding": "gzip"}))
        fourth = snapshot(visitor.get(path, headers={"Accept-Encoding": "gzip"}))
    assert seen == [path, path]  # once per way of asking, then from memory
    assert again == first
    assert fourth == third
    headers = dict(first[1])
    assert headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert headers["X-Robots-Tag"] == "noindex"
    assert "Set-Cookie" not in headers
    assert "Robotics" in first[2].decode()


def test_a_withdrawn_link_fails_at_once_and_a_changed_page_shows_at_once(
    replaying_app: Flask, owner: Accounts, issuer: TestIssuer
) -> None:
    collection, path = published(owner, issuer)
    visitor = replaying_app.test_client()
    assert visitor.get(path).status_code == 200
    assert visitor.get(path).status_code == 200
    renamed = act(owner.client, collection, "details", {"name": "Machines", "description": "x"})
    assert renamed.status_code == 302
    assert "Machines" in visitor.get(path).get_data(as_text=True)
    act(owner.client, collection, "unpublish")
    assert visitor.get(path).status_code == 410


def test_conditional_query_and_head_requests_go_through_flask(
    replaying_app: Flask,
    owner: Accounts,
    issuer: TestIssuer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, path = published(owner, issuer)
    visitor: FlaskClient = replaying_app.test_client()
    etag = visitor.get(path).headers["ETag"]
    with flask_requests(monkeypatch, replaying_app) as seen:
        assert visitor.get(path, headers={"If-None-Match": etag}).status_code == 304
        assert visitor.get(path + "?utm=x").status_code == 200
        assert visitor.head(path).status_code == 200
        json_ld = visitor.get(path, headers={"Accept": "application/ld+json"})
    assert seen == [path, path, path, path]
    assert json_ld.mimetype == "application/ld+json"
    assert visitor.get(path).mimetype == "text/html"  # each way of asking keeps its own
