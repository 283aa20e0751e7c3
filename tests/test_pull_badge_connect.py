"""Pulling over Badge Connect 2.1 from a Badgr-shaped provider: its manifest redirected to
/bcv1, `version: v1p0`, no `X-Total-Count`; the same consent flow as the 3.0 API, then
every page of `GET /assertions`, each assertion verified again from its issuer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from backpack.extensions import db
from backpack.models import Badge, RemoteClient
from tests.conftest import Accounts, local_path, post_form
from tests.support.http_server import LocalHTTPServer
from tests.support.issuer import TestIssuer
from tests.support.ob3_backpack import BADGR, Ob3Backpack

ANN = "ann@example.org"
PAGE = "/account/import/backpack/"


@pytest.fixture
def provider_server() -> Iterator[LocalHTTPServer]:
    with LocalHTTPServer() as server:
        yield server


def start(earner: Accounts, server: LocalHTTPServer) -> Any:
    return post_form(earner.client, PAGE, {"address": server.url("/")})


def test_a_badgr_shaped_provider_gives_every_page_of_assertions(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer, provider_server: LocalHTTPServer
) -> None:
    hosted = [issuer.award(ANN, slug=f"skill-{n}") for n in range(3)]
    signed = issuer.award_signed(ANN, slug="signed")
    theirs = issuer.award("bob@example.org")
    provider = Ob3Backpack(provider_server, [*hosted, theirs], [signed], badge_connect=True)

    consent = start(earner, provider_server)
    assert consent.status_code == 302, consent.get_data(as_text=True)
    assert "assertion.readonly" in consent.headers["Location"]
    back = earner.client.get(local_path(provider.consent(consent.headers["Location"])))
    assert back.status_code == 302, back.get_data(as_text=True)
    state = earner.client.get(back.headers["Location"] + ".json").get_json()
    assert state["status"] == "done", state
    assert (state["report"]["badges"], state["report"]["failed"]) == (4, 1)
    with badge_app.app_context():
        badges = db.session.scalars(sa.select(Badge)).all()
        assert {(b.source, b.verification) for b in badges} == {("pull", "valid")}
        [client] = db.session.scalars(sa.select(RemoteClient)).all()
        assert (client.api_kind, client.api_base) == ("badge-connect", provider_server.url(BADGR))
    pages = [r for r in provider_server.requests if r.path.startswith(f"{BADGR}/assertions")]
    assert len(pages) == 3


def test_a_manifest_naming_another_host_is_refused(
    badge_app: Flask, earner: Accounts, provider_server: LocalHTTPServer
) -> None:
    provider = Ob3Backpack(provider_server, [], badge_connect=True)
    manifest = provider.manifest()
    manifest["badgeConnectAPI"][0]["tokenUrl"] = "https://attacker.example/token"
    provider_server.serve_json(
        f"{BADGR}/manifest/127.0.0.1", manifest, content_type="application/json"
    )
    response = start(earner, provider_server)
    assert response.status_code == 400
    assert "names its token on another host" in response.get_data(as_text=True)
    assert provider.registrations == []
