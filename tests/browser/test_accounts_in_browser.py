"""An earner signs up, verifies two addresses and logs in with the second, in Chromium."""

from __future__ import annotations

import email
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.live_server import LiveServer

pytestmark = pytest.mark.browser
PASSWORD = "browser test passphrase"


def latest_link(outbox: Path, address: str) -> str:
    """The link in the newest mail to an address, as the earner would click it."""
    for path in sorted(outbox.glob("*.eml"), reverse=True):
        message = email.message_from_bytes(path.read_bytes())
        if message["To"] == address:
            body = message.get_payload(decode=True)
            assert isinstance(body, bytes)
            found = re.search(r"https?://\S+", body.decode())
            assert found
            return found.group(0)
    raise AssertionError(f"no mail to {address} in {outbox}")


def log_in(page: Page, server: LiveServer, address: str) -> None:
    page.goto(f"{server.url}/login")
    page.get_by_label("Email address").fill(address)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_signup_verify_two_addresses_and_log_in_with_the_second(
    browser: Browser, live_server: LiveServer, artifacts: Path
) -> None:
    page = browser.new_page()
    page.goto(live_server.url)
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Your name (optional)").fill("Ann")
    page.get_by_label("Email address").fill("ann@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("We sent a link to ann@example.org")).to_be_visible()

    # Opening the link verifies nothing by itself (mail scanners open links): she confirms.
    page.goto(latest_link(live_server.outbox, "ann@example.org"))
    page.get_by_role("button", name="Verify this address").click()
    expect(page.get_by_text("ann@example.org is verified.")).to_be_visible()

    page.get_by_label("Add an email address").fill("ann@work.example")
    page.get_by_role("button", name="Add address").click()
    expect(page.get_by_text("We sent a verification link to ann@work.example")).to_be_visible()
    page.goto(latest_link(live_server.outbox, "ann@work.example"))
    page.get_by_role("button", name="Verify this address").click()
    expect(page.get_by_text("ann@work.example is verified.")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("ann@work.example"))
    expect(row.get_by_text("Verified")).to_be_visible()
    page.screenshot(path=str(artifacts / "settings-two-addresses.png"), full_page=True)

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You are logged out.")).to_be_visible()
    log_in(page, live_server, "ann@work.example")
    expect(page.get_by_role("heading", name="Hello, Ann")).to_be_visible()
    page.close()


def test_a_wrong_password_in_the_browser_shows_why(
    browser: Browser, live_server: LiveServer
) -> None:
    page = browser.new_page()
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Email address").fill("nobody@example.org")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("do not match a verified address")).to_be_visible()
    page.close()


def test_logging_in_before_verifying_says_why_and_offers_the_link_again(
    browser: Browser, live_server: LiveServer, artifacts: Path
) -> None:
    page = browser.new_page()
    page.goto(f"{live_server.url}/signup")
    page.get_by_label("Email address").fill("cleo@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("button", name="Log out").click()

    log_in(page, live_server, "cleo@example.org")
    expect(page.get_by_text("cleo@example.org is not verified yet")).to_be_visible()
    expect(page.get_by_label("Email address")).to_have_value("cleo@example.org")
    expect(page.get_by_label("Password")).to_have_value("")
    page.screenshot(path=str(artifacts / "login-unverified-address.png"), full_page=True)
    page.get_by_role("button", name="Send the verification link again").click()
    # The sign-up's link went out a moment ago: the pause between two links shows.
    expect(page.get_by_text("A link was sent moments ago")).to_be_visible()
    page.close()
