"""Sharing a public page: copy link, LinkedIn's add-to-profile, e-mail and social sites by
plain links, a QR code a phone can read, and the public badge page naming its issuer first."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
import segno
import sqlalchemy as sa
from defusedxml import ElementTree
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from backpack.extensions import db
from backpack.models import Badge, Issuer
from backpack.web.badge_presenter import embedded_image
from backpack.web.share_links import QR_BORDER, QR_SCALE
from tests.conftest import Accounts
from tests.sharing_helpers import add_to, create_collection, publish, share_badge
from tests.support.badge_rows import make_badge

SVG = "{http://www.w3.org/2000/svg}"
# A 1x1 PNG, as an issuer profile may embed its picture.
PIXEL = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
    "+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def _links(page: str) -> list[str]:
    return [unescape(href) for href in re.findall(r'href="([^"]+)"', page)]


def _query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def _shared(app: Flask, client: FlaskClient, user_id: int, **columns: object) -> tuple[int, str]:
    badge_id = make_badge(app, user_id, name="Robotics Level 1", issuer_name="Robot School")
    if columns:
        with app.app_context():
            db.session.execute(sa.update(Badge).where(Badge.id == badge_id).values(**columns))
            db.session.commit()
    return badge_id, "http://backpack.test" + share_badge(client, badge_id)


def test_add_to_linkedin_fills_in_the_certification(
    app: Flask, accounts: Accounts, ann: int
) -> None:
    issued = datetime(2025, 3, 14, tzinfo=UTC)
    expires = datetime(2028, 9, 1, tzinfo=UTC)
    badge_id, public = _shared(app, accounts.client, ann, issued_on=issued, expires_at=expires)
    for path in (f"/shared-badges/{badge_id}", f"/badges/{badge_id}"):
        page = accounts.client.get(path).get_data(as_text=True)
        assert "Add to LinkedIn profile" in page, path
        [add] = [u for u in _links(page) if u.startswith("https://www.linkedin.com/profile/add")]
        assert _query(add) == {
            "startTask": "CERTIFICATION_NAME",
            "name": "Robotics Level 1",
            "organizationName": "Robot School",
            "issueYear": "2025",
            "issueMonth": "3",
            "expirationYear": "2028",
            "expirationMonth": "9",
            "certUrl": public,
            "certId": public,
        }
        assert "+" not in add, "spaces are %20, as LinkedIn's form shows them"


def test_a_badge_that_never_expires_says_no_expiry_to_linkedin(
    app: Flask, accounts: Accounts, ann: int
) -> None:
    badge_id, _ = _shared(app, accounts.client, ann, expires_at=None)
    page = accounts.client.get(f"/shared-badges/{badge_id}").get_data(as_text=True)
    [add] = [u for u in _links(page) if u.startswith("https://www.linkedin.com/profile/add")]
    assert "expirationYear" not in _query(add)
    assert "issueYear" in _query(add)


def test_email_and_social_sites_are_plain_links_with_no_script_of_theirs(
    app: Flask, accounts: Accounts, ann: int
) -> None:
    badge_id, public = _shared(app, accounts.client, ann)
    page = accounts.client.get(f"/shared-badges/{badge_id}").get_data(as_text=True)
    links = _links(page)
    [mail] = [u for u in links if u.startswith("mailto:")]
    assert _query(mail)["subject"] == "Robotics Level 1"
    assert public in _query(mail)["body"]
    sites = {urlsplit(u).hostname: u for u in links if u.startswith("https://")}
    assert public in _query(sites["www.facebook.com"])["u"]
    assert _query(sites["x.com"])["url"] == public
    assert public in _query(sites["bsky.app"])["text"]
    assert public in _query(sites["wa.me"])["text"]
    [post] = [u for u in links if u.startswith("https://www.linkedin.com/sharing/")]
    assert _query(post) == {"url": public}
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', page)
    assert scripts, "the copy button's own script"
    assert all(src.startswith("/static/") for src in scripts), scripts
    assert f'data-copy="{public}" hidden' in page, "Copy link shows only when its script runs"


def _modules_drawn(svg: bytes) -> tuple[int, list[list[bool]]]:
    """Read back the dark modules segno's SVG draws: one stroked path of M/m moves and h
    lines a module high, on a white square, scaled by its group."""
    root = ElementTree.fromstring(svg)
    size = int(root.get("width"))
    assert root.get("height") == str(size)
    [path] = [p for p in root.iter(f"{SVG}path") if p.get("class") == "qrline"]
    assert path.get("stroke") == "#000"
    grid = [[False] * size for _ in range(size)]
    x = y = 0.0
    for command, numbers in re.findall(r"([MmHh])([-\d. ]+)", path.get("d", "")):
        values = [float(n) for n in numbers.split()]
        if command in "Mm":
            x, y = (values[0], values[1]) if command == "M" else (x + values[0], y + values[1])
        else:
            end = values[0] if command == "H" else x + values[0]
            for column in range(int(x), int(end)):
                grid[int(y)][column] = True
            x = end
    return size, grid


def _decode(svg: bytes) -> str:
    zxingcpp = pytest.importorskip("zxingcpp")
    size, grid = _modules_drawn(svg)
    modules = size // QR_SCALE
    picture = Image.new("L", (modules * 4, modules * 4), 255)
    for row in range(modules):
        for column in range(modules):
            if grid[row][column]:
                picture.paste(0, (column * 4, row * 4, column * 4 + 4, row * 4 + 4))
    [found] = zxingcpp.read_barcodes(picture)
    return str(found.text)


def test_the_qr_code_is_an_svg_a_phone_reads_as_the_public_link(
    app: Flask, accounts: Accounts, ann: int
) -> None:
    badge_id, public = _shared(app, accounts.client, ann)
    response = accounts.client.get(f"/shared-badges/{badge_id}/qr.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    root = ElementTree.fromstring(response.data)
    assert root.tag == f"{SVG}svg"
    # As many modules as the link needs, with the 4-module border, 8 pixels each.
    modules = segno.make(public, error="m", micro=False).symbol_size(scale=1, border=0)[0]
    assert root.get("width") == root.get("height") == str((modules + 2 * QR_BORDER) * QR_SCALE)
    assert _decode(response.data) == public
    download = accounts.client.get(f"/shared-badges/{badge_id}/qr.svg?download=1")
    assert download.headers["Content-Disposition"] == 'attachment; filename="badge-qr.svg"'


def test_a_published_collection_has_its_tools_and_qr_code_too(
    app: Flask, accounts: Accounts, ann: int
) -> None:
    collection_id = create_collection(accounts.client, "Maker skills")
    add_to(accounts.client, collection_id, make_badge(app, ann))
    assert accounts.client.get(f"/collections/{collection_id}/qr.svg").status_code == 404
    public = "http://backpack.test" + publish(accounts.client, collection_id)
    page = accounts.client.get(f"/collections/{collection_id}").get_data(as_text=True)
    assert f'data-copy="{public}"' in page
    assert "Add to LinkedIn profile" not in page, "LinkedIn certifies single badges only"
    qr = accounts.client.get(f"/collections/{collection_id}/qr.svg")
    assert _decode(qr.data) == public


def test_only_the_owner_of_a_shared_badge_gets_its_qr_code(
    app: Flask, accounts: Accounts, ann: int
) -> None:
    private = make_badge(app, ann)
    assert accounts.client.get(f"/shared-badges/{private}/qr.svg").status_code == 404
    badge_id, _ = _shared(app, accounts.client, ann)
    accounts.create("bob@example.org", name="Bob")
    accounts.logout()
    accounts.login("bob@example.org")
    assert accounts.client.get(f"/shared-badges/{badge_id}/qr.svg").status_code == 404


def test_the_public_page_names_the_issuer_first_with_its_picture(
    app: Flask, accounts: Accounts, ann: int
) -> None:
    _, public = _shared(app, accounts.client, ann)
    visitor = app.test_client()
    page = visitor.get(urlsplit(public).path).get_data(as_text=True)
    issuer = page.index('class="public-issuer"')
    assert issuer < page.index("<h1"), "the issuer comes before the badge"
    assert "Robot School" in page[issuer : page.index("<h1")]
    assert '<span class="issuer-initial" aria-hidden="true">R</span>' in page
    assert f'data-copy="{public}"' in page, "visitors can pass the link on too"
    assert "Add to LinkedIn profile" not in page, "only the earner adds it to a profile"
    assert "/qr.svg" not in page

    # An issuer whose profile embeds its picture shows it (a linked one is not fetched).
    pictured = make_badge(app, ann, name="Pixel Art", issuer_name="Pixel School")
    with app.app_context():
        row = db.session.scalar(sa.select(Issuer).filter_by(name="Pixel School"))
        assert row is not None
        row.document = {**row.document, "image": PIXEL}
        db.session.commit()
    page = visitor.get(share_badge(accounts.client, pictured)).get_data(as_text=True)
    assert f'<img src="{PIXEL}" alt=""' in page
    assert "issuer-initial" not in page


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (PIXEL, True),
        ({"id": PIXEL}, True),
        ("data:image/svg+xml;base64,PHN2Zy8+", True),
        ("https://issuer.example/logo.png", False),  # not fetched: no visitor leaks to it
        ("data:text/html;base64,PHNjcmlwdD4=", False),
        ("javascript:alert(1)", False),
        ("data:image/png;base64," + "A" * 300_000, False),  # too large to carry in a page
        (None, False),
    ],
)
def test_only_an_embedded_issuer_picture_is_shown(value: object, shown: bool) -> None:
    assert (embedded_image(value) is not None) is shown
