"""Pulling over another backpack's Open Badges 3.0 API: discovery, registration (once per
API), consent with PKCE in the earner's browser, the token, then every page of
credentials; each credential verified here again. A hostile provider (endpoints on another
host, a failing registration, endless pages, a next page elsewhere) ends the pull with its
reason and nothing stored.

The stand-in provider is `tests/support/ob3_backpack.py`; the credentials are issued by
the local 3.0 test issuer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask

from backpack.extensions import db
from backpack.models import Badge, RemoteClient, RemoteGrant
from tests.conftest import TEST_PASSWORD, Accounts, local_path, post_form
from tests.openbadges.credential_issuer import ISSUER_HOST, CredentialIssuer
from tests.support.http_server import LocalHTTPServer, RecordedRequest, Response
from tests.support.ob3_backpack import API, JSON, Ob3Backpack

ANN = "ann@example.org"
PAGE = "/account/import/backpack/"
JSON_TYPE = "application/json"


@pytest.fixture
def issuer3(badge_app: Flask) -> Iterator[CredentialIssuer]:
    with LocalHTTPServer(tls_hostnames=[ISSUER_HOST]) as server:
        issuer = CredentialIssuer(server)
        fetcher = issuer.use_in(badge_app)
        yield issuer
        fetcher.close()


@pytest.fixture
def provider_server() -> Iterator[LocalHTTPServer]:
    with LocalHTTPServer() as server:
        yield server


def held(issuer3: CredentialIssuer, count: int, recipient: str = ANN) -> list[dict[str, Any]]:
    return [
        issuer3.sign(issuer3.credential(recipient=recipient, name=f"Badge {n}"))
        for n in range(count)
    ]


def start(earner: Accounts, server: LocalHTTPServer) -> Any:
    return post_form(earner.client, PAGE, {"address": server.url("/")})


def job_state(earner: Accounts, response: Any) -> dict[str, Any]:
    assert response.status_code == 302, response.get_data(as_text=True)
    state: dict[str, Any] = earner.client.get(response.headers["Location"] + ".json").get_json()
    return state


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def test_an_earner_pulls_every_page_over_the_3_0_api_once(
    badge_app: Flask,
    earner: Accounts,
    issuer3: CredentialIssuer,
    provider_server: LocalHTTPServer,
) -> None:
    jwt = issuer3.jwt(issuer3.credential(recipient=ANN, name="As a JWT"), alg="ES256")
    provider = Ob3Backpack(
        provider_server, held(issuer3, 3) + held(issuer3, 1, "bob@example.org"), [jwt]
    )
    badge_app.config["SITE_NAME"] = "Example School Backpack"
    consent = start(earner, provider_server)
    assert consent.status_code == 302
    assert consent.headers["Location"].startswith(provider_server.url("/oauth/authorize"))
    assert len(provider.registrations) == 1
    assert provider.registrations[0]["redirect_uris"] == [
        "http://backpack.test/account/import/backpack/callback"
    ]
    # The other backpack's consent page names this server as its people know it.
    assert provider.registrations[0]["client_name"] == "Example School Backpack"

    back = earner.client.get(local_path(provider.consent(consent.headers["Location"])))
    state = job_state(earner, back)
    assert state["status"] == "done", state
    report = state["report"]
    assert (report["badges"], report["failed"]) == (4, 1)
    assert "someone else" in report["first_failures"][0]["reason"]
    with badge_app.app_context():
        badges = db.session.scalars(sa.select(Badge)).all()
        assert {(b.source, b.version, b.verification) for b in badges} == {("pull", "3.0", "valid")}
        assert jwt in {b.original_payload for b in badges}
        [grant] = db.session.scalars(sa.select(RemoteGrant)).all()
        assert grant.status == "active"
        assert provider.access_token not in (grant.access_token_sealed or "")
    pages = [r for r in provider_server.requests if r.path.startswith(f"{API}/credentials")]
    assert len(pages) == 3  # five credentials, two a page
    assert any(r.path == f"{API}/profile" for r in provider_server.requests)

    # A second pull reads with the kept connection: no consent, nothing added twice.
    again = start(earner, provider_server)
    assert again.headers["Location"].startswith("/account/import/"), again.headers
    state = job_state(earner, again)
    assert (state["status"], state["report"]["badges"]) == ("done", 0), state
    assert len(provider.registrations) == 1
    assert provider.codes == {}
    assert provider.refreshes == []
    assert count(badge_app, Badge) == 4
    with badge_app.app_context():
        [kept] = db.session.scalars(sa.select(RemoteGrant)).all()
        assert (kept.id, kept.status) == (grant.id, "active")
    assert len([r for r in provider_server.requests if r.path == "/oauth/token"]) == 1
    assert provider.revoked == []


def test_a_second_consent_given_meanwhile_replaces_the_connection_and_ends_the_first_there(
    badge_app: Flask, earner: Accounts, issuer3: CredentialIssuer, provider_server: LocalHTTPServer
) -> None:
    provider = Ob3Backpack(provider_server, held(issuer3, 1))
    first, second = start(earner, provider_server), start(earner, provider_server)  # two tabs
    for consent in (first, second):
        back = earner.client.get(local_path(provider.consent(consent.headers["Location"])))
        assert job_state(earner, back)["status"] == "done"
    with badge_app.app_context():  # one connection per backpack
        grants = db.session.scalars(sa.select(RemoteGrant).order_by(RemoteGrant.id)).all()
        assert [g.status for g in grants] == ["revoked", "active"]
    assert len(provider.revoked) == 2  # the first one's refresh and access tokens


def test_the_connection_is_shown_with_the_connected_apps_and_revocable(
    badge_app: Flask, earner: Accounts, issuer3: CredentialIssuer, provider_server: LocalHTTPServer
) -> None:
    provider = Ob3Backpack(provider_server, held(issuer3, 1))
    consent = start(earner, provider_server)
    earner.client.get(local_path(provider.consent(consent.headers["Location"])))
    token = provider.access_token
    page = earner.client.get("/account/connected-apps/").get_data(as_text=True)
    host = f"127.0.0.1:{provider_server.port}"
    assert host in page
    with badge_app.app_context():
        [grant] = db.session.scalars(sa.select(RemoteGrant)).all()
    response = post_form(
        earner.client,
        "/account/connected-apps/",
        {"grant": str(grant.id)},
        action="/account/connected-apps/backpacks/revoke",
    )
    assert response.status_code == 302
    assert token in provider.revoked  # the other side was asked to end it too
    with badge_app.app_context():
        [grant] = db.session.scalars(sa.select(RemoteGrant)).all()
        assert (grant.status, grant.access_token_sealed) == ("revoked", None)
    assert host not in earner.client.get("/account/connected-apps/").get_data(as_text=True)


def test_the_shell_prints_the_consent_link(
    badge_app: Flask, earner: Accounts, issuer3: CredentialIssuer, provider_server: LocalHTTPServer
) -> None:
    Ob3Backpack(provider_server, held(issuer3, 1))
    result = badge_app.test_cli_runner().invoke(
        args=["import", "backpack", provider_server.url("/"), "--user", ANN]
    )
    assert result.exit_code == 0, result.output
    assert provider_server.url("/oauth/authorize?response_type=code") in result.output
    assert count(badge_app, RemoteGrant) == 1


def test_a_callback_with_an_unknown_state_is_refused(
    badge_app: Flask, earner: Accounts, provider_server: LocalHTTPServer
) -> None:
    response = earner.client.get(f"{PAGE}callback?code=abc&state=forged")
    assert response.status_code == 400
    assert "matches no pull you started" in response.get_data(as_text=True)


def test_endpoints_on_another_host_are_never_called(
    badge_app: Flask, earner: Accounts, issuer3: CredentialIssuer, provider_server: LocalHTTPServer
) -> None:
    provider = Ob3Backpack(provider_server, held(issuer3, 1))
    elsewhere = provider.discovery(token="https://attacker.example/token")
    provider_server.serve_json(f"{API}/discovery", elsewhere, content_type="application/json")
    response = start(earner, provider_server)
    assert response.status_code == 400
    assert "names its token on another host" in response.get_data(as_text=True)
    assert provider.registrations == []
    assert count(badge_app, RemoteClient) == 0


def test_a_registration_that_fails_ends_the_pull_with_its_reason(
    badge_app: Flask, earner: Accounts, issuer3: CredentialIssuer, provider_server: LocalHTTPServer
) -> None:
    Ob3Backpack(provider_server, held(issuer3, 1))
    provider_server.serve("/oauth/register", b"{}", status=500, content_type="application/json")
    response = start(earner, provider_server)
    assert response.status_code == 400
    assert "answered HTTP 500" in response.get_data(as_text=True)
    assert count(badge_app, RemoteClient) == 0
    assert count(badge_app, RemoteGrant) == 0


def _endless(provider: Ob3Backpack, server: LocalHTTPServer) -> None:
    def page(request: RecordedRequest) -> Response:
        offset = int(request.path.rsplit("offset=", 1)[-1]) if "offset=" in request.path else 0
        following = server.url(f"{API}/credentials?limit=1&offset={offset + 1}")
        body = b'{"credential": [], "compactJwsString": []}'
        return Response(200, body, {**JSON, "Link": f'<{following}>; rel="next"'})

    server.route(f"{API}/credentials", page)


def _next_elsewhere(provider: Ob3Backpack, server: LocalHTTPServer) -> None:
    def page(request: RecordedRequest) -> Response:
        body = b'{"credential": [], "compactJwsString": []}'
        link = '<https://attacker.example/credentials?offset=1>; rel="next"'
        return Response(200, body, {**JSON, "Link": link})

    server.route(f"{API}/credentials", page)


def _slow_page(provider: Ob3Backpack, server: LocalHTTPServer) -> None:
    server.stall(f"{API}/credentials", seconds=10)


def _html_page(provider: Ob3Backpack, server: LocalHTTPServer) -> None:
    server.serve(f"{API}/credentials", b"<html>Log in</html>", content_type="text/html")


@pytest.mark.parametrize(
    ("hostile", "reason"),
    [
        (_endless, "more than 50 requests"),
        (_next_elsewhere, "next page is on another host"),
        (_html_page, "where JSON was expected"),
        (_slow_page, "could not be read"),
    ],
    ids=["endless-link", "link-elsewhere", "html", "slow"],
)
def test_a_hostile_listing_ends_the_pull_with_its_reason_and_nothing_stored(
    badge_app: Flask,
    earner: Accounts,
    issuer3: CredentialIssuer,
    provider_server: LocalHTTPServer,
    hostile: Any,
    reason: str,
) -> None:
    provider = Ob3Backpack(provider_server, held(issuer3, 1))
    hostile(provider, provider_server)
    consent = start(earner, provider_server)
    back = earner.client.get(local_path(provider.consent(consent.headers["Location"])))
    state = job_state(earner, back)
    assert state["status"] == "failed"
    assert reason in state["error"], state
    assert count(badge_app, Badge) == 0
    assert not any("attacker" in r.path for r in provider_server.requests)


def test_an_unusable_badge_connect_manifest_beside_the_3_0_api_still_pulls_the_credentials(
    badge_app: Flask, earner: Accounts, issuer3: CredentialIssuer, provider_server: LocalHTTPServer
) -> None:
    provider = Ob3Backpack(provider_server, held(issuer3, 1))
    manifest = {
        "badgeConnectAPI": [
            {
                "version": "v2p1",
                "apiBase": "https://elsewhere.example/bc/v2p1",
                "registrationUrl": provider_server.url("/oauth/register"),
                "authorizationUrl": provider_server.url("/oauth/authorize"),
                "tokenUrl": provider_server.url("/oauth/token"),
            }
        ]
    }
    provider_server.serve_json("/.well-known/badgeconnect.json", manifest, content_type=JSON_TYPE)
    consent = start(earner, provider_server)
    back = earner.client.get(local_path(provider.consent(consent.headers["Location"])))
    state = job_state(earner, back)
    assert (state["status"], state["report"]["badges"]) == ("done", 1), state
    page = earner.client.get(back.headers["Location"]).get_data(as_text=True)
    assert "Your 2.0 badges there cannot be asked for" in page
    assert "elsewhere.example" in page
    assert len(provider.registrations) == 1  # nothing was sent to the other host


def test_a_refused_consent_says_so_and_keeps_no_grant(
    badge_app: Flask, earner: Accounts, issuer3: CredentialIssuer, provider_server: LocalHTTPServer
) -> None:
    Ob3Backpack(provider_server, held(issuer3, 1))
    consent = start(earner, provider_server)
    assert count(badge_app, RemoteGrant) == 1  # asked for, not yet given
    query = dict(parse_qsl(urlsplit(consent.headers["Location"]).query))
    response = earner.client.get(f"{PAGE}callback?error=access_denied&state={query['state']}")
    assert response.status_code == 400
    assert "did not give access (access_denied)" in response.get_data(as_text=True)
    assert count(badge_app, RemoteGrant) == 0
    assert count(badge_app, Badge) == 0


def test_a_pull_out_of_time_keeps_what_it_brought_and_says_to_pull_again(
    badge_app: Flask, earner: Accounts, issuer3: CredentialIssuer, provider_server: LocalHTTPServer
) -> None:
    badge_app.config["IMPORT_JOB_SECONDS"] = 0  # out of time before the first badge
    provider = Ob3Backpack(provider_server, held(issuer3, 2))
    consent = start(earner, provider_server)
    back = earner.client.get(local_path(provider.consent(consent.headers["Location"])))
    state = job_state(earner, back)
    assert state["status"] == "failed", state
    assert "took too long and was stopped" in state["error"]
    assert "pull again" in state["error"]
    assert state["report"]["badges"] == 0
    assert count(badge_app, Badge) == 0

    badge_app.config["IMPORT_JOB_SECONDS"] = 600
    again = start(earner, provider_server)  # connected already: no consent asked
    assert job_state(earner, again)["status"] == "done"
    assert count(badge_app, Badge) == 2


def test_deleting_the_account_ends_its_connections_at_the_other_backpack_too(
    badge_app: Flask, earner: Accounts, issuer3: CredentialIssuer, provider_server: LocalHTTPServer
) -> None:
    provider = Ob3Backpack(provider_server, held(issuer3, 1))
    consent = start(earner, provider_server)
    earner.client.get(local_path(provider.consent(consent.headers["Location"])))
    token = provider.access_token
    assert count(badge_app, RemoteGrant) == 1

    response = post_form(
        earner.client, "/account/", {"password": TEST_PASSWORD}, action="/account/delete"
    )
    assert response.status_code == 302
    assert token in provider.revoked  # asked to end it there, before its token went here
    assert count(badge_app, RemoteGrant) == 0


def test_an_account_is_deleted_even_when_the_other_backpack_is_gone(
    badge_app: Flask, earner: Accounts, issuer3: CredentialIssuer
) -> None:
    with LocalHTTPServer() as provider_server:
        provider = Ob3Backpack(provider_server, held(issuer3, 1))
        consent = start(earner, provider_server)
        earner.client.get(local_path(provider.consent(consent.headers["Location"])))
    # The other backpack no longer answers at all.
    response = post_form(
        earner.client, "/account/", {"password": TEST_PASSWORD}, action="/account/delete"
    )
    assert response.status_code == 302
    assert count(badge_app, RemoteGrant) == 0
