"""The BadgeClass image: a new badge whose image is missing or not an image is refused."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator

import pytest
from PIL import Image

from backpack.openbadges.document_cache import IssuerDocumentCache
from backpack.openbadges.safe_fetcher import Fetcher
from tests.openbadges.issuer_site import IssuerSite
from tests.openbadges.verification_helpers import errors, message, verify, warnings
from tests.support.http_server import LocalHTTPServer
from tests.support.issuer import make_png, make_svg


@pytest.fixture
def site(http_server: LocalHTTPServer) -> IssuerSite:
    return IssuerSite(http_server)


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    fetcher = Fetcher(allow_private=True, timeout=2.0)
    yield fetcher
    fetcher.close()


def _image_requests(site: IssuerSite) -> int:
    return sum(request.path == "/badge.png" for request in site.server.requests)


def test_badge_whose_class_image_is_served_keeps_the_checked_bytes(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    report = verify(site.hosted_badge()["id"], fetcher)
    assert errors(report) == []
    assert report.badge_image == make_png()


def test_badge_whose_class_image_answers_404_is_refused(site: IssuerSite, fetcher: Fetcher) -> None:
    site.serve_image(b"Not Found", status=404, content_type="text/plain")
    report = verify(site.hosted_badge()["id"], fetcher)
    assert errors(report) == ["badge_image_missing"]
    assert site.url("/badge.png") in message(report, "badge_image_missing")
    assert report.unverifiable is False
    assert report.badge_image is None


def test_badge_whose_class_image_is_gone_or_forbidden_is_refused(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    for status in (410, 403):
        site.serve_image(b"", status=status, content_type="text/plain")
        report = verify(site.hosted_badge()["id"], fetcher)
        assert errors(report) == ["badge_image_missing"], status


def test_badge_whose_class_image_is_a_web_page_is_refused(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    site.serve_image(b"<html><body>Welcome</body></html>", content_type="image/png")
    report = verify(site.hosted_badge()["id"], fetcher)
    assert errors(report) == ["badge_image_invalid"]
    assert "not a usable badge image" in message(report, "badge_image_invalid")


def test_class_image_with_scripts_is_refused(site: IssuerSite, fetcher: Fetcher) -> None:
    site.serve_image(
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        content_type="image/svg+xml",
    )
    assert errors(verify(site.hosted_badge()["id"], fetcher)) == ["badge_image_invalid"]


def test_class_image_over_the_size_limit_is_refused(site: IssuerSite, fetcher: Fetcher) -> None:
    site.serve_image(make_png() + b"\0" * (2 * 1024 * 1024))
    report = verify(site.hosted_badge()["id"], fetcher)
    assert errors(report) == ["badge_image_invalid"]
    assert "limit" in message(report, "badge_image_invalid")


def test_jpeg_class_image_is_refused_in_2_0_and_warned_about_before(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    site.serve_image(_jpeg(), content_type="image/jpeg")
    report = verify(site.hosted_badge()["id"], fetcher)
    assert errors(report) == ["badge_image_invalid"]
    assert "JPEG" in message(report, "badge_image_invalid")
    site.serve("/1.0/badge.json", {
        "name": "Legacy", "description": "An old badge.", "image": site.url("/badge.png"),
        "criteria": site.url("/criteria"), "issuer": site.url("/1.0/issuer.json"),
    })  # fmt: skip
    site.serve("/1.0/issuer.json", {"name": "Old Issuer", "url": site.url("/")})
    assertion = {
        "uid": "j1",
        "recipient": {"type": "email", "hashed": False, "identity": "alice@example.org"},
        "badge": site.url("/1.0/badge.json"),
        "verify": {"type": "hosted", "url": site.url("/1.0/j1.json")},
        "issuedOn": "2014-06-01",
    }
    site.serve("/1.0/j1.json", assertion)
    old = verify(site.url("/1.0/j1.json"), fetcher)
    assert errors(old) == []
    assert "badge_image_format" in warnings(old)


def test_unreachable_class_image_leaves_a_new_badge_unverifiable(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    site.badge_class["image"] = "http://127.0.0.1:1/badge.png"  # nothing listens there
    site.publish()
    report = verify(site.hosted_badge()["id"], fetcher)
    assert errors(report) == ["unreachable"]
    assert report.unverifiable is True


def test_class_image_server_error_leaves_a_new_badge_unverifiable(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    site.serve_image(b"oops", status=503, content_type="text/plain")
    report = verify(site.hosted_badge()["id"], fetcher)
    assert errors(report) == ["server_error"]
    assert report.unverifiable is True


def test_held_badge_whose_class_image_disappeared_stays_valid_with_a_warning(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    badge = site.hosted_badge()
    assert verify(badge["id"], fetcher).valid
    site.serve_image(b"Not Found", status=404, content_type="text/plain")
    report = verify(badge["id"], fetcher, already_held=True)
    assert errors(report) == []
    assert "badge_image_unavailable" in warnings(report)
    site.badge_class["image"] = "http://127.0.0.1:1/badge.png"
    site.publish()
    unreachable = verify(badge["id"], fetcher, already_held=True)
    assert errors(unreachable) == []
    assert unreachable.unverifiable is False


@pytest.mark.parametrize(
    ("image", "kind"),
    [(make_png(), "image/png"), (make_svg(), "image/svg+xml")],
)
def test_data_uri_class_image_is_decoded_and_checked(
    site: IssuerSite, fetcher: Fetcher, image: bytes, kind: str
) -> None:
    site.badge_class["image"] = f"data:{kind};base64,{base64.b64encode(image).decode()}"
    site.publish()
    report = verify(site.hosted_badge()["id"], fetcher)
    assert errors(report) == []
    assert report.badge_image == image


def test_data_uri_class_image_that_is_not_an_image_is_refused(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    for uri in ("data:image/png;base64,PGh0bWw+", "data:image/png;base64,***"):
        site.badge_class["image"] = uri
        site.publish()
        assert errors(verify(site.hosted_badge()["id"], fetcher)) == ["badge_image_invalid"], uri


def test_signed_badge_class_image_is_checked_too(site: IssuerSite, fetcher: Fetcher) -> None:
    site.serve_image(b"Not Found", status=404, content_type="text/plain")
    assert errors(verify(site.signed_badge(), fetcher)) == ["badge_image_missing"]


def test_kept_class_image_is_not_fetched_again(site: IssuerSite, fetcher: Fetcher) -> None:
    documents = IssuerDocumentCache()
    verify(site.hosted_badge()["id"], fetcher, documents=documents)
    report = verify(site.hosted_badge()["id"], fetcher, documents=documents)
    assert report.badge_image == make_png()
    assert _image_requests(site) == 1


def test_missing_class_image_is_asked_for_again_next_time(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    documents = IssuerDocumentCache()
    site.serve_image(b"", status=404, content_type="text/plain")
    assert not verify(site.hosted_badge()["id"], fetcher, documents=documents).valid
    site.serve_image(make_png())
    assert verify(site.hosted_badge()["id"], fetcher, documents=documents).valid


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 0, 0)).save(buffer, format="JPEG")
    return buffer.getvalue()
