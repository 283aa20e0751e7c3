"""A 3.0 wallet against the real server: Authlib's OAuth 2 client discovers and registers,
the earner logs in and consents in Chromium (ticking a collection of none: all badges),
and the wallet upserts a credential of the local 3.0 issuer and reads it back byte-equal.

The credential is issued by a did:key with its image inline, so the server (a separate
gunicorn process) verifies it without reaching the in-process test issuer.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from playwright.sync_api import Browser, Route, expect

from tests.live_server import ROOT, LiveServer
from tests.openbadges.credential_issuer import ISSUER_HOST, CredentialIssuer
from tests.support.http_server import LocalHTTPServer
from tests.support.issuer import make_png
from tests.support.oauth import REDIRECT_URI
from tests.support.ob3_client import ALL_OB3_SCOPES, ob3_registration

pytestmark = pytest.mark.browser
PASSWORD = "browser test passphrase"
ANN = "ann@example.org"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    with LiveServer(tmp_path) as live:
        subprocess.run(
            [
                *(Path(sys.executable).parent / "flask", "--app", "wsgi", "users", "create"),
                *(ANN, "--password", PASSWORD, "--name", "Ann"),
            ],
            cwd=ROOT,
            env=live.env,
            check=True,
            capture_output=True,
        )
        yield live


@pytest.fixture
def issuer3() -> Iterator[CredentialIssuer]:
    with LocalHTTPServer(tls_hostnames=[ISSUER_HOST]) as local:
        yield CredentialIssuer(local)


def test_a_wallet_connects_in_chromium_and_round_trips_a_credential(
    browser: Browser,
    server: LiveServer,
    issuer3: CredentialIssuer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # the live server is plain http
    document = httpx2.get(f"{server.url}/ims/ob/v3p0/discovery").json()
    scheme = document["components"]["securitySchemes"]["OAuth2ACG"]
    info = httpx2.post(scheme["x-imssf-registrationUrl"], json=ob3_registration()).json()
    flow = scheme["flows"]["authorizationCode"]
    api = document["servers"][0]["url"]
    wallet = OAuth2Client(
        client_id=info["client_id"],
        client_secret=info["client_secret"],
        redirect_uri=REDIRECT_URI,
        scope=ALL_OB3_SCOPES,
    )
    verifier = generate_token(48)
    url, state = wallet.create_authorization_url(
        flow["authorizationUrl"],
        code_challenge=create_s256_code_challenge(verifier),
        code_challenge_method="S256",
    )

    page = browser.new_page()
    arrived: list[str] = []

    def client_site(route: Route) -> None:
        if route.request.url.startswith(REDIRECT_URI):
            arrived.append(route.request.url)
        route.fulfill(status=200, body="connected", content_type="text/plain")

    page.route("https://issuer.example/**", client_site)
    page.goto(url)
    page.get_by_label("Email address").fill(ANN)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Allow Example Wallet")).to_be_visible()
    expect(page.get_by_text("Open Badges 3.0 credentials you have accepted")).to_be_visible()
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(REDIRECT_URI + "?*")

    wallet.fetch_token(
        flow["tokenUrl"], authorization_response=arrived[0], code_verifier=verifier, state=state
    )
    credential = issuer3.credential(identity="did:key", recipient=ANN)
    inline = "data:image/png;base64," + base64.b64encode(make_png()).decode()
    credential["credentialSubject"]["achievement"]["image"]["id"] = inline
    text = json.dumps(issuer3.sign(credential), indent=2)
    created = wallet.post(
        f"{api}/credentials", content=text, headers={"Content-Type": "application/vc+ld+json"}
    )
    assert created.status_code == 201, created.text
    assert created.text == text
    listed = wallet.get(f"{api}/credentials")
    assert listed.headers["X-Total-Count"] == "1"
    assert text in listed.text
    wallet.close()
