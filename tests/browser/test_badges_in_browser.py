"""An earner uploads a baked badge in Chromium and sees it, verified, on its page."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, expect

from tests.live_server import ROOT, LiveServer
from tests.support.http_server import LocalHTTPServer
from tests.support.issuer import TestIssuer

pytestmark = pytest.mark.browser
PASSWORD = "browser test passphrase"


@pytest.fixture
def issuer() -> Iterator[TestIssuer]:
    with LocalHTTPServer() as server:
        yield TestIssuer(server, name="Browser Test Academy")


@pytest.fixture
def badge_server(tmp_path: Path) -> Iterator[LiveServer]:
    # The issuer runs on this machine's loopback, so the server may fetch private addresses.
    with LiveServer(tmp_path, FETCH_ALLOW_PRIVATE="1") as server:
        subprocess.run(
            [
                Path(sys.executable).parent / "flask",
                "--app",
                "wsgi",
                "users",
                "create",
                "ann@example.org",
                "--password",
                PASSWORD,
                "--name",
                "Ann",
            ],
            cwd=ROOT,
            env=server.env,
            check=True,
            capture_output=True,
        )
        yield server


def test_upload_a_baked_badge_and_see_it_on_its_page(
    browser: Browser, badge_server: LiveServer, issuer: TestIssuer, tmp_path: Path, artifacts: Path
) -> None:
    baked = tmp_path / "robotics.png"
    baked.write_bytes(issuer.baked_png(issuer.award("ann@example.org")))
    page = browser.new_page()
    page.goto(f"{badge_server.url}/login")
    page.get_by_label("Email address").fill("ann@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.get_by_role("link", name="Add a badge").first.click()
    page.get_by_label("A baked badge image (PNG or SVG)").set_input_files(str(baked))
    page.get_by_role("button", name="Add from image").click()

    expect(page.get_by_role("heading", name="Robotics Level 1")).to_be_visible()
    expect(page.get_by_text("is now in your backpack")).to_be_visible()
    expect(page.get_by_role("link", name="Browser Test Academy")).to_be_visible()
    expect(page.locator(".verification .tag")).to_have_text("Verified")
    image = page.get_by_alt_text("The badge image of Robotics Level 1")
    expect(image).to_be_visible()
    # Visible comes before loaded on a busy machine: wait for the image itself.
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") > 0
    page.screenshot(path=str(artifacts / "badge-detail.png"), full_page=True)

    page.get_by_role("link", name="My badges", exact=True).click()
    expect(page.locator(".badge-card")).to_have_count(1)
    page.close()


def test_deleting_a_badge_asks_first_and_keeps_it_when_the_earner_says_no(
    browser: Browser, badge_server: LiveServer, issuer: TestIssuer, tmp_path: Path
) -> None:
    # Delete sits beside Reject and cannot be undone: one slip used to lose the badge.
    baked = tmp_path / "robotics.png"
    baked.write_bytes(issuer.baked_png(issuer.award("ann@example.org")))
    page = browser.new_page()
    page.goto(f"{badge_server.url}/login")
    page.get_by_label("Email address").fill("ann@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Add a badge").first.click()
    page.get_by_label("A baked badge image (PNG or SVG)").set_input_files(str(baked))
    page.get_by_role("button", name="Add from image").click()
    expect(page.get_by_role("heading", name="Robotics Level 1")).to_be_visible()
    badge_url = page.url

    questions: list[str] = []

    def say_no(dialog: Dialog) -> None:
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", say_no)
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("heading", name="Robotics Level 1")).to_be_visible()
    assert questions == ["Delete “Robotics Level 1” from your backpack? This cannot be undone."]
    assert page.url == badge_url

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_text("“Robotics Level 1” is deleted.")).to_be_visible()
    expect(page.locator(".badge-card")).to_have_count(0)
    page.close()
