"""Pulling again from a backpack the earner already connected, over the 3.0 API or Badge
Connect: the kept grant is read with, its access token renewed with the refresh token
when it has expired or is refused (the rotated refresh token kept), and no consent is
asked. A renewal the other side refuses forgets that grant cleanly and asks consent again,
saying why.

The stand-in providers are `tests/support/ob3_backpack.py` (refresh with rotation).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from backpack.extensions import db
from backpack.models import Badge, ImportJob, RemoteClient, RemoteGrant, User
from backpack.models.base import utcnow
from backpack.services import remote_grants
from backpack.services.app_fetcher import app_fetcher
from backpack.services.sealing import seal, unseal
from importers.pull import tokens
from importers.pull.remote import Remote
from tests.conftest import TEST_PASSWORD, Accounts, local_path, post_form
from tests.openbadges.credential_issuer import ISSUER_HOST, CredentialIssuer
from tests.support.http_server import LocalHTTPServer, Response
from tests.support.issuer import TestIssuer
from tests.support.ob3_backpack import Ob3Backpack

ANN = "ann@example.org"
PAGE = "/account/import/backpack/"
JOB = "/account/import/"


@dataclass
class Other:
    """Another backpack holding `held` of Ann's badges, over one API."""

    provider: Ob3Backpack
    server: LocalHTTPServer
    held: int


@pytest.fixture(params=["3.0 API", "Badge Connect"])
def other(request: pytest.FixtureRequest, badge_app: Flask) -> Iterator[Other]:
    with LocalHTTPServer() as server:
        if request.param == "Badge Connect":
            issuer: TestIssuer = request.getfixturevalue("issuer")
            hosted = [issuer.award(ANN, slug=f"skill-{n}") for n in range(3)]
            yield Other(Ob3Backpack(server, hosted, badge_connect=True), server, 3)
            return
        with LocalHTTPServer(tls_hostnames=[ISSUER_HOST]) as issuer_server:
            issuer3 = CredentialIssuer(issuer_server)
            fetcher = issuer3.use_in(badge_app)
            held = [
                issuer3.sign(issuer3.credential(recipient=ANN, name=f"Badge {n}")) for n in range(3)
            ]
            yield Other(Ob3Backpack(server, held), server, 3)
            fetcher.close()


def start(earner: Accounts, other: Other) -> Any:
    return post_form(earner.client, PAGE, {"address": other.server.url("/")})


def job_state(earner: Accounts, response: Any) -> dict[str, Any]:
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].startswith(JOB), "a consent was asked"
    state: dict[str, Any] = earner.client.get(response.headers["Location"] + ".json").get_json()
    return state


def connect(earner: Accounts, other: Other) -> None:
    """The first pull: consent there, then every badge brought."""
    consent = start(earner, other)
    assert consent.headers["Location"].startswith(other.server.url("/oauth/authorize"))
    back = earner.client.get(local_path(other.provider.consent(consent.headers["Location"])))
    assert job_state(earner, back)["status"] == "done"


def grants(app: Flask) -> list[dict[str, Any]]:
    """Every grant, oldest first, with its tokens unsealed."""
    with app.app_context():
        rows = db.session.scalars(sa.select(RemoteGrant).order_by(RemoteGrant.id)).all()
        return [
            {
                "status": g.status,
                "access": unseal(g.access_token_sealed) if g.access_token_sealed else None,
                "refresh": unseal(g.refresh_token_sealed) if g.refresh_token_sealed else None,
                "expires": g.access_token_expires_at,
            }
            for g in rows
        ]


def expire_kept_token(app: Flask, other: Other) -> None:
    """The kept access token's hour is over: here by its expiry, there by refusing it."""
    with app.app_context():
        for grant in db.session.scalars(sa.select(RemoteGrant)):
            grant.access_token_expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    other.provider.end_access_tokens()


def badges(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Badge)) or 0


def test_a_second_pull_with_a_valid_kept_token_asks_no_consent(
    badge_app: Flask, earner: Accounts, other: Other
) -> None:
    connect(earner, other)
    [before] = grants(badge_app)
    other.provider.credentials.append(other.provider.credentials[0])  # listed twice: kept once

    state = job_state(earner, start(earner, other))
    assert (state["status"], state["report"]["badges"]) == ("done", 0), state
    assert grants(badge_app) == [before]  # read with, unchanged
    assert other.provider.refreshes == []
    assert badges(badge_app) == other.held


def test_an_expired_access_token_is_renewed_and_the_rotated_refresh_token_kept(
    badge_app: Flask, earner: Accounts, other: Other
) -> None:
    connect(earner, other)
    first_refresh = other.provider.refresh_token
    expire_kept_token(badge_app, other)

    state = job_state(earner, start(earner, other))
    assert state["status"] == "done", state
    [refresh] = other.provider.refreshes
    assert refresh["grant_type"] == "refresh_token"
    assert refresh["refresh_token"] == first_refresh
    [kept] = grants(badge_app)
    assert kept["status"] == "active"
    assert kept["access"] == other.provider.access_token
    assert kept["refresh"] == other.provider.refresh_token != first_refresh  # rotated
    assert kept["expires"] > utcnow() + timedelta(minutes=50)
    assert badges(badge_app) == other.held

    # Deleting the account ends the renewed connection there: its current tokens are sent.
    response = post_form(
        earner.client, "/account/", {"password": TEST_PASSWORD}, action="/account/delete"
    )
    assert response.status_code == 302
    assert {kept["refresh"], kept["access"]} <= set(other.provider.revoked)
    assert other.provider.live_refresh_tokens == {}


def test_a_token_refused_before_its_expiry_is_renewed_during_the_pull(
    badge_app: Flask, earner: Accounts, other: Other
) -> None:
    connect(earner, other)
    other.provider.end_access_tokens()  # its expiry here still an hour away

    state = job_state(earner, start(earner, other))
    assert state["status"] == "done", state
    assert len(other.provider.refreshes) == 1
    [kept] = grants(badge_app)
    assert (kept["status"], kept["refresh"]) == ("active", other.provider.refresh_token)


def test_a_refused_renewal_asks_consent_again_saying_why_and_keeps_no_half_state(
    badge_app: Flask, earner: Accounts, other: Other
) -> None:
    connect(earner, other)
    expire_kept_token(badge_app, other)
    other.provider.end_refresh_tokens()  # the earner ended this server's access there

    consent = start(earner, other)
    assert consent.status_code == 302
    assert consent.headers["Location"].startswith(other.server.url("/oauth/authorize"))
    [lost, asked] = grants(badge_app)
    assert lost == {"status": "revoked", "access": None, "refresh": None, "expires": None}
    assert (asked["status"], asked["access"]) == ("pending", None)

    back = earner.client.get(local_path(other.provider.consent(consent.headers["Location"])))
    state = job_state(earner, back)
    assert state["status"] == "done", state
    page = earner.client.get(back.headers["Location"]).get_data(as_text=True)
    assert "had ended" in page
    assert "The refresh token is invalid" in page
    assert [g["status"] for g in grants(badge_app)] == ["revoked", "active"]
    assert badges(badge_app) == other.held


def test_a_renewal_refused_during_the_pull_ends_it_with_a_message_and_the_next_asks_consent(
    badge_app: Flask, earner: Accounts, other: Other
) -> None:
    connect(earner, other)
    other.provider.end_access_tokens()
    other.provider.end_refresh_tokens()

    state = job_state(earner, start(earner, other))
    assert state["status"] == "failed"
    assert "has ended" in state["error"]
    assert "allow access there again" in state["error"]
    assert grants(badge_app) == [
        {"status": "revoked", "access": None, "refresh": None, "expires": None}
    ]

    again = start(earner, other)
    assert again.headers["Location"].startswith(other.server.url("/oauth/authorize"))


def test_a_renewal_that_fails_for_now_keeps_the_connection_for_the_next_try(
    badge_app: Flask, earner: Accounts, other: Other
) -> None:
    connect(earner, other)
    expire_kept_token(badge_app, other)
    [before] = grants(badge_app)
    other.server.route("/oauth/token", Response(503, b"down for maintenance"))

    refused = start(earner, other)
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "could not be renewed just now" in page
    assert "try the pull again later" in page
    assert grants(badge_app) == [before]  # nothing forgotten, nothing half-written

    other.server.route("/oauth/token", other.provider.token)  # back up
    state = job_state(earner, start(earner, other))
    assert state["status"] == "done", state
    assert len(other.provider.refreshes) == 1
    [kept] = grants(badge_app)
    assert (kept["status"], kept["refresh"]) == ("active", other.provider.refresh_token)


def test_a_renewal_finds_the_token_another_request_renewed_meanwhile(
    badge_app: Flask, earner: Accounts, other: Other
) -> None:
    # Two requests renew one grant at once (a double click): the second, let through once
    # the first is done, must not spend the refresh token the first has already spent.
    connect(earner, other)
    with badge_app.app_context():
        grant = db.session.scalars(sa.select(RemoteGrant)).one()
        refused = unseal(grant.access_token_sealed)
        with db.engine.begin() as elsewhere:  # the other request's renewal, committed
            elsewhere.execute(
                sa.update(RemoteGrant).values(
                    access_token_sealed=seal("renewed-elsewhere"),
                    access_token_expires_at=utcnow() + timedelta(hours=1),
                )
            )
        assert unseal(grant.access_token_sealed) == refused  # as this request read it

        token = tokens.renewed_token(Remote(app_fetcher()), grant, refused=refused)

    assert token == "renewed-elsewhere"
    assert other.provider.refreshes == []


def test_a_pull_started_while_the_last_one_runs_asks_the_other_backpack_nothing(
    badge_app: Flask, earner: Accounts, other: Other
) -> None:
    connect(earner, other)
    expire_kept_token(badge_app, other)
    with badge_app.app_context():
        db.session.scalars(sa.select(ImportJob)).one().status = "running"
        db.session.commit()

    refused = start(earner, other)

    assert refused.status_code == 429
    assert "has not finished yet" in refused.get_data(as_text=True)
    assert other.provider.refreshes == []  # no token renewed for a pull that cannot start


def test_the_shell_pulls_again_with_the_kept_connection_renewed(
    badge_app: Flask, earner: Accounts, other: Other
) -> None:
    connect(earner, other)
    expire_kept_token(badge_app, other)
    other.provider.credentials.append(other.provider.credentials[0])

    result = badge_app.test_cli_runner().invoke(
        args=["import", "backpack", other.server.url("/"), "--user", ANN, "--json"]
    )
    assert result.exit_code == 0, result.output
    assert "/oauth/authorize" not in result.output
    assert json.loads(result.output)["badges"] == 0  # every one brought by the first pull
    [kept] = grants(badge_app)
    assert (kept["status"], kept["refresh"]) == ("active", other.provider.refresh_token)
    assert len(other.provider.refreshes) == 1


def test_a_client_registered_for_client_secret_post_renews_so(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer
) -> None:
    with LocalHTTPServer() as server:
        hosted = [issuer.award(ANN, slug="skill")]
        provider = Ob3Backpack(server, hosted, badge_connect=True, auth_method="client_secret_post")
        other = Other(provider, server, 1)
        connect(earner, other)
        expire_kept_token(badge_app, other)

        state = job_state(earner, start(earner, other))
        assert state["status"] == "done", state
        [refresh] = provider.refreshes
        assert refresh["client_secret"] == provider.client_secret
        [kept] = grants(badge_app)
        assert kept["refresh"] == provider.refresh_token


def test_a_client_registered_for_client_secret_post_revokes_so_on_disconnect(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer
) -> None:
    with LocalHTTPServer() as server:
        provider = Ob3Backpack(
            server, [issuer.award(ANN)], badge_connect=True, auth_method="client_secret_post"
        )
        connect(earner, Other(provider, server, 1))
        tokens_there = {provider.access_token, provider.refresh_token}
        with badge_app.app_context():
            grant = db.session.scalars(sa.select(RemoteGrant)).one()
            owner = db.session.get(User, grant.user_id)
            assert owner is not None
            remote_grants.revoke_all(owner)
            db.session.commit()

    assert set(provider.revoked) == tokens_there


def test_a_refresh_answered_by_a_firewall_page_keeps_the_grant(
    badge_app: Flask, earner: Accounts, other: Other
) -> None:
    # A 403 or 404 with no OAuth error says nothing of the grant (a firewall, a bad deploy).
    connect(earner, other)
    expire_kept_token(badge_app, other)
    [before] = grants(badge_app)
    other.server.route(
        "/oauth/token", Response(403, b"<h1>Access denied</h1>", {"Content-Type": "text/html"})
    )

    refused = start(earner, other)

    assert refused.status_code == 400
    assert "could not be renewed just now" in refused.get_data(as_text=True)
    assert grants(badge_app) == [before]


def test_a_registration_sealed_under_another_key_ends_the_grant_and_asks_consent(
    badge_app: Flask, earner: Accounts, other: Other
) -> None:
    # The operator changed SECRET_KEY: the client secret kept for that backpack cannot be
    # read, so no renewal can ever succeed; waiting for "later" would never end.
    connect(earner, other)
    expire_kept_token(badge_app, other)
    with badge_app.app_context():
        client = db.session.scalars(sa.select(RemoteClient)).one()
        client.client_secret_sealed = "sealed-under-an-old-key"
        db.session.commit()

    consent = start(earner, other)

    assert consent.status_code == 302
    assert consent.headers["Location"].startswith(other.server.url("/oauth/authorize"))
    assert grants(badge_app)[0]["status"] == "revoked"
    assert other.provider.refreshes == []


def test_renewed_tokens_are_kept_at_once_whatever_follows(
    badge_app: Flask, earner: Accounts, other: Other
) -> None:
    connect(earner, other)
    other.provider.end_access_tokens()
    with badge_app.app_context():
        grant = db.session.scalars(sa.select(RemoteGrant)).one()
        refused = unseal(grant.access_token_sealed)
        token = tokens.renewed_token(Remote(app_fetcher()), grant, refused=refused)
        with db.engine.connect() as elsewhere:  # another request sees them already
            kept = elsewhere.scalar(sa.select(RemoteGrant.access_token_sealed))
        db.session.rollback()  # whatever this request does next cannot undo them
        assert unseal(kept) == token == other.provider.access_token
    assert grants(badge_app)[0]["access"] == token


def test_a_kept_grant_of_unknown_expiry_refused_there_asks_consent_again(
    badge_app: Flask, earner: Accounts, other: Other
) -> None:
    connect(earner, other)
    with badge_app.app_context():  # as kept before expiries were: none known
        for grant in db.session.scalars(sa.select(RemoteGrant)):
            grant.access_token_expires_at = None
        db.session.commit()
    other.provider.end_access_tokens()
    other.provider.end_refresh_tokens()

    consent = start(earner, other)
    assert consent.headers["Location"].startswith(other.server.url("/oauth/authorize"))
    [lost, asked] = grants(badge_app)
    assert lost == {"status": "revoked", "access": None, "refresh": None, "expires": None}
    assert asked["status"] == "pending"
