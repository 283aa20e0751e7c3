"""Baking and unbaking PNG and SVG badges, against the corpus and by round trip."""

from __future__ import annotations

import base64
import io
import json
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from backpack.openbadges.baking import bake, unbake, without_badge
from backpack.openbadges.errors import BakingError, ImageError
from backpack.openbadges.images import parse_svg
from backpack.openbadges.png_baking import read_chunks

BAKERY = "openbadges-bakery/openbadges_bakery/testfiles"
VALIDATOR_CORE_HISTORY = "openbadges-validator-core/_extra_from_history/history/tests/testfiles"
VALIDATOR_CORE_PR246 = "openbadges-validator-core/_extra_from_history/pr246/tests/testfiles"
ONEEDTECH = "digital-credentials-public-validator/inspector-vc/src/test/resources"
MOZILLA = "mozilla-openbadges-bakery/test"

HEART_PNG = f"{BAKERY}/public_domain_heart.png"
EXAMPLE_SVG = f"{BAKERY}/unbaked_example.svg"
OB3_JSON_SVG = f"{ONEEDTECH}/ob30/simple-json.svg"

BAKERY_HEART_ASSERTION = (
    '{"uid":"123","issuedOn":"2015-04-01","badge":"http://example.org/badge1",'
    '"recipient":{"identity":"test@example.com","hashed":false},'
    '"verify":{"type":"hosted","url":"http://example.org/badgeinstance1"}}'
)
ASSERTION = {
    "@context": "https://w3id.org/openbadges/v2",
    "type": "Assertion",
    "id": "https://issuer.example/assertions/1?lang=en&v=2",
    "recipient": {"type": "email", "hashed": False, "identity": "zoë@example.org"},
    "narrative": "Wrote ]]> in a CDATA section & lived",
    "verification": {"type": "hosted"},
}
ASSERTION_JSON = json.dumps(ASSERTION, ensure_ascii=False, indent=2)
JWS = "eyJhbGciOiJSUzI1NiJ9.eyJ1aWQiOiIxMjMifQ.c2lnbmF0dXJlLWJ5dGVz-_"
HOSTED_URL = "https://issuer.example/assertions/1.json?a=1&b=2"


def jws_claims(jws: str) -> dict[str, Any]:
    """The decoded payload of a compact JWS."""
    payload = jws.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


def badge_chunks(png: bytes) -> list[bytes]:
    """The keyword of every text chunk that holds a badge, in file order."""
    keywords = []
    for chunk in read_chunks(png):
        keyword = chunk.data.split(b"\x00", 1)[0]
        if chunk.type in (b"iTXt", b"tEXt", b"zTXt") and keyword.startswith(b"openbadge"):
            keywords.append(keyword)
    return keywords


def badge_elements(svg: bytes) -> list[str]:
    """The tag of every badge element in an SVG."""
    return [
        element.tag
        for element in parse_svg(svg).root.iter()
        if element.tag.endswith(("}assertion", "}credential"))
    ]


def with_chunk_after_ihdr(png: bytes, chunk_type: bytes, data: bytes) -> bytes:
    """The PNG with one more chunk inserted right after IHDR."""
    crc = zlib.crc32(chunk_type + data)
    chunk = struct.pack(">I", len(data)) + chunk_type + data + struct.pack(">I", crc)
    ihdr_end = 8 + 8 + 13 + 4
    return png[:ihdr_end] + chunk + png[ihdr_end:]


def json_with(**expected: Any) -> Callable[[str], bool]:
    """A check that text is JSON whose top-level properties include these values."""
    return lambda text: all(json.loads(text).get(key) == value for key, value in expected.items())


@pytest.mark.parametrize(
    ("relative_path", "image_kind", "keyword", "check_text"),
    [
        (
            f"{BAKERY}/baked_heart.png",
            "png",
            "openbadges",
            lambda text: text == BAKERY_HEART_ASSERTION,
        ),
        (
            f"{VALIDATOR_CORE_HISTORY}/baked_heart.png",
            "png",
            "openbadges",
            lambda text: (
                json.loads(text)["recipient"]["salt"] == "deadsea"
                and json.loads(text)["recipient"]["identity"].startswith("sha256$c7ef8640")
            ),
        ),
        (
            f"{ONEEDTECH}/ob20/simple-badge.png",
            "png",
            "openbadges",
            json_with(id="https://example.org/beths-robotics-badge.json", type="Assertion"),
        ),
        (
            f"{ONEEDTECH}/ob30/simple-json.png",
            "png",
            "openbadgecredential",
            json_with(id="http://example.com/credentials/3527", name="Teamwork Badge"),
        ),
        (
            OB3_JSON_SVG,
            "svg",
            "openbadgecredential",
            json_with(id="http://example.com/credentials/3527", name="Teamwork Badge"),
        ),
        (
            f"{ONEEDTECH}/ob30/simple-jwt.png",
            "png",
            "openbadgecredential",
            lambda text: jws_claims(text)["jti"] == "http://example.com/credentials/3527",
        ),
        (
            f"{ONEEDTECH}/ob30/simple-jwt.svg",
            "svg",
            "openbadgecredential",
            lambda text: jws_claims(text)["jti"] == "http://example.com/credentials/3527",
        ),
        (
            f"{BAKERY}/baked_example.svg",
            "svg",
            "openbadges",
            json_with(uid="abcdef12345", badge="https://example.org/badge.json"),
        ),
        (
            f"{MOZILLA}/baked.svg",
            "svg",
            "openbadges",
            json_with(verify={"url": "http://example.org"}),
        ),
        (
            f"{MOZILLA}/bad-json.svg",
            "svg",
            "openbadges",
            lambda text: text == "http://example.org",
        ),
        (
            f"{MOZILLA}/no-json.svg",
            "svg",
            "openbadges",
            lambda text: text == "http://example.org",
        ),
    ],
)
def test_corpus_badges_unbake_to_their_payload(
    corpus: Path,
    relative_path: str,
    image_kind: str,
    keyword: str,
    check_text: Callable[[str], bool],
) -> None:
    baked = unbake((corpus / relative_path).read_bytes())

    assert (baked.image_kind, baked.keyword) == (image_kind, keyword)
    assert check_text(baked.text)


def test_svg_unbakes_to_the_json_body_and_exposes_the_verify_url(corpus: Path) -> None:
    # The reference bakery returns only the verify URL here; the body is the whole badge.
    baked = unbake((corpus / BAKERY / "baked_example.svg").read_bytes())

    assert json.loads(baked.text)["verify"]["url"] == "https://example.org/assertion.json"
    assert baked.verify_attribute == "https://example.org/assertion.json"


def test_svg_with_malformed_json_unbakes_to_its_verify_url(corpus: Path) -> None:
    # As Mozilla's and 1EdTech's bakeries read it: the hosted copy stands in for the body.
    baked = unbake((corpus / MOZILLA / "bad-json.svg").read_bytes())

    assert baked.text == baked.verify_attribute == "http://example.org"
    assert baked.unreadable_body == '{verify:{"url":"http://example.org"}}'


def test_svg_with_malformed_json_and_no_verify_url_unbakes_to_its_body() -> None:
    svg = bake(b'<svg xmlns="http://www.w3.org/2000/svg"/>', '{"uid": "1"}')
    broken = svg.replace(b'{"uid": "1"}', b"{uid: 1}")

    assert unbake(broken).text == "{uid: 1}"
    assert unbake(broken).unreadable_body is None


def https_namespaced(svg: bytes) -> bytes:
    """An SVG baked as some issuers did, under https://openbadges.org."""
    https = svg.replace(b'"http://openbadges.org"', b'"https://openbadges.org"')
    assert https != svg
    return https


def test_svg_baked_under_the_https_namespace_unbakes(corpus: Path) -> None:
    baked = unbake(https_namespaced((corpus / BAKERY / "baked_example.svg").read_bytes()))

    assert json.loads(baked.text)["uid"] == "abcdef12345"
    assert baked.verify_attribute == "https://example.org/assertion.json"


def test_rebaking_an_https_namespaced_svg_replaces_its_badge(corpus: Path) -> None:
    svg = https_namespaced((corpus / BAKERY / "baked_example.svg").read_bytes())
    rebaked = bake(svg, HOSTED_URL)

    assert badge_elements(rebaked) == ["{http://openbadges.org}assertion"]
    assert unbake(rebaked).text == HOSTED_URL


def test_signed_svg_unbakes_to_the_jws_in_its_verify_attribute(corpus: Path) -> None:
    baked = unbake((corpus / ONEEDTECH / "ob30/simple-jwt.svg").read_bytes())

    assert baked.text == baked.verify_attribute
    assert baked.text.count(".") == 2


def test_3_0_credential_is_the_same_in_its_png_and_svg_forms(corpus: Path) -> None:
    from_png = unbake((corpus / ONEEDTECH / "ob30/simple-json.png").read_bytes())
    from_svg = unbake((corpus / OB3_JSON_SVG).read_bytes())

    assert json.loads(from_png.text) == json.loads(from_svg.text)


def test_legacy_text_chunk_unbakes_to_the_hosted_url(corpus: Path) -> None:
    heart = (corpus / HEART_PNG).read_bytes()
    legacy = with_chunk_after_ihdr(heart, b"tEXt", b"openbadges\x00http://example.org/a.json")

    baked = unbake(legacy)

    assert (baked.text, baked.keyword, baked.image_kind) == (
        "http://example.org/a.json",
        "openbadges",
        "png",
    )


def test_itxt_wins_over_an_earlier_legacy_text_chunk(corpus: Path) -> None:
    baked_heart = (corpus / BAKERY / "baked_heart.png").read_bytes()
    both = with_chunk_after_ihdr(baked_heart, b"tEXt", b"openbadges\x00http://example.org/old")

    assert unbake(both).text == BAKERY_HEART_ASSERTION


def test_a_compressed_itxt_chunk_is_inflated(corpus: Path) -> None:
    heart = (corpus / HEART_PNG).read_bytes()
    compressed = b"openbadges\x00\x01\x00en\x00\x00" + zlib.compress(ASSERTION_JSON.encode())

    assert json.loads(unbake(with_chunk_after_ihdr(heart, b"iTXt", compressed)).text) == ASSERTION


def test_a_compressed_itxt_chunk_that_balloons_is_refused(corpus: Path) -> None:
    heart = (corpus / HEART_PNG).read_bytes()
    bomb = b"openbadges\x00\x01\x00\x00\x00" + zlib.compress(b" " * 50_000_000, 9)

    with pytest.raises(ImageError) as caught:
        unbake(with_chunk_after_ihdr(heart, b"iTXt", bomb))

    assert caught.value.code == "decompression_bomb"


def test_badge_text_that_is_not_utf8_is_reported(corpus: Path) -> None:
    heart = (corpus / HEART_PNG).read_bytes()
    latin1 = b"openbadges\x00\x00\x00\x00\x00" + '{"name": "Zoë"}'.encode("latin-1")

    with pytest.raises(BakingError) as caught:
        unbake(with_chunk_after_ihdr(heart, b"iTXt", latin1))

    assert caught.value.code == "invalid_baked_text"


@pytest.mark.parametrize(
    "relative_path",
    [HEART_PNG, f"{MOZILLA}/unbaked.png", EXAMPLE_SVG, f"{MOZILLA}/unbaked.svg"],
)
def test_an_image_without_a_badge_is_reported(corpus: Path, relative_path: str) -> None:
    with pytest.raises(BakingError) as caught:
        unbake((corpus / relative_path).read_bytes())

    assert caught.value.code == "no_badge_in_image"


def test_a_jpeg_holds_no_badge(corpus: Path) -> None:
    with pytest.raises(BakingError) as caught:
        unbake((corpus / VALIDATOR_CORE_PR246 / "public_domain_heart_jpeg.jpg").read_bytes())

    assert caught.value.code == "no_badge_in_image"
    assert "JPEG" in caught.value.message


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"not an image at all", "not_an_image"),
        (
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
            "svg_has_scripts",
        ),
        (b'<!DOCTYPE svg [<!ENTITY x "y">]><svg>&x;</svg>', "unsafe_svg"),
    ],
)
def test_unbaking_checks_the_image_first(data: bytes, code: str) -> None:
    with pytest.raises(ImageError) as caught:
        unbake(data)

    assert caught.value.code == code


def test_unbaking_a_truncated_png_is_refused(corpus: Path) -> None:
    baked = (corpus / BAKERY / "baked_heart.png").read_bytes()

    with pytest.raises(ImageError) as caught:
        unbake(baked[:-20])

    assert caught.value.code == "truncated_image"


PAYLOADS = [
    pytest.param(ASSERTION_JSON, id="json"),
    pytest.param(JWS, id="jws"),
    pytest.param(HOSTED_URL, id="url"),
]
IMAGES = [pytest.param(HEART_PNG, id="png"), pytest.param(EXAMPLE_SVG, id="svg")]


@pytest.mark.parametrize("image", IMAGES)
@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("keyword", ["openbadges", "openbadgecredential"])
def test_bake_then_unbake_returns_the_payload(
    corpus: Path, image: str, payload: str, keyword: str
) -> None:
    baked = bake((corpus / image).read_bytes(), payload, keyword=keyword)

    result = unbake(baked)

    assert result.text == payload
    assert result.keyword == keyword


def test_baked_png_has_one_uncompressed_itxt_chunk_right_after_ihdr(corpus: Path) -> None:
    heart = (corpus / HEART_PNG).read_bytes()

    baked = bake(heart, ASSERTION_JSON)

    chunks = read_chunks(baked)
    assert chunks[1].type == b"iTXt"
    assert chunks[1].data == b"openbadges\x00\x00\x00\x00\x00" + ASSERTION_JSON.encode()
    assert [c for c in chunks if c is not chunks[1]] == read_chunks(heart)


def test_baked_png_shows_the_same_picture(corpus: Path) -> None:
    heart = (corpus / HEART_PNG).read_bytes()

    with Image.open(io.BytesIO(heart)) as before, Image.open(io.BytesIO(bake(heart, JWS))) as after:
        assert after.tobytes() == before.tobytes()


@pytest.mark.parametrize(
    "relative_path", [f"{BAKERY}/baked_heart.png", f"{ONEEDTECH}/ob30/simple-json.png"]
)
def test_rebaking_a_png_replaces_the_badge(corpus: Path, relative_path: str) -> None:
    rebaked = bake(bake((corpus / relative_path).read_bytes(), JWS), HOSTED_URL)

    assert badge_chunks(rebaked) == [b"openbadges"]
    assert unbake(rebaked).text == HOSTED_URL


@pytest.mark.parametrize("relative_path", [f"{BAKERY}/baked_example.svg", OB3_JSON_SVG])
def test_rebaking_an_svg_replaces_the_badge(corpus: Path, relative_path: str) -> None:
    rebaked = bake(bake((corpus / relative_path).read_bytes(), JWS), HOSTED_URL)

    assert badge_elements(rebaked) == ["{http://openbadges.org}assertion"]
    assert unbake(rebaked).text == HOSTED_URL


def test_rebaking_an_svg_twice_gives_the_same_file(corpus: Path) -> None:
    once = bake((corpus / EXAMPLE_SVG).read_bytes(), ASSERTION_JSON)

    assert bake(once, ASSERTION_JSON) == once


def test_baked_json_svg_names_the_hosted_url_and_keeps_the_rest_of_the_file(
    corpus: Path,
) -> None:
    original = (corpus / EXAMPLE_SVG).read_bytes()

    baked = bake(original, ASSERTION_JSON)

    result = unbake(baked)
    assert result.verify_attribute == ASSERTION["id"]
    assert json.loads(result.text) == ASSERTION
    start = baked.index(b"<openbadges:assertion")
    end = baked.index(b"</openbadges:assertion>") + len(b"</openbadges:assertion>")
    unbaked = (baked[:start] + baked[end:]).replace(
        b' xmlns:openbadges="http://openbadges.org"', b""
    )
    assert unbaked == original


def test_svg_doctype_comments_and_prefixes_survive_baking(corpus: Path) -> None:
    original = (corpus / OB3_JSON_SVG).read_bytes()

    baked = bake(original, JWS, keyword="openbadgecredential")

    assert baked.startswith(original[: original.index(b"<svg")])
    assert b'xmlns:xlink="http://www.w3.org/1999/xlink"' in baked
    assert b"<g>" in baked
    assert badge_elements(baked) == ["{https://purl.imsglobal.org/ob/v3p0}credential"]


@pytest.mark.parametrize(
    ("assertion", "verify"),
    [
        ({"id": "https://issuer.example/a/1"}, "https://issuer.example/a/1"),
        (
            {"id": "urn:uuid:1234", "verify": {"type": "hosted", "url": "http://issuer.example/1"}},
            "http://issuer.example/1",
        ),
        (
            {"uid": "123", "verify": {"type": "signed", "url": "https://issuer.example/key.pem"}},
            "https://issuer.example/key.pem",
        ),
        ({"id": "urn:uuid:1234"}, None),
    ],
)
def test_baked_json_svg_verify_attribute_follows_the_baking_spec(
    corpus: Path, assertion: dict[str, Any], verify: str | None
) -> None:
    baked = unbake(bake((corpus / EXAMPLE_SVG).read_bytes(), json.dumps(assertion)))

    assert baked.verify_attribute == verify
    assert json.loads(baked.text) == assertion


def test_baked_jws_svg_has_a_verify_attribute_and_no_body(corpus: Path) -> None:
    baked = bake((corpus / EXAMPLE_SVG).read_bytes(), JWS)

    assert f'<openbadges:assertion verify="{JWS}"/>'.encode() in baked


def test_3_0_json_credential_svg_has_no_verify_attribute(corpus: Path) -> None:
    baked = unbake(
        bake((corpus / EXAMPLE_SVG).read_bytes(), ASSERTION_JSON, keyword="openbadgecredential")
    )

    assert baked.verify_attribute is None
    assert json.loads(baked.text) == ASSERTION


def test_baking_into_an_svg_with_an_empty_root(corpus: Path) -> None:
    empty = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'

    baked = bake(empty, HOSTED_URL)

    assert baked == (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"'
        b' xmlns:openbadges="http://openbadges.org">'
        b'<openbadges:assertion verify="https://issuer.example/assertions/1.json?a=1&amp;b=2"/>'
        b"</svg>"
    )


def test_baking_where_the_root_binds_the_prefix_to_the_other_version(corpus: Path) -> None:
    # The 3.0 file binds openbadges: to the 3.0 namespace; a 2.0 assertion declares its own.
    baked = bake((corpus / OB3_JSON_SVG).read_bytes(), ASSERTION_JSON)

    assert badge_elements(baked) == ["{http://openbadges.org}assertion"]
    assert json.loads(unbake(baked).text) == ASSERTION


def test_baking_non_ascii_into_a_latin1_svg_is_refused() -> None:
    latin1 = b'<?xml version="1.0" encoding="ISO-8859-1"?><svg xmlns="http://www.w3.org/2000/svg"/>'

    with pytest.raises(BakingError) as caught:
        bake(latin1, ASSERTION_JSON)
    assert caught.value.code == "unbakeable_image_type"

    assert unbake(bake(latin1, HOSTED_URL)).text == HOSTED_URL


@pytest.mark.parametrize(
    "image",
    [
        pytest.param(f"{VALIDATOR_CORE_PR246}/public_domain_heart_jpeg.jpg", id="jpeg"),
        pytest.param(None, id="text"),
    ],
)
def test_only_png_and_svg_can_be_baked(corpus: Path, image: str | None) -> None:
    data = (corpus / image).read_bytes() if image else b"just text"

    with pytest.raises(BakingError) as caught:
        bake(data, ASSERTION_JSON)

    assert caught.value.code == "unbakeable_image_type"


@pytest.mark.parametrize("payload", ["hello", "[1, 2]", '{"not": json', "", "ftp://example.org/a"])
def test_only_badge_json_jws_or_urls_are_baked(corpus: Path, payload: str) -> None:
    with pytest.raises(BakingError) as caught:
        bake((corpus / HEART_PNG).read_bytes(), payload)

    assert caught.value.code == "unrecognised_input"


def test_baking_refuses_an_unsafe_image() -> None:
    scripted = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'

    with pytest.raises(ImageError) as caught:
        bake(scripted, JWS)

    assert caught.value.code == "svg_has_scripts"


@pytest.mark.parametrize("image", IMAGES)
@pytest.mark.parametrize("keyword", ["openbadges", "openbadgecredential"])
def test_a_badge_taken_out_leaves_the_image_as_it_was(
    corpus: Path, image: str, keyword: str
) -> None:
    picture = (corpus / image).read_bytes()
    baked = bake(picture, ASSERTION_JSON, keyword=keyword)

    plain = without_badge(baked)

    assert ASSERTION_JSON.encode() not in plain
    with pytest.raises(BakingError):
        unbake(plain)
    assert without_badge(plain) == plain
    if image == HEART_PNG:
        assert read_chunks(plain) == read_chunks(picture)
