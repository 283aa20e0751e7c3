"""Reading badge input: its form (JSON, JWS, URL), its version, and hostile JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backpack.openbadges.errors import OpenBadgesError, ParseError
from backpack.openbadges.parse import (
    MAX_INPUT_BYTES,
    detect_input_form,
    detect_version,
    load_json,
    parse_badge_text,
)
from tests.openbadges.issuer_site import rsa_key, sign

COMPONENTS = "openbadges-validator-core/extracted_components"
OB30 = "digital-credentials-public-validator/inspector-vc/src/test/resources/ob30"


def component(corpus: Path, name: str) -> dict[str, object]:
    document: dict[str, object] = json.loads((corpus / COMPONENTS / f"{name}.json").read_text())
    return document


def parse_error(text: str) -> ParseError:
    with pytest.raises(OpenBadgesError) as raised:
        parse_badge_text(text)
    assert isinstance(raised.value, ParseError)
    return raised.value


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ('  {"recipient": "a@example.org"}\n', "json"),
        ("https://issuer.example/assertions/1.json", "url"),
        ("HTTP://ISSUER.EXAMPLE/a", "url"),
        ("eyJhbGciOiJSUzI1NiJ9.e30.c2ln", "jws"),
        ("eyJhbGciOiJSUzI1NiJ9.\n  e30.\n  c2ln\n", "jws"),
        ("eyJhbGciOiJSUzI1NiJ9=.e30=.c2ln", "jws"),
    ],
)
def test_input_form_is_detected(text: str, form: str) -> None:
    assert detect_input_form(text)[0] == form


@pytest.mark.parametrize("text", ["hello there", "ftp://issuer.example/a.json", "", "<<>>"])
def test_text_that_is_no_badge_form_is_unrecognised(text: str) -> None:
    assert parse_error(text).code == "unrecognised_input"


@pytest.mark.parametrize(
    ("name", "version"),
    [
        ("0_5_assertion", "0.5"),
        ("0_5_1_assertion", "0.5"),
        ("1_0_basic_assertion", "1.0"),
        ("1_0_assertion_with_errors", "1.0"),
        ("1_0_basic_badgeclass", "1.0"),
        ("1_1_basic_assertion", "1.1"),
        ("1_1_basic_issuer", "1.1"),
        ("2_0_basic_assertion", "2.0"),
    ],
)
def test_versions_of_the_reference_fixtures_are_detected(
    corpus: Path, name: str, version: str
) -> None:
    assert detect_version(component(corpus, name)) == version


@pytest.mark.parametrize(
    ("context", "version"),
    [
        ("http://standard.openbadges.org/1.1/context.json", "1.1"),
        ("https://openbadgespec.org/v1/context.json", "1.1"),
        (["https://w3id.org/openbadges/v1", {"extra": "https://example.org/x"}], "1.1"),
        (["https://w3id.org/openbadges/v2"], "2.0"),
        ("https://openbadgespec.org/v2/context.json", "2.0"),
    ],
)
def test_version_follows_the_context(context: object, version: str) -> None:
    assert detect_version({"@context": context, "recipient": {}}) == version


def test_mozilla_backpack_stored_body_is_read_as_1_0() -> None:
    body = {
        "recipient": "alice@example.org",
        "_originalRecipient": {"type": "email", "hashed": False, "identity": "alice@example.org"},
        "badge": {"name": "B", "_location": "https://issuer.example/badge.json", "issuer": {}},
    }
    assert detect_version(body) == "1.0"


def test_json_text_is_parsed_with_its_version(corpus: Path) -> None:
    text = (corpus / COMPONENTS / "1_1_basic_assertion.json").read_text()
    parsed = parse_badge_text(text)
    assert parsed.form == "json"
    assert parsed.version == "1.1"
    assert parsed.document == json.loads(text)


def test_jws_is_parsed_from_its_unverified_payload() -> None:
    payload = {"@context": "https://w3id.org/openbadges/v2", "recipient": {}, "badge": "x"}
    parsed = parse_badge_text(sign(payload, rsa_key()))
    assert parsed.form == "jws"
    assert parsed.version == "2.0"
    assert parsed.document == payload


def test_url_is_kept_for_fetching() -> None:
    parsed = parse_badge_text(" https://issuer.example/a.json ")
    assert parsed.url == "https://issuer.example/a.json"
    assert parsed.document is None


def test_open_badges_3_credential_is_not_read_as_an_assertion(corpus: Path) -> None:
    # verify_badge sends credentials to the 3.0 verifier before this parser sees them.
    error = parse_error((corpus / OB30 / "simple.json").read_text())
    assert error.code == "unsupported_version"
    assert "credential" in error.message


def test_open_badges_3_vc_jwt_is_not_read_as_an_assertion(corpus: Path) -> None:
    credential = json.loads((corpus / OB30 / "simple.json").read_text())
    error = parse_error(sign({"vc": credential, "iss": "x"}, rsa_key()))
    assert error.code == "unsupported_version"


@pytest.mark.parametrize("text", ['{"recipient": ', "{'single': 'quotes'}", '{"a": 1} trailing'])
def test_malformed_json_is_reported(text: str) -> None:
    assert parse_error(text).code == "not_json"


@pytest.mark.parametrize(
    ("text", "hint"),
    [("[1, 2]", "not a badge"), ('{"type": "BadgeClass", "name": "B"}', "BadgeClass")],
)
def test_json_that_is_no_assertion_is_not_a_badge(text: str, hint: str) -> None:
    error = parse_error(text)
    assert error.code == "not_a_badge"
    assert hint in error.message


def test_json_nested_64_levels_is_accepted() -> None:
    assert load_json("[" * 64 + "]" * 64) == json.loads("[" * 64 + "]" * 64)


@pytest.mark.parametrize("depth", [65, 100_000])
def test_json_nested_deeper_than_64_levels_is_refused(depth: int) -> None:
    with pytest.raises(ParseError) as raised:
        load_json('{"a": ' * depth + "1" + "}" * depth)
    assert raised.value.code == "json_too_deep"


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    text = json.dumps({"recipient": "[" * 500 + '{"\\"' * 100, "badge": "x"})
    assert load_json(text)["badge"] == "x"


def test_deep_nesting_after_an_unterminated_string_is_still_malformed_not_a_crash() -> None:
    with pytest.raises(ParseError) as raised:
        load_json('{"a": "unterminated' + "[" * 100_000)
    assert raised.value.code == "not_json"


def test_input_over_the_size_limit_is_refused() -> None:
    error = parse_error('{"a": "' + "x" * MAX_INPUT_BYTES + '"}')
    assert error.code == "input_too_large"


def test_json_pointing_at_a_hosted_assertion_is_read_as_its_url() -> None:
    url = "https://issuer.example/assertions/1"
    reference = {"@context": "https://w3id.org/openbadges/v2", "type": "Assertion", "id": url}
    parsed = parse_badge_text(json.dumps(reference))
    assert (parsed.form, parsed.url) == ("url", url)


@pytest.mark.parametrize(
    "document",
    [
        {"type": "BadgeClass", "id": "https://issuer.example/badge"},
        {"type": "Assertion", "id": "urn:uuid:0b9d2f0e-3b1a-4a0e-9a59-6d1f8d0f4a11"},
    ],
    ids=["badge class", "not a web address"],
)
def test_json_that_points_at_no_hosted_assertion_is_no_badge(document: dict[str, str]) -> None:
    with pytest.raises(ParseError) as raised:
        parse_badge_text(json.dumps(document))
    assert raised.value.code == "not_a_badge"
