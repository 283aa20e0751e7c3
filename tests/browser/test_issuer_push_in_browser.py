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


def mozilla_backpack_connect_page(issuer: TestIssuer, backpack: str, badge: str) -> str:
    """Mozilla's fakeissuer/static/backpack-connect.html, pointed at this backpack and a badge
    of the test issuer, served by the issuer: it connects with a RELATIVE callback."""
    html = f"""<!DOCTYPE html>
<meta charset="utf-8">
<title>Backpack Connect Test</title>
<style>
#content:not(.connected) .if-connected {{ display: none; }}
#content.connected .if-not-connected {{ display: none; }}
</style>
<div id="content">
  <div class="if-connected">
    <h2>You are connected to the backpack.</h2>
    <button onclick="issue()">Issue Badge</button>
  </div>
  <div class="if-not-connected">
    <h2>You are not connected to the backpack.</h2>
    <button onclick="connect()">Connect to Backpack</button>
  </div>
</div>
<script>
function getParameterByName(name) {{
  var results = new RegExp("[\\?&]" + name + "=([^&#]*)").exec(window.location.search);
  return results == null ? "" : decodeURIComponent(results[1].replace(/\\+/g, " "));
}}

function issue() {{
  var url = {json.dumps(badge)};
  var req = new XMLHttpRequest();
  req.open('POST', api_root + '/issue');
  req.setRequestHeader('authorization', 'Bearer ' + btoa(access_token));
  req.setRequestHeader('content-type', 'application/json');
  req.onload = function() {{
    alert("status: " + req.status + "\\ncontent: " + req.responseText);
  }};
  req.send(JSON.stringify({{badge: url}}));
}}

function connect() {{
  OpenBadges.connect({{
    callback: window.location.pathname,
    scope: ["issue"]
  }});
}}

var access_token = getParameterByName('access_token');
var refresh_token = getParameterByName('refresh_token');
var api_root = getParameterByName('api_root');

document.getElementById("content").classList.toggle("connected", !!api_root);
</script>
<script src="{backpack}/issuer.js"></script>
"""
    issuer.server.serve("/backpack-connect.html", html.encode(), content_type="text/html")
    return issuer.server.url("/backpack-connect.html")


def test_mozillas_backpack_connect_page_connects_with_its_relative_callback_and_pushes(
    browser: Browser, server: LiveServer, issuer: TestIssuer
) -> None:
    badge = issuer.award("ann@example.org")["id"]
    url = mozilla_backpack_connect_page(issuer, server.url, badge)
    page = browser.new_page()
    page.goto(url)

    page.get_by_role("button", name="Connect to Backpack").click()
    log_in(page)
    expect(page.get_by_role("heading", name="send badges to your backpack")).to_be_visible()
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(url + "?*")
    expect(page.get_by_role("heading", name="You are connected to the backpack.")).to_be_visible()
    tokens = query(page.url)
    assert tokens["api_root"] == f"{server.url}/api"

    with page.expect_event("dialog") as shown:
        page.get_by_role("button", name="Issue Badge").click()
    alert = shown.value
    message = alert.message
    alert.accept()
    assert message.startswith("status: 201\n"), message
    assert json.loads(message.partition("content: ")[2])["exists"] is False
    engine = sa.create_engine(server.env["BACKPACK_SQLALCHEMY_DATABASE_URI"])
    with engine.connect() as connection:
        origins = connection.execute(sa.text("SELECT origin FROM backpack_connect_grant"))
        assert origins.scalars().all() == [issuer.server.url("/").rstrip("/")]
        sources = connection.execute(sa.text("SELECT source FROM badge")).scalars().all()
    engine.dispose()
    assert sources == ["push"]


def _b64(token: str) -> str:
    import base64

    return base64.b64encode(token.encode()).decode()
