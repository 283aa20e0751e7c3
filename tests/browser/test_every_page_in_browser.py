"""Every main page, logged out and logged in, on a desktop and on a phone: no sideways
scrolling on the phone, no serious or critical axe-core finding, and a screenshot of each."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from PIL import Image as PILImage
from playwright.sync_api import Browser, Page, expect

from backpack import create_app
from backpack.extensions import db
from backpack.models import Badge, Collection, Image, User
from backpack.services import (
    access_tokens,
    accounts,
    backpack_connect,
    collections,
    emails,
    link_tokens,
    sharing,
)
from tests import services
from tests.conftest import make_test_config
from tests.live_server import LiveServer
from tests.support.badge_rows import make_badge, make_credential_badge
from tests.support.credential_views import hash_identifiers

pytestmark = pytest.mark.browser
ANN = "ann@example.org"
PASSWORD = "browser test passphrase"
WIDTHS = {"desktop": 1280, "phone": 360}
# axe-core's impact levels that fail the test; "minor" and "moderate" are only reported.
FAILING_IMPACTS = ("serious", "critical")
RUN_AXE = """() => axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations.map(
  v => ({id: v.id, impact: v.impact, help: v.help,
         nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))})))"""


def _fill_backpack(server: LiveServer, tmp_path: Path) -> dict[str, str]:
    """Ann's account with badges in every state, two addresses, two collections, a shared
    badge, a token and a connected app, written through the services; returns the paths of
    the pages that need ids."""
    app: Flask = create_app(
        make_test_config(
            server.env["BACKPACK_SQLALCHEMY_DATABASE_URI"],
            tmp_path,
            # The server's key, so that the verification link made here works there.
            SECRET_KEY=server.env["BACKPACK_SECRET_KEY"],
        )
    )
    with app.app_context():
        ann = accounts.create_account(ANN, PASSWORD, name="Ann Example", verified=True)
        work = emails.add_email(ann, "ann.at.work@example.org")
        verify_link = link_tokens.make_token(
            link_tokens.EMAIL_VERIFICATION, {"email": work.id, "nonce": work.verification_nonce}
        )
        access_tokens.create_token(ann, "Portfolio script", ["badges:read"])
        backpack_connect.grant_access(ann, "https://moodle.school.example/badges/backpack")
        db.session.commit()
        ann_id = ann.id
    kept = make_badge(app, ann_id, name="Robotics Level 1: Line-following Robots")
    wide = make_badge(app, ann_id, name="First Aid at Work", verification="expired")
    make_badge(app, ann_id, name="Old Mozilla Badge", verification="unchecked")
    make_badge(app, ann_id, name="Chemistry", status="pending", recipient="ann.at.work@example.org")
    credential = make_credential_badge(app, ann_id, edit=hash_identifiers)  # Open Badges 3.0
    suspended = make_credential_badge(
        app,
        ann_id,
        verification="invalid",
        report={
            "valid": False,
            "version": "3.0",
            "errors": [{"code": "suspended", "message": "The issuer has suspended this badge."}],
            "warnings": [],
            "credential_status": "suspended",
        },
    )
    with app.app_context():
        user = db.session.get(User, ann_id)
        assert user is not None
        shown = collections.create_collection(user, "Job applications", "For the robotics job.")
        collections.add_badges(shown, [kept, credential])
        sharing.publish_collection(shown)
        collections.create_collection(user, "Drafts")
        badge = db.session.get(Badge, kept)
        assert badge is not None
        share = sharing.share_badge(badge, None)
        _give_wide_picture(wide)
        credential_badge = db.session.get(Badge, credential)
        assert credential_badge is not None
        credential_share = sharing.share_badge(credential_badge, None)
        db.session.commit()
        paths = {
            "verify address": f"/account/verify/{verify_link}",
            "badge": f"/badges/{kept}",
            "wide badge": f"/badges/{wide}",
            "badge sharing": f"/shared-badges/{kept}",
            "collection editor": f"/collections/{shown.id}",
            "public collection": f"/public/collections/{shown.share_token}",
            "public badge": f"/public/badges/{share.share_token}",
            "3.0 badge": f"/badges/{credential}",
            "suspended 3.0 badge": f"/badges/{suspended}",
            "3.0 badge sharing": f"/shared-badges/{credential}",
            "public 3.0 badge": f"/public/badges/{credential_share.share_token}",
        }
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Collection)) == 2
        db.session.remove()
        db.engine.dispose()
    return paths


def _give_wide_picture(badge_id: int) -> None:
    """A 600 by 300 picture for the badge, to see it shrunk with its shape kept."""
    buffer = io.BytesIO()
    PILImage.new("RGB", (600, 300), (200, 60, 40)).save(buffer, format="PNG")
    data = buffer.getvalue()
    picture = Image(
        sha256=hashlib.sha256(data).hexdigest(),
        mime_type="image/png",
        width=600,
        height=300,
        byte_size=len(data),
        data=data,
    )
    badge = db.session.get(Badge, badge_id)
    assert badge is not None
    badge.image = picture


@pytest.fixture
def filled_server(tmp_path: Path) -> Iterator[tuple[LiveServer, dict[str, str]]]:
    with LiveServer(tmp_path) as server:
        yield server, _fill_backpack(server, tmp_path)


def _check(page: Page, axe_script: Path, name: str, width: int, artifacts: Path) -> list[str]:
    """What is wrong with the page now shown: sideways scrolling on a phone, and axe findings."""
    problems: list[str] = []
    scroll, client = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    if width < 600 and scroll > client:
        problems.append(f"{name} at {width}px scrolls sideways ({scroll}px wide in {client}px)")
    page.add_script_tag(path=str(axe_script))
    violations: list[dict[str, Any]] = page.evaluate(RUN_AXE)
    for violation in violations:
        if violation["impact"] in FAILING_IMPACTS:
            problems.append(
                f"{name} at {width}px: {violation['impact']} {violation['id']} "
                f"({violation['help']}) at {violation['nodes']}"
            )
    shot = artifacts / f"page-{name.replace(' ', '-')}-{width}.png"
    page.screenshot(path=str(shot), full_page=True)
    return problems


def _check_navigation(page: Page, width: int, artifacts: Path) -> None:
    """The header is one line; on a phone its links open from a Menu button."""
    header = page.locator(".site-header").bounding_box()
    assert header is not None
    assert header["height"] < 80, f"the header wraps at {width}px ({header['height']}px high)"
    settings = page.get_by_role("link", name="Settings", exact=True)
    menu = page.get_by_text("Menu", exact=True)
    if width >= 1000:
        expect(settings).to_be_visible()
        expect(menu).to_be_hidden()
        return
    expect(settings).to_be_hidden()
    menu.click()
    expect(settings).to_be_visible()
    page.screenshot(path=str(artifacts / f"page-menu-open-{width}.png"))
    page.keyboard.press("Escape")
    expect(settings).to_be_hidden()


def test_every_page_fits_a_phone_and_passes_axe(
    browser: Browser,
    filled_server: tuple[LiveServer, dict[str, str]],
    artifacts: Path,
) -> None:
    axe_script = services.require_axe()
    server, paths = filled_server
    logged_out = {
        "welcome": "/",
        "log in": "/login",
        "sign up": "/signup",
        "verify address": paths["verify address"],
        "public collection": paths["public collection"],
        "public badge": paths["public badge"],
        "public 3.0 badge": paths["public 3.0 badge"],
    }
    logged_in = {
        "dashboard": "/",
        "badges": "/badges/",
        "badge": paths["badge"],
        "badge sharing": paths["badge sharing"],
        "3.0 badge": paths["3.0 badge"],
        "suspended 3.0 badge": paths["suspended 3.0 badge"],
        "3.0 badge sharing": paths["3.0 badge sharing"],
        "add badge": "/badges/add",
        "collections": "/collections/",
        "collection editor": paths["collection editor"],
        "settings": "/account/",
        "security and devices": "/account/security",
        "apps and tokens": "/account/apps",
        "import and export": "/account/import-export",
        "delete account": "/account/delete",
        "import": "/account/import/",
        "connected apps": "/account/connected-apps/",
        "tokens": "/account/tokens/",
    }
    problems: list[str] = []
    for width in WIDTHS.values():
        # The pages' Content-Security-Policy forbids inline scripts, axe-core's included.
        page = browser.new_page(viewport={"width": width, "height": 800}, bypass_csp=True)
        for name, path in logged_out.items():
            response = page.goto(server.url + path)
            assert response is not None, name
            assert response.status == 200, (name, path)
            problems += _check(page, axe_script, name, width, artifacts)
        page.goto(server.url + "/login")
        page.get_by_label("Email address").fill(ANN)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(server.url + "/")
        for name, path in logged_in.items():
            response = page.goto(server.url + path)
            assert response is not None, name
            assert response.status == 200, (name, path)
            problems += _check(page, axe_script, name, width, artifacts)
            if name == "settings":  # no column is hidden: each address's state is in sight
                expect(page.get_by_text("Primary", exact=True)).to_be_visible()
                expect(page.get_by_text("Not verified", exact=True)).to_be_visible()
                expect(page.locator('.nav [aria-current="page"]')).to_have_text(["Settings"] * 2)
            if name == "suspended 3.0 badge":  # its own word, not "Revoked"
                expect(page.get_by_text("Suspended", exact=True).first).to_be_visible()
        _check_navigation(page, width, artifacts)
        page.close()
    assert not problems, "\n".join(problems)

    # The phone menu is a plain disclosure: it opens with JavaScript turned off too.
    without_js = browser.new_context(
        java_script_enabled=False, viewport={"width": WIDTHS["phone"], "height": 800}
    )
    page = without_js.new_page()
    page.goto(server.url + "/")
    menu_links = page.locator(".nav-menu").get_by_role("link")
    expect(menu_links).to_have_count(0)
    page.get_by_text("Menu", exact=True).click()
    expect(menu_links).to_have_text(["Log in", "Sign up"])
    without_js.close()


def test_copy_link_puts_the_public_link_on_the_clipboard(
    browser: Browser, filled_server: tuple[LiveServer, dict[str, str]]
) -> None:
    server, paths = filled_server
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(server.url + "/login")
    page.get_by_label("Email address").fill(ANN)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(server.url + "/")
    page.goto(server.url + paths["badge sharing"])
    public = page.locator("#share-link").input_value()
    assert public.endswith(paths["public badge"])
    page.get_by_role("button", name="Copy link").click()
    expect(page.get_by_role("status").filter(has_text="Link copied.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == public
    # The QR code is drawn: an image of its full size.
    qr = page.get_by_role("img", name="QR code of the public link")
    expect(qr).to_be_visible()
    assert page.evaluate("(img) => img.naturalWidth > 0", qr.element_handle())
    context.close()


def test_badge_pictures_are_never_blown_up_and_keep_their_shape(
    browser: Browser, filled_server: tuple[LiveServer, dict[str, str]]
) -> None:
    server, paths = filled_server
    for width, box in ((1280, 220), (360, 160)):
        page = browser.new_page(viewport={"width": width, "height": 800})
        page.goto(server.url + "/login")
        page.get_by_label("Email address").fill(ANN)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(server.url + "/")
        sizes = {}
        for name in ("badge", "wide badge"):
            page.goto(server.url + paths[name])
            picture = page.locator(".badge-figure img")
            expect(picture).to_be_visible()
            page.wait_for_function("() => document.querySelector('.badge-figure img').complete")
            box_of = picture.bounding_box()
            assert box_of is not None
            sizes[name] = (round(box_of["width"]), round(box_of["height"]))
        assert sizes["badge"] == (32, 32), "a 32 px picture is shown at its own size"
        assert sizes["wide badge"] == (box, box // 2), "a wide one fits its box, not squashed"
        page.close()
