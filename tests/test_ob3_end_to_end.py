"""Open Badges 3.0 end to end, as an earner meets it: a credential signed each way an issuer
signs (Data Integrity eddsa-rdfc-2022 by an https profile key, did:web and did:key; the
older Ed25519Signature2020; VC-JWT RS256, ES256 and EdDSA), with each kind of status list
(1EdTechRevocationList, BitstringStatusListEntry), brought in each way (a baked PNG or SVG,
pasted, by URL, pushed by the issuer's site), kept valid, and found revoked by `badges
reverify` once the issuer revokes it. Badge Connect 2.1, which carries 2.0 assertions only,
refuses 3.0 with a reason.

Every test runs on SQLite and PostgreSQL; the issuer is the local 3.0 test issuer.
"""

from __future__ import annotations

import base64
import html
import io
import json
import re
from collections.abc import Iterator
from typing import Any, cast
from urllib.parse import urlencode

import pytest
from flask import Flask

from backpack.openbadges import bake
from tests.badge_fixtures import add_badge
from tests.conftest import Accounts, post_form
from tests.openbadges.credential_issuer import (
    ISSUER_HOST,
    CredentialIssuer,
    Identity,
    JwtAlgorithm,
    Status,
    Suite,
)
from tests.support.badge_rows import held_badges
from tests.support.http_server import LocalHTTPServer
from tests.support.issuer import make_png, make_svg
from tests.support.oauth import connect

ANN = "ann@example.org"
EDDSA, ED25519_2020 = "eddsa-rdfc-2022", "Ed25519Signature2020"
# Each way a credential is signed: who the issuer is, and the embedded proof's suite or the
# VC-JWT's algorithm (what the report's proof summary then names).
PROOFS: dict[str, tuple[Identity, str]] = {
    "eddsa-profile": ("url", EDDSA),
    "eddsa-did:web": ("did:web", EDDSA),
    "eddsa-did:key": ("did:key", EDDSA),
    "ed25519-2020-did:web": ("did:web", ED25519_2020),
    "jwt-RS256": ("url", "RS256"),
    "jwt-ES256": ("did:web", "ES256"),
    "jwt-EdDSA": ("url", "EdDSA"),
}
# Each way in, with the status list its credential names (both kinds meet every proof).
ROUTES: dict[str, Status] = {
    "png": "bitstring",
    "svg": "revocation-list",
    "paste": "bitstring",
    "url": "revocation-list",
    "push": "bitstring",
}


@pytest.fixture
def issuer3(badge_app: Flask) -> Iterator[CredentialIssuer]:
    with LocalHTTPServer(tls_hostnames=[ISSUER_HOST]) as server:
        issuer = CredentialIssuer(server)
        fetcher = issuer.use_in(badge_app)
        yield issuer
        fetcher.close()


def _issued(issuer: CredentialIssuer, proof: str, status: Status) -> tuple[dict[str, Any], str]:
    """A credential to Ann, and the text its issuer hands out (JSON or a compact JWS)."""
    identity, how = PROOFS[proof]
    credential = issuer.credential(identity=identity, status=status, recipient=ANN)
    if how in (EDDSA, ED25519_2020):
        signed = issuer.sign(credential, suite=cast(Suite, how))
        return signed, json.dumps(signed, indent=2)
    return credential, issuer.jwt(credential, alg=cast(JwtAlgorithm, how))


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": "Bearer " + base64.b64encode(token.encode()).decode()}


def _push_grant(earner: Accounts, callback: str) -> str:
    """Ann lets the issuer's site push badges (Mozilla Backpack Connect); its access token."""
    page = "/access?" + urlencode({"callback": callback, "scope": "issue"})
    data = {"callback": callback, "scope": "issue", "decision": "allow"}
    answer = post_form(earner.client, page, data, action="/accept")
    assert answer.status_code == 303
    location = str(answer.headers["Location"])
    return location.split("access_token=", 1)[1].split("&", 1)[0]


def _deliver(route: str, text: str, issuer: CredentialIssuer, earner: Accounts) -> Any:
    """Hand the credential in by one route, as the earner (or the issuer's site) does."""
    if route in ("png", "svg"):
        image = make_png() if route == "png" else make_svg()
        baked = bake(image, text, keyword="openbadgecredential")
        return add_badge(earner.client, "upload", (io.BytesIO(baked), f"badge.{route}"))
    if route == "paste":
        return add_badge(earner.client, "text", text)
    if route == "url":
        is_jws = not text.lstrip().startswith("{")
        kind = "text/plain" if is_jws else "application/vc+ld+json"
        issuer.server.serve("/credentials/1", text.encode(), content_type=kind)
        return add_badge(earner.client, "url", issuer.url("/credentials/1"))
    token = _push_grant(earner, issuer.url("/backpack-connected"))
    api = earner.app.test_client()
    return api.post("/api/issue", json={"badge": text}, headers=_bearer(token))


def _reverify(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["badges", "reverify", "--older-than", "0s"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("proof", list(PROOFS))
def test_a_credential_comes_in_valid_is_kept_as_issued_and_is_found_revoked_later(
    badge_app: Flask, earner: Accounts, issuer3: CredentialIssuer, proof: str, route: str
) -> None:
    credential, text = _issued(issuer3, proof, ROUTES[route])
    answer = _deliver(route, text, issuer3, earner)
    if route == "push" and PROOFS[proof][0] == "did:key":
        # A did:key is not a site: the pushing site cannot show the badge is its own.
        assert answer.status_code == 403
        body = answer.get_json()
        assert body["reason"] == "origin_mismatch"
        assert credential["issuer"]["id"] in body["detail"]
        assert "has no web site" in body["detail"]
        assert held_badges(badge_app) == []
        return
    assert answer.status_code in (201, 302), answer.get_data(as_text=True)

    [badge] = held_badges(badge_app)
    assert (badge.version, badge.verification, badge.status) == ("3.0", "valid", "accepted")
    assert badge.original_payload == text
    assert badge.assertion_iri == credential["id"]
    assert badge.badge_class.name == "Local Teamwork"
    proof_used = badge.last_report["proof"]
    how = PROOFS[proof][1]
    assert how in (proof_used["type"], proof_used["cryptosuite"])
    page = earner.client.get(f"/badges/{badge.id}").get_data(as_text=True)
    assert "Local Teamwork" in page
    assert "Not revoked" in page

    issuer3.revoke(credential)
    _reverify(badge_app)
    [badge] = held_badges(badge_app)
    assert badge.verification == "revoked", badge.last_report
    assert "Revoked" in earner.client.get(f"/badges/{badge.id}").get_data(as_text=True)


def test_a_push_from_another_site_than_the_did_web_issuers_is_refused(
    badge_app: Flask, earner: Accounts, issuer3: CredentialIssuer
) -> None:
    _credential, text = _issued(issuer3, "eddsa-did:web", "bitstring")
    token = _push_grant(earner, "https://elsewhere.example/backpack-connected")
    answer = badge_app.test_client().post(
        "/api/issue", json={"badge": text}, headers=_bearer(token)
    )
    assert answer.status_code == 403
    detail = answer.get_json()["detail"]
    assert "issuer DID document" in detail
    assert "https://elsewhere.example" in detail
    assert held_badges(badge_app) == []


@pytest.fixture
def platform_client(badge_app: Flask, earner: Accounts, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    connected, _token = connect(badge_app, earner.client)
    return connected.client


@pytest.mark.parametrize(
    ("proof", "sent_as"),
    [("eddsa-profile", "assertion"), ("jwt-ES256", "signedAssertion"), ("eddsa-did:key", "url")],
)
def test_badge_connect_2_1_refuses_a_credential_and_points_at_the_3_0_api(
    badge_app: Flask, issuer3: CredentialIssuer, platform_client: Any, proof: str, sent_as: str
) -> None:
    credential, text = _issued(issuer3, proof, "bitstring")
    issuer3.server.serve("/credentials/1", text.encode(), content_type="application/vc+ld+json")
    body = {
        "assertion": {"assertion": credential},
        "signedAssertion": {"signedAssertion": text},
        "url": {"assertion": issuer3.url("/credentials/1")},
    }[sent_as]
    answer = platform_client.post("/ims/ob/v2p1/assertions", json=body)
    assert answer.status_code == 400
    status = answer.json()["status"]
    assert status["statusText"] == "INVALID_BADGE"
    assert "Open Badges 3.0 credential" in status["error"]
    assert "/ims/ob/v3p0/credentials" in status["error"]
    assert held_badges(badge_app) == []


def test_badge_connect_2_1_lists_2_0_assertions_only(
    badge_app: Flask, earner: Accounts, issuer3: CredentialIssuer, platform_client: Any
) -> None:
    for proof in ("eddsa-profile", "jwt-RS256"):
        _credential, text = _issued(issuer3, proof, "bitstring")
        assert add_badge(earner.client, "text", text).status_code == 302
    assert len(held_badges(badge_app)) == 2
    listed = platform_client.get("/ims/ob/v2p1/assertions")
    assert listed.json()["assertions"] == []
    assert listed.json()["signedAssertions"] == []
    assert listed.headers["X-Total-Count"] == "0"


def test_an_issuer_page_offers_credentials_through_issuer_js_and_the_earner_accepts(
    badge_app: Flask, earner: Accounts, issuer3: CredentialIssuer
) -> None:
    # Mozilla's issuer API offers URLs or signed text: a hosted credential and a VC-JWT.
    hosted, text = _issued(issuer3, "eddsa-did:key", "bitstring")
    issuer3.server.serve("/credentials/1", text.encode(), content_type="application/vc+ld+json")
    url = issuer3.url("/credentials/1")
    _credential, token = _issued(issuer3, "jwt-EdDSA", "revocation-list")
    preview = earner.client.get("/issuer/assertion", query_string={"assertion": url})
    assert preview.status_code == 200
    assert preview.get_json()["recipient"] == ANN
    assert preview.get_json()["exists"] is False

    page = f"/issuer/frame?{urlencode({'assertion': [url, token]}, doseq=True)}"
    data = {"assertion": [url, token], "decision": "allow", "origin": issuer3.url("/")}
    result = post_form(earner.client, page, data, action="/issuer/frame")
    assert result.status_code == 200
    found = re.search(r'data-result="([^"]*)"', result.get_data(as_text=True))
    assert found is not None
    outcome = json.loads(html.unescape(found.group(1)))
    assert outcome == {"type": "OpenBadges.issue", "errors": [], "successes": [url, token]}
    rows = held_badges(badge_app)
    assert [(b.version, b.verification) for b in rows] == [("3.0", "valid")] * 2
    assert {b.assertion_iri for b in rows} == {hosted["id"], _credential["id"]}


@pytest.mark.parametrize("status", ["bitstring", "revocation-list"])
def test_a_credential_whose_status_list_is_down_is_kept_and_says_so_until_it_answers(
    badge_app: Flask, earner: Accounts, issuer3: CredentialIssuer, status: Status
) -> None:
    credential, text = _issued(issuer3, "eddsa-profile", status)
    path = "/status/1" if status == "bitstring" else "/revocations"
    issuer3.server.serve(path, b"down for maintenance", status=503, content_type="text/plain")
    assert add_badge(earner.client, "text", text).status_code == 302
    [badge] = held_badges(badge_app)
    assert badge.verification == "valid", badge.last_report
    codes = [warning["code"] for warning in badge.last_report["warnings"]]
    assert "status_unreachable" in codes
    page = earner.client.get(f"/badges/{badge.id}").get_data(as_text=True)
    assert "Status not checked" in page
    assert "could not be fetched at the last check" in page
    assert "Not revoked" not in page

    issuer3.revoke(credential)  # published again: the list answers, and says revoked
    _reverify(badge_app)
    [badge] = held_badges(badge_app)
    assert badge.verification == "revoked"
