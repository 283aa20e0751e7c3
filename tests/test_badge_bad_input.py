"""Every bad badge input gets a stable code and a clear message, never a 500."""

from __future__ import annotations

import base64
import io
import json
import struct
import zlib
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from flask import Flask

from tests.badge_fixtures import add_badge
from tests.conftest import Accounts
from tests.support.issuer import TestIssuer, make_png


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _bomb_png() -> bytes:
    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"\0" * 1024))
        + _chunk(b"IEND", b"")
    )


def _assert_refused(response: object, code: str) -> None:
    from werkzeug.test import TestResponse

    assert isinstance(response, TestResponse)
    assert 400 <= response.status_code < 500, response.status_code
    page = response.get_data(as_text=True)
    assert f"code: {code}" in page, page[-3000:]


UPLOADS: dict[str, tuple[Callable[[TestIssuer], bytes], str]] = {
    "truncated_png": (
        lambda issuer: issuer.baked_png(issuer.award("ann@example.org"))[:200],
        "truncated_image",
    ),
    "png_without_badge": (lambda issuer: make_png(), "no_badge_in_image"),
    "decompression_bomb": (lambda issuer: _bomb_png(), "decompression_bomb"),
    "svg_with_entities": (
        lambda issuer: (
            b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
            b'<svg xmlns="http://www.w3.org/2000/svg">&b;</svg>'
        ),
        "unsafe_svg",
    ),
    "svg_with_xxe": (
        lambda issuer: (
            b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>'
        ),
        "unsafe_svg",
    ),
    "svg_with_script": (
        lambda issuer: b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "svg_has_scripts",
    ),
    "not_an_image": (
        lambda issuer: b"%PDF-1.4 this is a document, not a badge" * 10,
        "not_an_image",
    ),
    "oversized_image": (lambda issuer: make_png() + b"\0" * (3 * 1024 * 1024), "image_too_large"),
}


@pytest.mark.parametrize("case", sorted(UPLOADS))
def test_bad_uploads_are_refused_with_a_code(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer, case: str
) -> None:
    make, code = UPLOADS[case]
    response = add_badge(earner.client, "upload", (io.BytesIO(make(issuer)), "upload.png"))
    _assert_refused(response, code)


def test_json_nested_thousands_deep_is_refused(earner: Accounts) -> None:
    _assert_refused(add_badge(earner.client, "text", "[" * 5000 + "]" * 5000), "json_too_deep")


def test_json_of_many_megabytes_is_refused(earner: Accounts) -> None:
    text = json.dumps({"padding": "x" * (3 * 1024 * 1024)})
    response = add_badge(earner.client, "text", text)
    assert response.status_code in (400, 413)
    assert (
        "Field cannot be longer" in response.get_data(as_text=True) or response.status_code == 413
    )


def test_an_empty_file_is_called_empty(earner: Accounts) -> None:
    response = add_badge(earner.client, "upload", (io.BytesIO(b""), "badge.png"))
    _assert_refused(response, "not_an_image")
    assert "The image is empty (0 bytes)." in response.get_data(as_text=True)


def test_a_file_over_the_upload_limit_gets_a_page_naming_the_limit(earner: Accounts) -> None:
    limit = earner.app.config["MAX_CONTENT_LENGTH"]
    upload = (io.BytesIO(make_png() + b"\0" * limit), "huge.png")
    response = add_badge(earner.client, "upload", upload)
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "File too large" in page
    assert f"at most {limit // (1024 * 1024)} MB in one upload" in page
    assert "capacity limit" not in page  # Werkzeug's words, which tell an earner nothing


def test_a_jws_with_alg_none_is_refused(earner: Accounts, issuer: TestIssuer) -> None:
    assertion = issuer.award("ann@example.org", host=False)

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    token = f"{b64(json.dumps({'alg': 'none'}).encode())}.{b64(json.dumps(assertion).encode())}."
    _assert_refused(add_badge(earner.client, "text", token), "jws_alg_not_allowed")


def test_a_url_to_a_private_address_is_refused(
    app_factory: Callable[..., Flask], issuer: TestIssuer
) -> None:
    app = app_factory()  # FETCH_ALLOW_PRIVATE is off, as in production
    from pathlib import Path

    from tests.conftest import Outbox

    helper = Accounts(app, app.test_client(), Outbox(Path(app.config["MAIL_OUTBOX_DIR"])))
    helper.create("ann@example.org")
    helper.login("ann@example.org")
    _assert_refused(
        add_badge(helper.client, "url", issuer.award("ann@example.org")["id"]), "private_address"
    )
    _assert_refused(
        add_badge(helper.client, "url", "http://localhost/badge.json"), "private_address"
    )


def test_a_url_that_redirects_in_a_loop_is_refused(earner: Accounts, issuer: TestIssuer) -> None:
    issuer.server.redirect("/loop-a", "/loop-b")
    issuer.server.redirect("/loop-b", "/loop-a")
    _assert_refused(
        add_badge(earner.client, "url", issuer.server.url("/loop-a")), "too_many_redirects"
    )


def test_a_server_that_stalls_is_refused_in_time(earner: Accounts, issuer: TestIssuer) -> None:
    issuer.server.stall("/slow.json")
    _assert_refused(
        add_badge(earner.client, "url", issuer.server.url("/slow.json")), "fetch_timeout"
    )


def test_an_issuer_document_that_is_not_json_is_refused(
    earner: Accounts, issuer: TestIssuer
) -> None:
    issuer.server.serve("/page.json", b"<html>not json</html>", content_type="text/html")
    _assert_refused(add_badge(earner.client, "url", issuer.server.url("/page.json")), "not_json")


def test_a_url_that_is_not_http_is_refused_by_the_form(earner: Accounts) -> None:
    response = add_badge(earner.client, "url", "file:///etc/passwd")
    assert response.status_code == 400
    assert "starts with https://" in response.get_data(as_text=True)


def test_an_empty_form_says_what_to_do(earner: Accounts) -> None:
    response = add_badge(earner.client, "text", "")
    assert response.status_code == 400
    # At the field of the button pressed.
    assert "Paste the badge&#39;s JSON or signed text first." in response.get_data(as_text=True)


def test_text_that_is_no_badge_is_refused(earner: Accounts) -> None:
    _assert_refused(
        add_badge(earner.client, "text", "hello, this is not a badge"), "unrecognised_input"
    )
    _assert_refused(add_badge(earner.client, "text", '{"name": "a document"}'), "not_a_badge")


def test_json_with_an_unpaired_surrogate_is_refused(earner: Accounts, issuer: TestIssuer) -> None:
    text = json.dumps(issuer.award("ann@example.org")).replace('"Assertion"', '"Assertion\\ud800"')
    _assert_refused(add_badge(earner.client, "text", text), "not_json")


def test_an_api_body_with_an_unpaired_surrogate_is_a_clear_400(earner: Accounts) -> None:
    response = earner.client.post(
        "/api/v1/collections",
        data='{"name": "a\\ud800"}',
        content_type="application/json",
        headers={"X-CSRFToken": "x"},
    )
    assert response.status_code == 400


def test_json_with_a_nul_character_is_refused(earner: Accounts, issuer: TestIssuer) -> None:
    text = json.dumps(issuer.award("ann@example.org")).replace('"Assertion"', '"Asser\\u0000tion"')
    _assert_refused(add_badge(earner.client, "text", text), "not_json")


@pytest.mark.parametrize("how", ["text", "url"])
@pytest.mark.parametrize(
    ("field", "value"),
    [("issuedOn", "0001-01-01T00:00:00+00:01"), ("expires", "9999-12-31T23:59:59-00:01")],
)
def test_a_date_beyond_what_utc_can_hold_is_refused_with_a_reason(
    earner: Accounts, issuer: TestIssuer, field: str, value: str, how: str
) -> None:
    assertion = issuer.award("ann@example.org", host=False)
    assertion[field] = value
    issuer.server.serve_json(urlsplit(assertion["id"]).path, assertion)
    given = json.dumps(assertion) if how == "text" else assertion["id"]
    response = add_badge(earner.client, how, given)
    _assert_refused(response, "invalid_property")
    assert "within the years 1 to 9999" in response.get_data(as_text=True)
