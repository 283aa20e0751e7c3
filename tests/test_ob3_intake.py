"""Open Badges 3.0 end to end through the one intake: paste, VC-JWT, upload, URL, the newer
copy, re-verification, and an export restored elsewhere.

The credentials are issued and signed by the local 3.0 test issuer (over TLS on the local
server), which the app's own fetcher reaches; nothing leaves the machine.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from backpack import create_app
from backpack.extensions import db
from backpack.models import Badge
from backpack.openbadges import bake, unbake
from backpack.services import accounts, badges
from tests.badge_fixtures import add_badge
from tests.conftest import TEST_PASSWORD, Accounts, make_test_config
from tests.openbadges.credential_issuer import ISSUER_HOST, CredentialIssuer
from tests.support.badge_rows import held_badges
from tests.support.http_server import LocalHTTPServer
from tests.support.issuer import make_png

ANN = "ann@example.org"


@pytest.fixture
def issuer3(badge_app: Flask) -> Iterator[CredentialIssuer]:
    with LocalHTTPServer(tls_hostnames=[ISSUER_HOST]) as server:
        issuer = CredentialIssuer(server)
        fetcher = issuer.use_in(badge_app)
        yield issuer
        fetcher.close()


def test_a_pasted_credential_is_verified_and_kept_as_issued(
    badge_app: Flask, earner: Accounts, issuer3: CredentialIssuer
) -> None:
    signed = issuer3.sign(issuer3.credential(recipient=ANN))
    text = json.dumps(signed, indent=2)
    response = add_badge(earner.client, "text", text)
    assert response.status_code == 302, response.get_data(as_text=True)
    [badge] = held_badges(badge_app)
    assert badge.version == "3.0"
    assert badge.verification == "valid", badge.last_report
    assert badge.original_payload == text
    assert badge.assertion_iri == signed["id"]
    assert badge.badge_class.name == "Local Teamwork"
    assert badge.last_report["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    page = earner.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Local Teamwork" in page


def test_a_vc_jwt_is_kept_as_its_compact_jws(
    badge_app: Flask, earner: Accounts, issuer3: CredentialIssuer
) -> None:
    token = issuer3.jwt(issuer3.credential(recipient=ANN), alg="ES256")
    assert add_badge(earner.client, "text", token).status_code == 302
    [badge] = held_badges(badge_app)
    assert (badge.version, badge.verification) == ("3.0", "valid")
    assert badge.original_payload == token


def test_an_uploaded_baked_credential_keeps_the_credential_and_the_image(
    badge_app: Flask, earner: Accounts, issuer3: CredentialIssuer
) -> None:
    text = json.dumps(issuer3.sign(issuer3.credential(recipient=ANN)))
    png = bake(make_png((90, 40, 160)), text, keyword="openbadgecredential")
    response = add_badge(earner.client, "upload", (io.BytesIO(png), "badge.png"))
    assert response.status_code == 302, response.get_data(as_text=True)
    [badge] = held_badges(badge_app)
    assert badge.version == "3.0"
    assert badge.original_payload == text
    assert badge.original_image_id is not None
    download = earner.client.get(f"/badges/{badge.id}/download")
    assert unbake(download.data).text == text


def test_a_credential_added_by_url_keeps_the_credential_not_the_url(
    badge_app: Flask, earner: Accounts, issuer3: CredentialIssuer
) -> None:
    signed = issuer3.sign(issuer3.credential(recipient=ANN))
    issuer3.server.serve_json("/credentials/1", signed)
    url = issuer3.url("/credentials/1")
    assert add_badge(earner.client, "url", url).status_code == 302
    [badge] = held_badges(badge_app)
    assert json.loads(badge.original_payload) == signed
    assert badge.source_url == url


def test_a_newer_copy_replaces_the_held_one_and_reverify_finds_it_revoked(
    badge_app: Flask, earner: Accounts, issuer3: CredentialIssuer
) -> None:
    first = issuer3.sign(issuer3.credential(recipient=ANN, valid_from="2024-01-01T00:00:00Z"))
    assert add_badge(earner.client, "text", json.dumps(first)).status_code == 302
    newer = issuer3.sign(
        issuer3.credential(
            recipient=ANN,
            valid_from="2025-01-01T00:00:00Z",
            name="Local Teamwork II",
            status="revocation-list",
            id=first["id"],
        )
    )
    assert add_badge(earner.client, "text", json.dumps(newer)).status_code == 302
    [badge] = held_badges(badge_app)
    assert json.loads(badge.original_payload) == newer
    assert badge.badge_class.name == "Local Teamwork II"
    assert add_badge(earner.client, "text", json.dumps(first)).status_code == 302
    [badge] = held_badges(badge_app)
    assert json.loads(badge.original_payload) == newer  # the older copy changes nothing

    issuer3.revoke(newer)
    result = badge_app.test_cli_runner().invoke(args=["badges", "reverify", "--older-than", "0s"])
    assert result.exit_code == 0, result.output
    [badge] = held_badges(badge_app)
    assert badge.verification == "revoked", badge.last_report


def test_an_exported_credential_is_restored_elsewhere_unchecked_then_verified(
    badge_app: Flask, earner: Accounts, issuer3: CredentialIssuer, tmp_path: Path
) -> None:
    signed = issuer3.sign(issuer3.credential(recipient=ANN))
    text = json.dumps(signed)
    assert add_badge(earner.client, "text", text).status_code == 302
    target = tmp_path / "ann.zip"
    result = badge_app.test_cli_runner().invoke(
        args=["users", "export", ANN, "--output", str(target)]
    )
    assert result.exit_code == 0, result.output

    other = create_app(make_test_config(f"sqlite:///{tmp_path / 'other.sqlite3'}", tmp_path))
    other.config["FETCH_ALLOW_PRIVATE"] = True
    with other.app_context():
        db.create_all()
        accounts.create_account(ANN, TEST_PASSWORD, verified=True)
        db.session.commit()
    args = ["import", "backpack-export", str(target), "--user", ANN, "--json"]
    restored = other.test_cli_runner().invoke(args=args)
    assert restored.exit_code == 0, restored.output
    assert json.loads(restored.output)["badges"] == 1
    [badge] = held_badges(other)
    assert (badge.version, badge.verification, badge.status) == ("3.0", "unchecked", "accepted")
    assert badge.original_payload == text
    assert badge.assertion_iri == signed["id"]
    assert badge.badge_class.name == "Local Teamwork"
    [held] = held_badges(badge_app)
    assert badge.fingerprint == held.fingerprint

    issuer3.use_in(other)
    with other.app_context():
        stored = db.session.get(Badge, badge.id)
        assert stored is not None
        assert badges.reverify_badge(stored) == "valid"
        db.session.commit()
        db.engine.dispose()
