"""Bringing badges from another backpack in Chromium: the form leads to the consent there.

The form's answer is a redirect to the other backpack, and browsers apply the page's
`form-action` to that redirect: a policy of `'self'` alone stopped the browser on the form,
with nothing shown but a console error. The other backpack here is the 3.0 stand-in; its
consent page gives its answer at once, as an earner clicking "Allow" would.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.live_server import ROOT, LiveServer
from tests.support.http_server import LocalHTTPServer, RecordedRequest, Response
from tests.support.ob3_backpack import Ob3Backpack

pytestmark = pytest.mark.browser
ANN = "ann@example.org"
PASSWORD = "browser test passphrase"


@pytest.fixture
def other_backpack() -> Iterator[tuple[LocalHTTPServer, Ob3Backpack]]:
    with LocalHTTPServer() as server:
        provider = Ob3Backpack(server, [])

        def allow_at_once(request: RecordedRequest) -> Response:
            back = provider.consent(server.url(request.path))
            return Response(302, b"", {"Location": back})

        server.route("/oauth/authorize", allow_at_once)
        yield server, provider


def test_the_pull_form_leads_to_the_other_backpacks_consent_and_back(
    browser: Browser, tmp_path: Path, other_backpack: tuple[LocalHTTPServer, Ob3Backpack]
) -> None:
    server, provider = other_backpack
    settings = {
        "FETCH_ALLOW_PRIVATE": "1",
        "TASKS_SQLITE_PATH": str(tmp_path / "tasks.sqlite3"),
        "IMPORTS_DIR": str(tmp_path / "imports"),
    }
    with LiveServer(tmp_path, **settings) as live:
        subprocess.run(
            [Path(sys.executable).parent / "flask", "--app", "wsgi", "users", "create", ANN,
             "--password", PASSWORD],
            cwd=ROOT, env=live.env, check=True, capture_output=True,
        )  # fmt: skip
        page = browser.new_page()
        blocked: list[str] = []
        page.on("console", lambda message: blocked.append(message.text))
        page.goto(f"{live.url}/login")
        page.get_by_label("Email address").fill(ANN)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.goto(f"{live.url}/account/import/backpack/")
        page.get_by_label("The address of your other backpack").fill(server.url("/"))
        page.get_by_role("button", name="Bring my badges").click()

        # Through the consent there and back to this backpack's progress page.
        expect(page).to_have_url(f"{live.url}/account/import/1", timeout=15_000)
        assert provider.codes == {}, "the code was never traded"
        assert not [text for text in blocked if "Content Security Policy" in text]
        page.close()
