"""Two instances of this server: an earner's 2.0 badges and 3.0 credentials on one are
pulled by the other over the 3.0 API and Badge Connect (discovery, registration, one
consent for each API in the earner's browser, tokens, every page), then over the
Displayer API, verified again, equal to what left, and never twice.

The other instance is this app on a database of its own, served over HTTP on a local port
(werkzeug's threaded server); the issuers are the local 2.0 test issuer and the local 3.0
credential issuer.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from backpack import create_app
from backpack.extensions import db
from backpack.models import Badge, OAuthToken, RemoteGrant
from backpack.models.base import utcnow
from backpack.services.sealing import unseal
from tests.badge_fixtures import add_badge
from tests.conftest import Accounts, Outbox, make_test_config, post_form
from tests.live_server import free_port
from tests.openbadges.credential_issuer import ISSUER_HOST, CredentialIssuer
from tests.sharing_helpers import add_to, create_collection, publish
from tests.support.http_server import LocalHTTPServer
from tests.support.issuer import TestIssuer
from tests.support.oauth import consent, local, query

ANN = "ann@example.org"
CALLBACK = "https://backpack.test/account/import/backpack/callback?"


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


@pytest.fixture
def issuer3(badge_app: Flask, other_instance: tuple[Flask, str]) -> Iterator[CredentialIssuer]:
    """The local 3.0 issuer, reached by both instances' verifications."""
    with LocalHTTPServer(tls_hostnames=[ISSUER_HOST]) as server:
        issuer = CredentialIssuer(server)
        fetchers = [issuer.use_in(badge_app), issuer.use_in(other_instance[0])]
        yield issuer
        for fetcher in fetchers:
            fetcher.close()


def _payloads(app: Flask) -> list[tuple[str, str, str | None, str]]:
    with app.app_context():
        rows = db.session.scalars(sa.select(Badge).order_by(Badge.issued_on, Badge.id)).all()
        return [(b.fingerprint, b.verification, b.source_url, b.version) for b in rows]


def _originals_30(app: Flask) -> list[str]:
    """The verbatim text of each 3.0 credential, as received."""
    with app.app_context():
        rows = db.session.scalars(sa.select(Badge).where(Badge.version == "3.0")).all()
        return sorted(b.original_payload or "" for b in rows)


def _connect_both_apis(earner: Accounts, there: Accounts, address: str) -> Any:
    """A first pull from the other instance: both consents there (3.0, then Badge Connect);
    the answer that leads to the pull's job page."""
    started = post_form(earner.client, "/account/import/backpack/", {"address": address})
    second = earner.client.get(local(_allow_every_badge(there.client, started.headers["Location"])))
    return earner.client.get(local(_allow_every_badge(there.client, second.headers["Location"])))


def _allow_every_badge(browser: FlaskClient, link: str) -> str:
    """Consent as the current page asks it: the earner's collections are offered (none
    ticked shares every accepted badge) and the state goes along; the redirect back."""
    assert query(link)["state"]
    page = browser.get(local(link)).get_data(as_text=True)
    assert 'name="collections"' in page
    assert "Shown" in page
    back = consent(browser, link)
    assert back.startswith(CALLBACK)
    assert query(back)["state"] == query(link)["state"]
    return back


def _ann_there(other: Flask, issuer: TestIssuer, issuer3: CredentialIssuer) -> tuple[Accounts, str]:
    """Ann on the other instance, logged in there, with two 2.0 badges (published in a
    collection, findable by the Displayer API) and two 3.0 credentials pasted as issued:
    one with a Data Integrity proof, one a VC-JWT (returned: its compact JWS is what
    leaves, and what must arrive)."""
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
    signed = issuer3.sign(issuer3.credential(recipient=ANN, name="Local Teamwork"))
    jwt = issuer3.jwt(issuer3.credential(recipient=ANN, name="Signed as a JWT"), alg="ES256")
    for text in (json.dumps(signed, indent=2), jwt):
        assert add_badge(there.client, "text", text).status_code == 302
    return there, jwt


def test_published_badges_move_from_one_instance_to_another(
    badge_app: Flask,
    earner: Accounts,
    issuer: TestIssuer,
    issuer3: CredentialIssuer,
    other_instance: tuple[Flask, str],
) -> None:
    other, address = other_instance
    there, jwt = _ann_there(other, issuer, issuer3)
    left = _payloads(other)
    assert sorted(f for *_, f in left) == ["2.0", "2.0", "3.0", "3.0"], left

    # The shell gives the 3.0 API's consent link; the earner allows it there, and, that
    # backpack keeping 2.0 badges on Badge Connect, is sent on to allow that too.
    result = badge_app.test_cli_runner().invoke(args=["import", "backpack", address, "--user", ANN])
    assert result.exit_code == 0, result.output
    link = result.output.split()[-1]
    assert link.startswith(address)
    assert "v3p0" in query(link)["scope"]
    second = earner.client.get(local(_allow_every_badge(there.client, link)))
    assert second.status_code == 302, second.get_data(as_text=True)
    link = second.headers["Location"]
    assert link.startswith(address)
    assert "v2p1" in query(link)["scope"]
    job = earner.client.get(local(_allow_every_badge(there.client, link)))
    assert job.status_code == 302, job.get_data(as_text=True)
    state = earner.client.get(job.headers["Location"] + ".json").get_json()
    assert state["status"] == "done", state
    assert (state["report"]["badges"], state["report"]["failed"]) == (4, 0), state
    arrived = _payloads(badge_app)
    assert arrived == left
    assert {verdict for _, verdict, _, _ in arrived} == {"valid"}
    assert _originals_30(badge_app) == _originals_30(other)
    assert jwt in _originals_30(badge_app)

    # Over its Displayer API: the published 2.0 badges again, so nothing is added.
    result = badge_app.test_cli_runner().invoke(
        args=["import", "backpack", f"{address}/displayer", "--user", ANN, "--json"]
    )
    report = json.loads(result.output)
    assert (report["badges"], report["already_imported"]) == (0, {"badges": 2}), result.output
    assert _payloads(badge_app) == left


def test_refusing_the_badge_connect_consent_still_brings_the_3_0_credentials(
    badge_app: Flask,
    earner: Accounts,
    issuer: TestIssuer,
    issuer3: CredentialIssuer,
    other_instance: tuple[Flask, str],
) -> None:
    other, address = other_instance
    there, _ = _ann_there(other, issuer, issuer3)
    started = post_form(earner.client, "/account/import/backpack/", {"address": address})
    assert started.status_code == 302, started.get_data(as_text=True)
    second = earner.client.get(local(_allow_every_badge(there.client, started.headers["Location"])))
    assert second.status_code == 302, second.get_data(as_text=True)
    back = consent(there.client, second.headers["Location"], decision="deny")
    assert query(back)["error"] == "access_denied"
    job = earner.client.get(local(back))
    assert job.status_code == 302, job.get_data(as_text=True)
    state = earner.client.get(job.headers["Location"] + ".json").get_json()
    assert (state["status"], state["report"]["badges"]) == ("done", 2), state
    page = earner.client.get(job.headers["Location"]).get_data(as_text=True)
    assert "Only your Open Badges 3.0 credentials are brought over." in page
    assert {version for *_, version in _payloads(badge_app)} == {"3.0"}
    assert _originals_30(badge_app) == _originals_30(other)


def test_pulling_again_renews_both_connections_there_without_asking_consent(
    badge_app: Flask,
    earner: Accounts,
    issuer: TestIssuer,
    issuer3: CredentialIssuer,
    other_instance: tuple[Flask, str],
) -> None:
    other, address = other_instance
    there, _ = _ann_there(other, issuer, issuer3)
    job = _connect_both_apis(earner, there, address)
    state = earner.client.get(job.headers["Location"] + ".json").get_json()
    assert (state["status"], state["report"]["badges"]) == ("done", 4), state
    with badge_app.app_context():
        grants = db.session.scalars(sa.select(RemoteGrant).order_by(RemoteGrant.id)).all()
        first_refresh = [unseal(g.refresh_token_sealed or "") for g in grants]
        for grant in grants:  # both access tokens are past their hour
            grant.access_token_expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()

    # That backpack's own refresh grant renews both (rotating their refresh tokens).
    again = post_form(earner.client, "/account/import/backpack/", {"address": address})
    assert again.status_code == 302, again.get_data(as_text=True)
    assert again.headers["Location"].startswith("/account/import/"), "a consent was asked"
    state = earner.client.get(again.headers["Location"] + ".json").get_json()
    assert (state["status"], state["report"]["badges"]) == ("done", 0), state
    assert len(_payloads(badge_app)) == 4
    with badge_app.app_context():
        grants = db.session.scalars(sa.select(RemoteGrant).order_by(RemoteGrant.id)).all()
        assert [g.status for g in grants] == ["active", "active"]
        renewed = [unseal(g.refresh_token_sealed or "") for g in grants]
        assert all(g.access_token_expires_at > utcnow() for g in grants)
    assert None not in renewed
    assert not set(renewed) & set(first_refresh)


def test_disconnecting_ends_both_connections_there(
    badge_app: Flask,
    earner: Accounts,
    issuer: TestIssuer,
    issuer3: CredentialIssuer,
    other_instance: tuple[Flask, str],
) -> None:
    # The 3.0 discovery document has no field for a revocation endpoint: the other
    # instance names it in its RFC 8414 metadata only, where it used to go unread, so the
    # 3.0 connection was forgotten here and stayed live there.
    other, address = other_instance
    there, _ = _ann_there(other, issuer, issuer3)
    _connect_both_apis(earner, there, address)
    with badge_app.app_context():
        grant_ids = list(db.session.scalars(sa.select(RemoteGrant.id).order_by(RemoteGrant.id)))
    assert len(grant_ids) == 2
    with other.app_context():
        assert db.session.scalar(
            sa.select(sa.func.count()).where(OAuthToken.access_token_revoked_at.is_(None))
        ) == 2  # fmt: skip

    for grant_id in grant_ids:
        response = post_form(
            earner.client,
            "/account/connected-apps/",
            {"grant": str(grant_id)},
            action="/account/connected-apps/backpacks/revoke",
        )
        assert response.status_code == 302, response.get_data(as_text=True)

    with other.app_context():
        live = db.session.scalars(
            sa.select(OAuthToken).where(
                OAuthToken.access_token_revoked_at.is_(None)
                | OAuthToken.refresh_token_revoked_at.is_(None)
            )
        ).all()
        assert [token.scope for token in live] == []
