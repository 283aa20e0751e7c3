"""An earner publishes a collection in Chromium; a logged-out visitor sees it, embedded too;
the earner reorders it with the keyboard, unpublishes it, and the link dies.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.live_server import ROOT, LiveServer
from tests.support.http_server import LocalHTTPServer
from tests.support.issuer import TestIssuer

pytestmark = pytest.mark.browser
PASSWORD = "browser test passphrase"
# Adding a badge fetches it from the issuer; on a busy CI machine that can take a while.
SLOW = 20_000
# The live server's PUBLIC_PAGE_FRESHNESS: how stale another process's cached page may be.
FRESHNESS = 1.0


@pytest.fixture
def issuer() -> Iterator[TestIssuer]:
    with LocalHTTPServer() as server:
        yield TestIssuer(server, name="Browser Test Academy")


@pytest.fixture
def badge_server(tmp_path: Path) -> Iterator[LiveServer]:
    # The issuer runs on this machine's loopback, so the server may fetch private addresses.
    with LiveServer(
        tmp_path, FETCH_ALLOW_PRIVATE="1", PUBLIC_PAGE_FRESHNESS=str(FRESHNESS)
    ) as server:
        subprocess.run(
            [Path(sys.executable).parent / "flask", "--app", "wsgi", "users", "create",
             "ann@example.org", "--password", PASSWORD, "--name", "Ann"],
            cwd=ROOT, env=server.env, check=True, capture_output=True,
        )  # fmt: skip
        yield server


def _status_within(page: Page, url: str, wanted: int, *, seconds: float) -> int:
    """The status of `url` once it is `wanted`, or the last one seen when time runs out."""
    deadline = time.monotonic() + seconds
    while True:
        response = page.goto(url)
        assert response is not None
        if response.status == wanted or time.monotonic() > deadline:
            return response.status
        time.sleep(0.1)


def _log_in_and_add(page: Page, server: LiveServer, urls: list[str]) -> None:
    page.goto(f"{server.url}/login")
    page.get_by_label("Email address").fill("ann@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    for url in urls:
        page.goto(f"{server.url}/badges/add")
        page.get_by_label("The URL where the issuer hosts the badge").fill(url)
        page.get_by_role("button", name="Add from URL").click()
        expect(page.get_by_text("is now in your backpack")).to_be_visible(timeout=SLOW)


def test_publish_share_embed_reorder_and_unpublish(
    browser: Browser, badge_server: LiveServer, issuer: TestIssuer, artifacts: Path
) -> None:
    urls = [issuer.award("ann@example.org", slug=s)["id"] for s in ("robotics", "welding")]
    # award() hosts each class under the default name; give the second its own.
    issuer.badge_class("welding", name="Welding Basics")
    owner = browser.new_page()
    _log_in_and_add(owner, badge_server, urls)

    owner.get_by_role("link", name="Collections").click()
    owner.get_by_label("Name").fill("Workshop skills")
    owner.get_by_label("Description (optional)").fill("What I learnt in the workshop.")
    owner.get_by_role("button", name="Create collection").click()
    expect(owner.get_by_role("heading", name="Workshop skills")).to_be_visible()
    for checkbox in owner.locator(".badge-picker input[type=checkbox]").all():
        checkbox.check()
    owner.get_by_role("button", name="Add to collection").click()
    expect(owner.locator(".collection-item")).to_have_count(2)
    first_before = owner.locator(".collection-item .badge-name").first.inner_text()

    # The script turns on the handles; Arrow Down moves the first badge below the second.
    handle = owner.locator(".collection-item .drag-handle").first
    expect(handle).to_be_visible()
    handle.focus()
    handle.press("ArrowDown")
    expect(owner.locator("#order-status")).to_contain_text("moved to position 2 of 2", timeout=SLOW)
    owner.reload()
    expect(owner.locator(".collection-item .badge-name").last).to_have_text(first_before)

    owner.get_by_role("button", name="Publish").click()
    expect(owner.get_by_text("The collection is published")).to_be_visible()
    link = owner.get_by_label("Public link").input_value()
    owner.screenshot(path=str(artifacts / "collection-edit.png"), full_page=True)
    assert link.startswith(f"{badge_server.url}/public/collections/")

    visitor_context = browser.new_context()
    visitor = visitor_context.new_page()
    response = visitor.goto(link)
    assert response is not None
    assert response.status == 200
    expect(visitor.get_by_role("heading", name="Workshop skills")).to_be_visible()
    expect(visitor.locator(".public-badge")).to_have_count(2)
    expect(visitor.locator(".public-status .tag").first).to_have_text("Verified")
    expect(visitor.get_by_role("heading", name="Robotics Level 1")).to_be_visible()
    expect(visitor.get_by_role("heading", name="Welding Basics")).to_be_visible()
    expect(visitor.get_by_role("button", name="Verify now").first).to_be_visible()
    first_image = visitor.locator(".public-badge img").first
    expect(first_image).to_have_js_property("complete", True)  # loaded, not only visible
    assert first_image.evaluate("img => img.naturalWidth") > 0
    assert "ann@example.org" not in visitor.content()
    visitor.screenshot(path=str(artifacts / "public-collection.png"), full_page=True)
    # Checked a moment ago, when it was added: the button says when it can be checked again.
    visitor.get_by_role("button", name="Verify now").first.click()
    expect(visitor.get_by_text("can be checked again from")).to_be_visible()
    visitor.screenshot(path=str(artifacts / "public-verify-later.png"), full_page=True)
    visitor.get_by_role("link", name="Back to the badge and its status").click()
    expect(visitor.get_by_role("heading", name="Workshop skills")).to_be_visible()

    # Another site frames the widget (the issuer's server stands in for it).
    issuer.server.serve(
        "/blog.html",
        f'<!doctype html><title>Blog</title><iframe src="{link}/embed" width="560" '
        f'height="480"></iframe>'.encode(),
        content_type="text/html",
    )
    visitor.goto(issuer.server.url("/blog.html"))
    frame = visitor.frame_locator("iframe")
    expect(frame.get_by_text("Workshop skills")).to_be_visible(timeout=SLOW)
    expect(frame.locator(".embed-badge")).to_have_count(2)
    visitor.screenshot(path=str(artifacts / "embedded-collection.png"))

    owner.get_by_role("button", name="Unpublish").click()
    expect(owner.get_by_text("The collection is private again")).to_be_visible()
    # gunicorn runs two processes. The one that unpublished forgets the page at once; the
    # other may serve its cached copy until it checks the version again, which it does
    # within PUBLIC_PAGE_FRESHNESS (1 s), or twice that while another thread is checking.
    assert _status_within(visitor, link, 410, seconds=2 * FRESHNESS + 1) == 410
    expect(visitor.get_by_text("withdrew this page")).to_be_visible()
    assert "Workshop skills" not in visitor.content()
    visitor_context.close()
    owner.close()
