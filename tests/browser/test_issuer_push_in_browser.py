"""Issuer platforms in Chromium: Badge Connect consent, and a pre-2019 page using issuer.js."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx2
import pytest
import sqlalchemy as sa
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from playwright.sync_api import Browser, Page, Route, expect

from tests.live_server import ROOT, LiveServer
from tests.support.http_server import LocalHTTPServer
from tests.support.issuer import TestIssuer
from tests.support.oauth import ALL_SCOPES, REDIRECT_URI, query, registration

pytestmark = pytest.mark.browser
PASSWORD = "browser test passphrase"


@pytest.fixture
def issuer() -> Iterator[TestIssuer]:
    with LocalHTTPServer() as server:
        yield TestIssuer(server, name="Old Style Academy")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    with LiveServer(tmp_path, FETCH_ALLOW_PRIVATE="1") as live:
        subprocess.run(
            [
                *(Path(sys.executable).parent / "flask", "--app", "wsgi", "users", "create"),
                *("ann@example.org", "--password", PASSWORD, "--name", "Ann"),
            ],
            cwd=ROOT,
            env=live.env,
            check=True,
            capture_output=True,
        )
        yield live


def log_in(page: Page) -> None:
    page.get_by_label("Email address").fill("ann@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_badge_connect_consent_sends_the_browser_to_the_client(
    browser: Browser, server: LiveServer, artifacts: Path
) -> None:
    info = httpx2.post(f"{server.url}/oauth/register", json=registration()).json()
    verifier = generate_token(48)
    authorize = f"{server.url}/oauth/authorize?" + urlencode(
        {
            "response_type": "code",
            "client_id": info["client_id"],
            "redirect_uri": REDIRECT_URI,
            "scope": ALL_SCOPES,
            "state": "xyz",
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256",
        }
    )
    page = browser.new_page()
    arrived: list[str] = []

    def client_site(route: Route) -> None:
        # The consent page also shows the client's logo from its site.
        if route.request.url.startswith(REDIRECT_URI):
            arrived.append(route.request.url)
        route.fulfill(status=200, body="connected", content_type="text/plain")

    page.route("https://issuer.example/**", client_site)
    page.goto(authorize)
    log_in(page)
    expect(page.get_by_role("heading", name="Allow Example Issuer Platform")).to_be_visible()
    page.screenshot(path=str(artifacts / "oauth-consent.png"), full_page=True)
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(REDIRECT_URI + "?*")

    assert query(arrived[0])["state"] == "xyz"
    token = httpx2.post(
        f"{server.url}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": query(arrived[0])["code"],
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        auth=(info["client_id"], info["client_secret"]),
    )
    assert token.status_code == 200
    assert "refresh_token" in token.json()


def issuer_page(issuer: TestIssuer, backpack: str, popup: str, frameless: str) -> str:
    """An issuer's page written against the 2013 issuer API, served by the issuer."""
    html = f"""<!doctype html><html><body>
<script src="{backpack}/issuer.js"></script>
<button id="connect">Connect</button> <button id="issue">Issue</button>
<button id="frameless">Frameless</button> <pre id="result"></pre>
<script>
document.getElementById("connect").onclick = function () {{
  OpenBadges.connect({{callback: location.origin + "/connected", scope: ["issue"]}});
}};
document.getElementById("issue").onclick = function () {{
  OpenBadges.issue([{json.dumps(popup)}], function (errors, successes) {{
    document.getElementById("result").textContent =
      JSON.stringify({{errors: errors, successes: successes}});
  }});
}};
document.getElementById("frameless").onclick = function () {{
  OpenBadges.issue_no_modal({json.dumps(frameless)});
}};
</script></body></html>"""
    issuer.server.serve("/page.html", html.encode(), content_type="text/html")
    issuer.server.serve("/connected", b"<p>Connected</p>", content_type="text/html")
    return issuer.server.url("/page.html")


def test_old_issuer_page_connects_and_pushes(
    browser: Browser, server: LiveServer, issuer: TestIssuer, artifacts: Path
) -> None:
    popup_badge = issuer.award("ann@example.org")["id"]
    frameless_badge = issuer.award("ann@example.org", slug="welding")["id"]
    url = issuer_page(issuer, server.url, popup_badge, frameless_badge)
    page = browser.new_page()
    page.goto(url)

    page.click("#connect")
    log_in(page)
    expect(page.get_by_role("heading", name="send badges to your backpack")).to_be_visible()
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(issuer.server.url("/connected") + "?*")
    tokens = query(page.url)
    assert tokens["expires"] == "3600"

    pushed = httpx2.post(
        f"{tokens['api_root']}/identity".replace("/identity", "/issue"),
        json={"badge": issuer.award("ann@example.org", slug="sewing")["id"]},
        headers={"Authorization": "Bearer " + _b64(tokens["access_token"])},
    )
    assert pushed.status_code == 201

    page.goto(url)
    with page.expect_popup() as opened:
        page.click("#issue")
    popup = opened.value
    popup.get_by_role("button", name="Add to my backpack").click()
    expect(page.locator("#result")).to_have_text(
        json.dumps({"errors": [], "successes": [popup_badge]}, separators=(",", ":"))
    )

    page.click("#frameless")
    page.get_by_role("button", name="Add to my backpack").click()
    expect(page.get_by_role("heading", name="1 badge added")).to_be_visible()
    page.screenshot(path=str(artifacts / "issuer-api-frameless.png"), full_page=True)
    engine = sa.create_engine(server.env["BACKPACK_SQLALCHEMY_DATABASE_URI"])
    with engine.connect() as connection:
        sources = connection.execute(sa.text("SELECT source FROM badge")).scalars().all()
    engine.dispose()
    assert sources == ["push", "push", "push"]


def _b64(token: str) -> str:
    import base64

    return base64.b64encode(token.encode()).decode()
