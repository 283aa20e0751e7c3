"""Verifying hosted badges, and what verification makes of every kind of bad input."""

from __future__ import annotations

import json
import socket
import struct
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from backpack.openbadges import verify as verify_module
from backpack.openbadges.baking import bake
from backpack.openbadges.recipient import identity_hash
from backpack.openbadges.safe_fetcher import Fetcher
from tests.openbadges.issuer_site import RECIPIENT, IssuerSite, sign
from tests.openbadges.verification_helpers import errors, message, verify, warnings
from tests.support.http_server import LocalHTTPServer
from tests.support.issuer import make_png

HEART = "openbadges-bakery/openbadges_bakery/testfiles/public_domain_heart.png"
JPEG = (
    "openbadges-validator-core/_extra_from_history/pr246/tests/testfiles/"
    "public_domain_heart_jpeg.jpg"
)
UNBAKED_SVG = "openbadges-bakery/openbadges_bakery/testfiles/unbaked_example.svg"


@pytest.fixture
def site(http_server: LocalHTTPServer) -> IssuerSite:
    return IssuerSite(http_server)


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    fetcher = Fetcher(allow_private=True, timeout=5.0)
    yield fetcher
    fetcher.close()


def test_hosted_badge_url_verifies_with_its_badge_class_and_issuer(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    badge = site.hosted_badge()
    report = verify(badge["id"], fetcher)
    assert errors(report) == []
    assert report.valid
    assert report.version == "2.0"
    assert report.verification_kind == "hosted"
    assert report.source_url == badge["id"]
    assert report.recipient_matched is True
    assert report.matched_identity == RECIPIENT
    assert report.assertion is not None
    assert report.assertion["badge"]["name"] == "Robot Wrangler"
    assert report.assertion["badge"]["issuer"]["name"] == "Example Issuer"
    assert report.to_json() == {
        "valid": True,
        "status": "valid",
        "version": "2.0",
        "recipient_matched": True,
        "revoked": False,
        "expired": False,
        "errors": [],
        "warnings": [m.to_json() for m in report.warnings],
        "badge": {
            "name": "Robot Wrangler",
            "issuer_name": "Example Issuer",
            "issued_on": "2020-01-02T03:04:05Z",
            "expires": None,
        },
    }


def test_hosted_badge_json_is_checked_against_the_copy_its_issuer_hosts(
    site: IssuerSite, fetcher: Fetcher, http_server: LocalHTTPServer
) -> None:
    badge = site.hosted_badge()
    report = verify(json.dumps(badge), fetcher)
    assert report.valid, report.errors
    assert any(r.path.endswith(badge["id"].rsplit("/", 1)[1]) for r in http_server.requests)


def test_badge_baked_in_a_png_verifies(site: IssuerSite, fetcher: Fetcher, corpus: Path) -> None:
    image = bake((corpus / HEART).read_bytes(), json.dumps(site.hosted_badge()))
    assert verify(image, fetcher).valid


def test_hosted_url_baked_in_an_svg_verifies(
    site: IssuerSite, fetcher: Fetcher, corpus: Path
) -> None:
    image = bake((corpus / UNBAKED_SVG).read_bytes(), site.hosted_badge()["id"])
    assert verify(image, fetcher).valid
    assert verify(image.decode(), fetcher).valid  # SVG markup handed in as text


def badgr_reference(url: str) -> str:
    """The JSON Badgr's UI gave earners for a badge: a pointer to the hosted assertion."""
    return json.dumps(
        {"@context": "https://w3id.org/openbadges/v2", "type": "Assertion", "id": url}
    )


def test_json_reference_to_a_hosted_assertion_verifies_what_is_hosted(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    badge = site.hosted_badge()
    report = verify(badgr_reference(badge["id"]), fetcher)
    assert errors(report) == []
    assert report.version == "2.0"
    assert report.verification_kind == "hosted"
    assert report.source_url == badge["id"]
    assert report.recipient_matched is True
    assert report.badge is not None
    assert report.badge.name == "Robot Wrangler"


def test_json_reference_to_a_missing_assertion_is_not_found(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    report = verify(badgr_reference(site.url("/assertions/gone.json")), fetcher)
    assert errors(report) == ["not_found"]


def test_json_reference_to_a_revoked_assertion_is_revoked(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    badge = site.assertion()
    site.serve(urlsplit(badge["id"]).path, {"id": badge["id"], "revoked": True})
    report = verify(badgr_reference(badge["id"]), fetcher)
    assert report.revoked


def test_svg_baked_under_the_https_namespace_verifies(
    site: IssuerSite, fetcher: Fetcher, corpus: Path
) -> None:
    image = bake((corpus / UNBAKED_SVG).read_bytes(), site.hosted_badge()["id"])
    https = image.replace(b'"http://openbadges.org"', b'"https://openbadges.org"')
    assert https != image
    report = verify(https, fetcher)
    assert errors(report) == []
    assert report.recipient_matched is True


def test_svg_with_malformed_json_is_verified_at_its_verify_url(
    site: IssuerSite, fetcher: Fetcher, corpus: Path
) -> None:
    # Made as Mozilla's bakery test file bad-json.svg is: a good verify URL beside a CDATA
    # body that is not JSON (unquoted keys).
    url = site.hosted_badge()["id"]
    svg = (corpus / "mozilla-openbadges-bakery/test/bad-json.svg").read_bytes()
    svg = svg.replace(b'verify="http://example.org"', f'verify="{url}"'.encode())
    report = verify(svg, fetcher)
    assert errors(report) == []
    assert report.source_url == url
    assert "baked_json_unreadable" in warnings(report)


def test_url_serving_a_baked_image_verifies_the_badge_inside(
    site: IssuerSite, fetcher: Fetcher, corpus: Path
) -> None:
    image = bake((corpus / HEART).read_bytes(), json.dumps(site.hosted_badge()))
    site.server.serve("/badge-image.png", image, content_type="image/png")
    assert verify(site.url("/badge-image.png"), fetcher).valid


def test_revoked_hosted_badge_is_reported_revoked(site: IssuerSite, fetcher: Fetcher) -> None:
    badge = site.assertion("gone")
    site.serve("/assertions/gone.json", {"id": badge["id"], "revoked": True,
               "revocationReason": "Awarded by mistake"}, status=410)  # fmt: skip
    report = verify(json.dumps(badge), fetcher)
    assert report.revoked
    assert not report.valid
    assert message(report, "revoked") == "Revoked by the issuer: Awarded by mistake"
    assert report.assertion is not None
    assert report.recipient_matched is True


def test_hosted_url_answering_410_is_revoked(site: IssuerSite, fetcher: Fetcher) -> None:
    site.server.serve("/assertions/old.json", b"", status=410)
    report = verify(site.url("/assertions/old.json"), fetcher)
    assert report.revoked
    assert errors(report) == ["revoked"]
    assert message(report, "revoked") == "Revoked by the issuer (no reason given)."


def test_hosted_copy_saying_revoked_is_revoked(site: IssuerSite, fetcher: Fetcher) -> None:
    badge = site.hosted_badge(revoked=True, revocationReason="Cheating")
    report = verify(badge["id"], fetcher)
    assert report.revoked
    assert "Cheating" in message(report, "revoked")


def test_badge_differing_from_its_hosted_copy_is_a_mismatch(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    badge = site.hosted_badge()
    forged = {
        **badge,
        "recipient": {"type": "email", "hashed": False, "identity": "eve@example.org"},
    }
    report = verify(json.dumps(forged), fetcher, recipients=["eve@example.org"])
    assert "hosted_mismatch" in errors(report)
    # The hosted copy is the one trusted, and it is not Eve's.
    assert report.recipient_matched is False


def test_missing_hosted_copy_is_not_found(site: IssuerSite, fetcher: Fetcher) -> None:
    report = verify(json.dumps(site.assertion("nowhere")), fetcher)
    assert errors(report) == ["not_found"]
    assert not report.unverifiable
    assert report.assertion is not None  # the content was read, so it can be shown


def test_forbidden_hosted_copy_is_an_http_error(site: IssuerSite, fetcher: Fetcher) -> None:
    badge = site.assertion("secret")
    site.serve("/assertions/secret.json", {"error": "no"}, status=403)
    assert errors(verify(json.dumps(badge), fetcher)) == ["http_error"]


def test_issuer_server_error_leaves_the_badge_unverifiable(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    badge = site.assertion("flaky")
    site.serve("/assertions/flaky.json", {"error": "down"}, status=503)
    report = verify(json.dumps(badge), fetcher)
    assert errors(report) == ["server_error"]
    assert report.unverifiable
    assert report.matched_identity == RECIPIENT
    assert report.assertion is not None


def test_unreachable_issuer_leaves_the_badge_unverifiable(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    badge = site.assertion(id=f"http://127.0.0.1:{port}/assertions/1.json")
    report = verify(json.dumps(badge), fetcher)
    assert errors(report) == ["unreachable"]
    assert report.unverifiable
    assert report.recipient_matched is True


def test_slow_issuer_times_out_and_leaves_the_badge_unverifiable(site: IssuerSite) -> None:
    badge = site.hosted_badge()
    site.server.stall("/badge.json")
    impatient = Fetcher(allow_private=True, timeout=0.3)
    try:
        report = verify(badge["id"], impatient)
    finally:
        impatient.close()
    assert errors(report) == ["fetch_timeout"]
    assert report.unverifiable
    assert report.assertion is not None


def test_unreachable_badge_url_has_no_content_to_keep(fetcher: Fetcher) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    report = verify(f"http://127.0.0.1:{port}/a.json", fetcher)
    assert errors(report) == ["unreachable"]
    assert report.assertion is None
    assert report.status == "unverifiable"


def test_oversized_issuer_document_is_refused(site: IssuerSite) -> None:
    badge = site.hosted_badge()
    site.server.stream("/badge.json", total_bytes=200_000)
    small = Fetcher(allow_private=True, max_bytes=50_000)
    try:
        report = verify(badge["id"], small)
    finally:
        small.close()
    assert errors(report) == ["response_too_large"]
    assert not report.unverifiable


def test_redirect_loop_is_refused(site: IssuerSite, fetcher: Fetcher) -> None:
    site.server.redirect("/loop-a", "/loop-b")
    site.server.redirect("/loop-b", "/loop-a")
    assert errors(verify(site.url("/loop-a"), fetcher)) == ["too_many_redirects"]


def test_private_addresses_are_not_fetched_by_default(site: IssuerSite) -> None:
    badge = site.hosted_badge()
    report = verify(badge["id"], Fetcher())
    assert errors(report) == ["private_address"]


def test_url_with_credentials_is_refused(site: IssuerSite, fetcher: Fetcher) -> None:
    url = site.url("/a.json").replace("http://", "http://user:secret@")
    assert errors(verify(url, fetcher)) == ["fetch_refused"]


def test_badge_class_link_that_is_not_http_is_refused(site: IssuerSite, fetcher: Fetcher) -> None:
    badge = site.hosted_badge(badge="ftp://issuer.example/badge.json")
    assert errors(verify(badge["id"], fetcher)) == ["fetch_refused"]


def test_hosted_badge_without_a_url_cannot_be_verified(site: IssuerSite, fetcher: Fetcher) -> None:
    badge = site.assertion(id="urn:uuid:4f1b4e3c-0000-4000-8000-000000000000")
    report = verify(json.dumps(badge), fetcher)
    assert errors(report) == ["no_hosted_url"]
    assert report.assertion is not None


def test_assertion_hosted_away_from_its_issuer_is_refused(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    # localhost and 127.0.0.1 are the same server but not the same host name.
    elsewhere = site.url("/assertions/x.json").replace("127.0.0.1", "localhost")
    site.hosted_badge("x", id=elsewhere)
    report = verify(elsewhere, fetcher)
    assert errors(report) == ["outside_issuer_scope"]
    assert "localhost" in message(report, "outside_issuer_scope")


def test_issuer_allowed_origins_let_it_host_badges_elsewhere(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    port = site.server.port
    site.issuer["verification"] = {"allowedOrigins": [f"localhost:{port}", "example.org"]}
    site.publish()
    elsewhere = site.url("/assertions/x.json").replace("127.0.0.1", "localhost")
    site.hosted_badge("x", id=elsewhere)
    assert verify(elsewhere, fetcher).valid


def test_assertion_outside_the_issuers_starts_with_is_refused(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    site.issuer["verification"] = {"startsWith": [site.url("/awarded/")]}
    site.publish()
    assert errors(verify(site.hosted_badge()["id"], fetcher)) == ["outside_issuer_scope"]
    allowed = site.hosted_badge(id=site.url("/awarded/1.json"))
    site.serve("/awarded/1.json", allowed)
    assert verify(allowed["id"], fetcher).valid


def test_issuer_without_a_web_id_skips_the_scope_check_with_a_warning(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    site.issuer["id"] = "urn:uuid:2d391246-6e0d-4dab-906c-b29770bd7aa6"
    site.publish()
    report = verify(site.hosted_badge()["id"], fetcher)
    assert report.valid
    assert "issuer_not_http" in warnings(report)


def test_redirected_badge_is_valid_with_a_warning(site: IssuerSite, fetcher: Fetcher) -> None:
    badge = site.hosted_badge()
    site.server.redirect("/short", badge["id"])
    report = verify(site.url("/short"), fetcher)
    assert report.valid
    assert "redirected" in warnings(report)


def test_document_declaring_another_id_is_fetched_from_that_id(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    site.serve("/old-badge.json", site.badge_class)  # declares /badge.json
    report = verify(site.hosted_badge(badge=site.url("/old-badge.json"))["id"], fetcher)
    assert report.valid
    assert "id_differs" in warnings(report)
    assert report.assertion is not None
    assert report.assertion["badge"]["id"] == site.badge_class["id"]


def test_document_declaring_yet_another_id_is_an_id_mismatch(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    site.serve("/a.json", {**site.badge_class, "id": site.url("/b.json")})
    site.serve("/b.json", {**site.badge_class, "id": site.url("/c.json")})
    report = verify(site.hosted_badge(badge=site.url("/a.json"))["id"], fetcher)
    assert errors(report) == ["id_mismatch"]


def test_hosted_assertion_with_an_id_that_is_not_its_url_is_an_id_mismatch(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    site.serve("/assertions/odd.json", site.assertion(id="urn:uuid:1"))
    assert errors(verify(site.url("/assertions/odd.json"), fetcher)) == ["id_mismatch"]


def test_badge_hashed_from_a_mozilla_case_variant_matches_with_a_warning(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    # The issuer hashed the address as the earner typed it on its form.
    recipient = {
        "type": "email",
        "hashed": True,
        "salt": "s",
        "identity": identity_hash("Alice@Example.Org", "s"),
    }
    report = verify(site.hosted_badge(recipient=recipient)["id"], fetcher)
    assert errors(report) == []
    assert report.recipient_matched is True
    assert report.matched_identity == RECIPIENT
    [variant] = [m for m in report.warnings if m.code == "recipient_case_variant"]
    assert "Alice@Example.Org (title case per word)" in variant.message


def test_badge_hashed_from_the_lower_case_address_needs_no_warning(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    report = verify(site.hosted_badge()["id"], fetcher, recipients=["Alice@Example.org"])
    assert report.recipient_matched is True
    assert "recipient_case_variant" not in warnings(report)


def test_plain_http_issuer_gets_an_insecure_url_warning(site: IssuerSite, fetcher: Fetcher) -> None:
    report = verify(site.hosted_badge()["id"], fetcher)
    assert report.valid
    assert "insecure_url" in warnings(report)


def test_expired_badge_is_expired(site: IssuerSite, fetcher: Fetcher) -> None:
    report = verify(site.hosted_badge(expires="2021-01-01T00:00:00Z")["id"], fetcher)
    assert report.expired
    assert errors(report) == ["expired"]
    assert report.badge is not None
    assert report.badge.expires == "2021-01-01T00:00:00Z"


def test_badge_that_has_not_expired_yet_is_valid(site: IssuerSite, fetcher: Fetcher) -> None:
    badge = site.hosted_badge(expires="2030-01-01T00:00:00Z")
    report = verify(badge["id"], fetcher, now=datetime(2029, 12, 31, tzinfo=UTC))
    assert report.valid
    assert not report.expired


def test_badge_issued_in_the_future_is_invalid(site: IssuerSite, fetcher: Fetcher) -> None:
    badge = site.hosted_badge(issuedOn="2030-06-01T00:00:00Z")
    report = verify(badge["id"], fetcher, now=datetime(2030, 5, 1, tzinfo=UTC))
    assert errors(report) == ["issued_in_future"]


def test_badge_expiring_before_it_was_issued_is_invalid(site: IssuerSite, fetcher: Fetcher) -> None:
    badge = site.hosted_badge(issuedOn="2020-06-01T00:00:00Z", expires="2020-01-01T00:00:00Z")
    report = verify(badge["id"], fetcher)
    assert errors(report) == ["expires_before_issued", "expired"]


def test_badge_for_someone_else_is_a_recipient_mismatch(site: IssuerSite, fetcher: Fetcher) -> None:
    report = verify(site.hosted_badge()["id"], fetcher, recipients=["bob@example.org"])
    assert report.recipient_matched is False
    assert report.matched_identity is None
    assert errors(report) == ["recipient_mismatch"]


def test_recipient_is_matched_by_any_given_identity_ignoring_case(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    badge = site.hosted_badge()
    report = verify(badge["id"], fetcher, recipients={"email": ["bob@x.org", "ALICE@Example.org"]})
    assert report.matched_identity == "ALICE@Example.org"


def test_without_recipients_the_match_is_unknown(site: IssuerSite, fetcher: Fetcher) -> None:
    report = verify(site.hosted_badge()["id"], fetcher, recipients=None)
    assert report.valid
    assert report.recipient_matched is None
    assert report.to_json()["recipient_matched"] is None


def test_recipient_of_an_unusual_type_is_warned_about(site: IssuerSite, fetcher: Fetcher) -> None:
    badge = site.hosted_badge(recipient={"type": "schema:duns", "hashed": False, "identity": "1"})
    report = verify(badge["id"], fetcher, recipients={"schema:duns": ["1"]})
    assert report.valid
    assert "unknown_recipient_type" in warnings(report)


def test_badge_class_without_a_name_is_missing_a_property(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    del site.badge_class["name"]
    site.publish()
    report = verify(site.hosted_badge()["id"], fetcher)
    assert errors(report) == ["missing_property"]
    assert "name" in message(report, "missing_property")


def test_issuer_without_email_is_valid_with_a_warning_as_badgebot_publishes_it(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    # BadgeBot's issuer profiles give a name and a web site, and no contact address.
    del site.issuer["email"]
    site.publish()
    report = verify(site.hosted_badge()["id"], fetcher)
    assert errors(report) == []
    assert "issuer_without_email" in warnings(report)
    assert any("'Example Issuer'" in m.message for m in report.warnings)


def test_embedded_issuer_without_id_is_valid_with_a_warning_as_badgr_exports_it(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    # Badgr's exports embed the BadgeClass and its issuer, and the issuer has no id.
    issuer = {k: v for k, v in site.issuer.items() if k not in ("id", "publicKey")}
    badge_class = {**site.badge_class, "issuer": issuer}
    badge = site.hosted_badge(badge=badge_class)
    report = verify(json.dumps(badge), fetcher)
    assert errors(report) == []
    assert {"issuer_without_id", "issuer_not_http"} <= warnings(report)
    assert report.badge is not None
    assert report.badge.issuer_name == "Example Issuer"


def test_issuer_with_an_id_that_is_not_an_iri_is_still_invalid(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    site.issuer["id"] = "not an iri"
    badge_class = {**site.badge_class, "issuer": site.issuer}
    report = verify(json.dumps(site.hosted_badge(badge=badge_class)), fetcher)
    assert "invalid_property" in errors(report)


@pytest.mark.parametrize(
    "recipient",
    [
        {"type": "email", "hashed": True, "salt": "x", "identity": "sha256$abc"},
        {"type": "email", "hashed": False, "identity": "sha256$" + "a" * 64},
        {"type": "email", "hashed": False, "identity": "not an address"},
    ],
    ids=["short hash", "hash marked plain", "bad email"],
)
def test_malformed_recipient_is_an_invalid_property(
    site: IssuerSite, fetcher: Fetcher, recipient: dict[str, object]
) -> None:
    report = verify(site.hosted_badge(recipient=recipient)["id"], fetcher, recipients=None)
    assert errors(report) == ["invalid_property"]


def test_issued_on_without_time_zone_is_invalid_in_2_0(site: IssuerSite, fetcher: Fetcher) -> None:
    report = verify(site.hosted_badge(issuedOn="2020-01-02")["id"], fetcher)
    assert errors(report) == ["invalid_property"]


def test_issuer_of_the_wrong_type_is_reported(site: IssuerSite, fetcher: Fetcher) -> None:
    site.issuer["type"] = "Criteria"
    site.publish()
    report = verify(site.hosted_badge()["id"], fetcher)
    assert errors(report) == ["wrong_type"]


def test_unknown_json_ld_context_is_refused(site: IssuerSite, fetcher: Fetcher) -> None:
    badge = site.hosted_badge(**{"@context": "https://w3id.org/openbadges/invalid"})
    assert errors(verify(json.dumps(badge), fetcher)) == ["unknown_context"]


def test_broken_json_ld_is_reported(site: IssuerSite, fetcher: Fetcher) -> None:
    badge = site.hosted_badge(**{"@context": ["https://w3id.org/openbadges/v2", {"name": 5}]})
    assert errors(verify(json.dumps(badge), fetcher)) == ["invalid_jsonld"]


def test_open_badges_3_credential_goes_to_the_3_0_verifier(fetcher: Fetcher) -> None:
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
    }
    report = verify(json.dumps(credential), fetcher)
    assert report.version == "3.0"
    assert {"credential_subject", "missing_property"} <= set(errors(report))


def test_open_badges_3_vc_jwt_signed_with_es256k_gets_the_3_0_answer(fetcher: Fetcher) -> None:
    # ES256K (secp256k1) is common among 3.0 issuers from the blockchain world; whatever its
    # algorithm, a 3.0 credential is told apart from a 2.0 badge first.
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "did:example:issuer", "type": ["Profile"]},
    }
    claims = {"iss": "did:example:issuer", "vc": credential}
    token = sign(claims, ec.generate_private_key(ec.SECP256K1()), alg="ES256K")
    report = verify(token, fetcher)
    assert report.version == "3.0"
    assert report.status == "invalid"
    assert "unsupported_version" not in errors(report)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ("just some words", "unrecognised_input"),
        (b"\xff\xfe\x00 binary", "unrecognised_input"),
        ('{"recipient": ', "not_json"),
        ("[" * 1000 + "]" * 1000, "json_too_deep"),
        ("[1, 2, 3]", "not_a_badge"),
        ('{"x": "' + "y" * 5_000_000 + '"}', "input_too_large"),
        ("abc.def.ghi", "jws_malformed"),
        ("<html><body>Not an image</body></html>", "not_an_image"),
    ],
    ids=["words", "binary", "bad json", "deep json", "list", "huge", "bad jws", "html"],
)
def test_bad_input_is_reported_and_never_raises(
    data: str | bytes, code: str, fetcher: Fetcher
) -> None:
    report = verify(data, fetcher)
    assert errors(report) == [code]
    assert not report.valid
    assert report.to_json()["badge"] is None


def test_unexpected_failure_is_reported_not_raised(
    site: IssuerSite,
    fetcher: Fetcher,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("a bug")

    monkeypatch.setattr(verify_module, "validate_badge", broken)
    report = verify(site.hosted_badge()["id"], fetcher)
    assert errors(report) == ["internal_error"]
    assert "failed unexpectedly" in caplog.text


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(width: int, height: int, *extra: bytes) -> bytes:
    header = png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
    pixels = png_chunk(b"IDAT", zlib.compress(b"\x00" * (width * 4 + 1) * min(height, 4)))
    return b"\x89PNG\r\n\x1a\n" + header + b"".join(extra) + pixels + png_chunk(b"IEND", b"")


def test_png_without_a_badge_is_reported(corpus: Path, fetcher: Fetcher) -> None:
    assert errors(verify((corpus / HEART).read_bytes(), fetcher)) == ["no_badge_in_image"]


def test_jpeg_cannot_hold_a_badge(corpus: Path, fetcher: Fetcher) -> None:
    report = verify((corpus / JPEG).read_bytes(), fetcher)
    assert errors(report) == ["no_badge_in_image"]
    assert "JPEG" in message(report, "no_badge_in_image")


def test_badge_text_that_is_not_utf8_is_reported(fetcher: Fetcher) -> None:
    baked = png(1, 1, png_chunk(b"iTXt", b"openbadges\x00\x00\x00\x00\x00\xff\xfe\xfa"))
    assert errors(verify(baked, fetcher)) == ["invalid_baked_text"]


def test_truncated_png_is_reported(corpus: Path, fetcher: Fetcher) -> None:
    image = (corpus / HEART).read_bytes()
    assert errors(verify(image[: len(image) // 2], fetcher)) == ["truncated_image"]


def test_png_claiming_billions_of_pixels_is_a_decompression_bomb(fetcher: Fetcher) -> None:
    assert errors(verify(png(100_000, 100_000), fetcher)) == ["decompression_bomb"]


def test_oversized_image_is_refused(fetcher: Fetcher) -> None:
    huge = png(1, 1, png_chunk(b"tEXt", b"Comment\x00" + b"x" * 3_000_000))
    assert errors(verify(huge, fetcher)) == ["image_too_large"]


def test_svg_with_entities_is_refused(fetcher: Fetcher) -> None:
    svg = (
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "y">]>'
        b'<svg xmlns="http://www.w3.org/2000/svg">&x;</svg>'
    )
    assert errors(verify(svg, fetcher)) == ["unsafe_svg"]


def test_svg_with_scripts_is_refused(site: IssuerSite, fetcher: Fetcher) -> None:
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">'
        f'<openbadges:assertion verify="{site.hosted_badge()["id"]}"/>'
        "<script>alert(1)</script></svg>"
    )
    assert errors(verify(svg.encode(), fetcher)) == ["svg_has_scripts"]


def test_hosted_copy_that_is_only_a_revocation_notice_is_revoked(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    badge = site.assertion("notice")
    site.serve("/assertions/notice.json", {"@context": "https://w3id.org/openbadges/v2",
               "id": badge["id"], "revoked": True, "revocationReason": "Withdrawn"})  # fmt: skip
    report = verify(json.dumps(badge), fetcher)
    assert report.revoked
    assert errors(report) == ["revoked"]
    assert report.assertion is not None


def test_mozilla_backpack_stored_body_verifies_against_its_original_hosted_assertion(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    # The 1.0 assertion, BadgeClass and issuer as the issuer hosts them...
    site.serve("/1.0/badge.json", {
        "name": "Legacy", "description": "An old badge.", "image": site.url("/badge.png"),
        "criteria": site.url("/criteria"), "issuer": site.url("/1.0/issuer.json"),
    })  # fmt: skip
    site.serve("/1.0/issuer.json", {"name": "Old Issuer", "url": site.url("/")})
    original = {
        "uid": "m1",
        "recipient": {"type": "email", "hashed": False, "identity": RECIPIENT},
        "badge": site.url("/1.0/badge.json"),
        "verify": {"type": "hosted", "url": site.url("/1.0/m1.json")},
        "issuedOn": 1403784577,
    }
    site.serve("/1.0/m1.json", original)
    # ...and the body the Mozilla Backpack stored for it.
    body = {
        **original,
        "recipient": RECIPIENT,
        "_originalRecipient": original["recipient"],
        "issued_on": 1403784577,
        "badge": {"name": "Legacy", "_location": site.url("/1.0/badge.json"), "issuer": {
            "name": "Old Issuer", "_location": site.url("/1.0/issuer.json"),
            "origin": site.url("/").rstrip("/")}},
    }  # fmt: skip
    report = verify(json.dumps(body), fetcher)
    assert errors(report) == []
    assert report.version == "1.0"
    assert report.badge is not None
    assert report.badge.issuer_name == "Old Issuer"


def test_0_5_assertion_verifies_against_the_url_it_came_from(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    origin = site.url("/").rstrip("/")
    assertion = {
        "recipient": RECIPIENT,
        "issued_on": "2011-06-01",
        "badge": {"version": "0.5.0", "name": "Old", "description": "Old badge",
                  "image": "/img/old.png", "criteria": "/criteria",
                  "issuer": {"origin": origin, "name": "Old Issuer"}},
    }  # fmt: skip
    site.serve("/0.5/alice.json", assertion)
    site.server.serve("/img/old.png", make_png(), content_type="image/png")
    pasted = verify(json.dumps(assertion), fetcher)
    assert errors(pasted) == ["no_hosted_url"]
    assert "add it by that URL, or upload its baked image" in message(pasted, "no_hosted_url")
    report = verify(json.dumps(assertion), fetcher, hosted_url=site.url("/0.5/alice.json"))
    assert errors(report) == []
    assert report.version == "0.5"
    assert report.assertion is not None
    assert report.assertion["badge"]["image"] == origin + "/img/old.png"
    assert report.badge_image == make_png()  # fetched from the issuer's origin


def test_url_serving_a_web_page_is_not_badge_json(site: IssuerSite, fetcher: Fetcher) -> None:
    site.server.serve("/page", b"<html>Welcome</html>", content_type="text/html")
    report = verify(site.url("/page"), fetcher)
    assert errors(report) == ["not_json"]
    assert "text/html" in message(report, "not_json")
