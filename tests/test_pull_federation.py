"""Two instances of this server: an earner's badges on one are pulled by the other over
Badge Connect (registration, consent there, token, every page), then over the Displayer
API, verified again, equal to what left, and never twice.

The other instance is this app on a database of its own, served over HTTP on a local port
(werkzeug's threaded server); the issuer is the local test issuer.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.serving import make_server

from backpack import create_app
from backpack.extensions import db
from backpack.models import Badge
from tests.badge_fixtures import add_badge
from tests.conftest import Accounts, Outbox, make_test_config, post_form
from tests.live_server import free_port
from tests.sharing_helpers import add_to, create_collection, publish
from tests.support.issuer import TestIssuer
from tests.support.oauth import consent, local

ANN = "ann@example.org"


@pytest.fixture
def badge_app(app_factory: Callable[..., Flask]) -> Flask:
    """This backpack, at an https address as in production (registration asks for one)."""
    return app_factory(
        FETCH_ALLOW_PRIVATE=True, FETCH_TIMEOUT=2.0, BASE_URL="https://backpack.test"
    )


@pytest.fixture
def other_instance(tmp_path: Path) -> Iterator[tuple[Flask, str]]:
    """A second backpack on its own SQLite database, served on a free local port."""
    folder = tmp_path / "other"
    folder.mkdir()
    address = f"http://127.0.0.1:{free_port()}"
    config = make_test_config(
        f"sqlite:///{folder / 'other.sqlite3'}",
        folder,
        FETCH_ALLOW_PRIVATE=True,
        FETCH_TIMEOUT=2.0,
        BASE_URL=address,
    )
    app = create_app(config)
    with app.app_context():
        db.create_all()
    server = make_server("127.0.0.1", int(address.rsplit(":", 1)[1]), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, address
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


def _payloads(app: Flask) -> list[tuple[str, str, str | None]]:
    with app.app_context():
        rows = db.session.scalars(sa.select(Badge).order_by(Badge.issued_on)).all()
        return [(b.fingerprint, b.verification, b.source_url) for b in rows]


def test_published_badges_move_from_one_instance_to_another(
    badge_app: Flask,
    earner: Accounts,
    issuer: TestIssuer,
    other_instance: tuple[Flask, str],
    tmp_path: Path,
) -> None:
    other, address = other_instance
    there = Accounts(other, other.test_client(), Outbox(Path(other.config["MAIL_OUTBOX_DIR"])))
    user_id = there.create(ANN)
    there.login(ANN)
    for slug in ("robotics", "welding"):
        assert add_badge(there.client, "url", issuer.award(ANN, slug=slug)["id"]).status_code == 302
    response = post_form(there.client, "/account/", {"findable": "y"}, action="/account/displayer")
    assert response.status_code == 302
    collection = create_collection(there.client, "Shown")
    with other.app_context():
        ids = list(db.session.scalars(sa.select(Badge.id).where(Badge.user_id == user_id)))
    add_to(there.client, collection, *ids)
    publish(there.client, collection)

    # Over Badge Connect: the shell gives the consent link, the earner allows it there.
    result = badge_app.test_cli_runner().invoke(args=["import", "backpack", address, "--user", ANN])
    assert result.exit_code == 0, result.output
    link = result.output.split()[-1]
    back = consent(there.client, link)
    assert back.startswith("https://backpack.test/account/import/backpack/callback?")
    job = earner.client.get(local(back))
    assert job.status_code == 302, job.get_data(as_text=True)
    state = earner.client.get(job.headers["Location"] + ".json").get_json()
    assert state["status"] == "done", state
    assert (state["report"]["badges"], state["report"]["failed"]) == (2, 0), state
    arrived, left = _payloads(badge_app), _payloads(other)
    assert arrived == left
    assert {verdict for _, verdict, _ in arrived} == {"valid"}

    # Over its Displayer API: the same badges, so nothing is added.
    result = badge_app.test_cli_runner().invoke(
        args=["import", "backpack", f"{address}/displayer", "--user", ANN, "--json"]
    )
    report = json.loads(result.output)
    assert (report["badges"], report["already_imported"]) == (0, {"badges": 2}), result.output
    assert _payloads(badge_app) == left
