"""A wallet built on Authlib's OAuth 2 client uses the 3.0 API end to end: it discovers the
backpack, registers, has the earner consent, upserts credentials made by the local 3.0
issuer, reads them back byte for byte, pages through them and refreshes its token.

The consent is given through Flask's test client as the logged-in earner, so that the
credentials can come from the in-process TLS issuer; tests/browser/test_ob3_wallet_in_browser.py
does the same against the real server with the consent given in Chromium. Every other
request goes through Authlib's httpx client, over WSGI, to the app.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from flask import Flask

from tests.conftest import Accounts
from tests.openbadges.credential_issuer import ISSUER_HOST, CredentialIssuer
from tests.support.http_server import LocalHTTPServer
from tests.support.oauth import BASE, anonymous, consent, http
from tests.support.ob3_client import ALL_OB3_SCOPES, ob3_registration

ANN = "ann@example.org"


@pytest.fixture(autouse=True)
def _http_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")


@pytest.fixture
def issuer3(badge_app: Flask) -> Iterator[CredentialIssuer]:
    with LocalHTTPServer(tls_hostnames=[ISSUER_HOST]) as server:
        issuer = CredentialIssuer(server)
        fetcher = issuer.use_in(badge_app)
        yield issuer
        fetcher.close()


def _next_link(header: str) -> str | None:
    for part in header.split(","):
        target, _, rel = part.partition(";")
        if rel.strip() == 'rel="next"':
            return target.strip(" <>")
    return None


def test_a_wallet_registers_consents_upserts_reads_and_pages(
    badge_app: Flask, earner: Accounts, issuer3: CredentialIssuer
) -> None:
    # Discovery, then registration at the URL the document names.
    with anonymous(badge_app) as plain:
        document = plain.get("/ims/ob/v3p0/discovery").json()
        scheme = document["components"]["securitySchemes"]["OAuth2ACG"]
        flow = scheme["flows"]["authorizationCode"]
        registered = plain.post(scheme["x-imssf-registrationUrl"], json=ob3_registration())
    assert registered.status_code == 201
    info = registered.json()
    api = document["servers"][0]["url"]

    wallet: OAuth2Client = http(
        badge_app,
        client_id=info["client_id"],
        client_secret=info["client_secret"],
        redirect_uri=info["redirect_uris"][0],
        scope=ALL_OB3_SCOPES,
        token_endpoint_auth_method="client_secret_basic",
    )
    verifier = generate_token(48)
    url, state = wallet.create_authorization_url(
        flow["authorizationUrl"],
        code_challenge=create_s256_code_challenge(verifier),
        code_challenge_method="S256",
    )
    assert url.startswith(BASE)
    location = consent(earner.client, url)
    token = wallet.fetch_token(
        flow["tokenUrl"], authorization_response=location, code_verifier=verifier, state=state
    )
    assert set(token["scope"].split()) == set(ALL_OB3_SCOPES.split())
    assert token["refresh_token"]

    # Upsert: three JSON credentials (as the issuer formatted them) and one VC-JWT.
    sent_json = [
        json.dumps(issuer3.sign(issuer3.credential(recipient=ANN, name=f"Skill {n}")), indent=n)
        for n in range(3)
    ]
    sent_jwt = issuer3.jwt(issuer3.credential(recipient=ANN, name="Signed skill"), alg="ES256")
    for text in sent_json:
        answer = wallet.post(
            f"{api}/credentials", content=text, headers={"Content-Type": "application/json"}
        )
        assert answer.status_code == 201, answer.text
        assert answer.text == text
    answer = wallet.post(
        f"{api}/credentials", content=sent_jwt, headers={"Content-Type": "text/plain"}
    )
    assert answer.status_code == 201, answer.text
    replayed = wallet.post(
        f"{api}/credentials", content=sent_json[0], headers={"Content-Type": "application/json"}
    )
    assert replayed.status_code == 200

    # Read back, two at a time, following Link: each exactly as it was sent.
    page = wallet.get(f"{api}/credentials", params={"limit": 2})
    assert page.headers["X-Total-Count"] == "4"
    received_json: list[str] = []
    received_jwt: list[str] = []
    pages = 0
    while True:
        pages += 1
        body = page.json()
        received_jwt += body["compactJwsString"]
        for text in sent_json:
            if json.loads(text)["id"] in {c["id"] for c in body["credential"]}:
                assert text in page.text  # byte-equal inside the page
                received_json.append(text)
        following = _next_link(page.headers["Link"])
        if following is None:
            break
        page = wallet.get(following)
    assert pages == 2
    assert sorted(received_json) == sorted(sent_json)
    assert received_jwt == [sent_jwt]

    # The profile, and a refreshed token that still works.
    assert wallet.get(f"{api}/profile").json()["email"] == ANN
    wallet.refresh_token(flow["refreshUrl"])
    assert wallet.get(f"{api}/credentials").status_code == 200
