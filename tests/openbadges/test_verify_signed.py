"""Verifying signed badges: keys the issuer vouches for, signatures and revocation lists."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from backpack.openbadges.baking import bake
from backpack.openbadges.issuer_resources import IssuerResources
from backpack.openbadges.recipient import identity_hash
from backpack.openbadges.report import VerificationReport
from backpack.openbadges.safe_fetcher import Fetcher
from backpack.openbadges.signed_verification import verify_signature
from tests.openbadges.issuer_site import (
    RECIPIENT,
    IssuerSite,
    ec_key,
    public_pem,
    rsa_key,
    sign,
)
from tests.openbadges.verification_helpers import errors, message, verify, warnings
from tests.support.http_server import LocalHTTPServer
from tests.support.issuer import sign_like_mozilla

HEART = "openbadges-bakery/openbadges_bakery/testfiles/public_domain_heart.png"


@pytest.fixture
def site(http_server: LocalHTTPServer) -> IssuerSite:
    return IssuerSite(http_server)


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    fetcher = Fetcher(allow_private=True, timeout=5.0)
    yield fetcher
    fetcher.close()


def legacy_signed_badge(site: IssuerSite, key_url: str, **changes: object) -> dict[str, object]:
    """A 1.0 signed assertion whose BadgeClass and issuer are 1.0 documents on the site."""
    site.serve("/1.0/badge.json", {
        "name": "Legacy", "description": "An old badge.", "image": site.url("/badge.png"),
        "criteria": site.url("/criteria"), "issuer": site.url("/1.0/issuer.json"),
    })  # fmt: skip
    site.serve("/1.0/issuer.json", {"name": "Old Issuer", "url": site.url("/")})
    assertion: dict[str, object] = {
        "uid": "legacy-1",
        "recipient": {"type": "email", "hashed": False, "identity": RECIPIENT},
        "badge": site.url("/1.0/badge.json"),
        "verify": {"type": "signed", "url": key_url},
        "issuedOn": 1403784577,
    }
    assertion.update(changes)
    return assertion


def test_signed_badge_verifies_with_the_key_its_issuer_lists(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    report = verify(site.signed_badge(), fetcher)
    assert errors(report) == []
    assert report.valid
    assert report.verification_kind == "signed"
    assert report.source_url is None
    assert report.recipient_matched is True
    assert report.badge is not None
    assert report.badge.name == "Robot Wrangler"


def test_signed_badge_with_an_ec_key_verifies(
    http_server: LocalHTTPServer, fetcher: Fetcher
) -> None:
    site = IssuerSite(http_server, key=ec_key())
    assert verify(site.signed_badge(alg="ES256"), fetcher).valid


def test_signed_badge_without_a_creator_is_checked_with_the_issuers_keys(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    assert verify(site.signed_badge(verification={"type": "SignedBadge"}), fetcher).valid


def test_signed_badge_baked_in_a_png_verifies(
    site: IssuerSite, fetcher: Fetcher, corpus: Path
) -> None:
    assert verify(bake((corpus / HEART).read_bytes(), site.signed_badge()), fetcher).valid


def test_tampered_signed_badge_is_rejected(site: IssuerSite, fetcher: Fetcher) -> None:
    header, payload, signature = site.signed_badge().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["recipient"]["identity"] = identity_hash("eve@example.org", claims["recipient"]["salt"])
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    report = verify(f"{header}.{forged}.{signature}", fetcher, recipients=["eve@example.org"])
    assert errors(report) == ["jws_invalid_signature"]


def test_badge_signed_with_another_key_is_rejected(site: IssuerSite, fetcher: Fetcher) -> None:
    report = verify(site.signed_badge(key=rsa_key(name="impostor")), fetcher)
    assert errors(report) == ["jws_invalid_signature"]


def test_key_the_issuer_does_not_list_is_not_authorised(site: IssuerSite, fetcher: Fetcher) -> None:
    site.serve("/other-key.json", {**site.key_document, "id": site.url("/other-key.json")})
    verification = {"type": "SignedBadge", "creator": site.url("/other-key.json")}
    report = verify(site.signed_badge(verification=verification), fetcher)
    assert errors(report) == ["key_not_authorised"]


def test_key_owned_by_another_issuer_is_not_authorised(site: IssuerSite, fetcher: Fetcher) -> None:
    site.key_document["owner"] = site.url("/someone-else.json")
    site.publish()
    report = verify(site.signed_badge(), fetcher)
    assert errors(report) == ["key_not_authorised"]


def test_issuer_without_public_key_cannot_vouch_for_a_signature(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    del site.issuer["publicKey"]
    site.publish()
    report = verify(site.signed_badge(verification={"type": "SignedBadge"}), fetcher)
    assert errors(report) == ["no_public_key"]


def test_unreadable_issuer_key_is_reported(site: IssuerSite, fetcher: Fetcher) -> None:
    site.key_document["publicKeyPem"] = "not a key"
    site.publish()
    assert errors(verify(site.signed_badge(), fetcher)) == ["public_key_invalid"]


def test_missing_issuer_key_is_not_found(site: IssuerSite, fetcher: Fetcher) -> None:
    site.server.serve("/key.json", b"gone", status=404)
    assert errors(verify(site.signed_badge(), fetcher)) == ["not_found"]


@pytest.mark.parametrize("alg", ["none", "HS256"])
def test_unsigned_and_shared_secret_badges_are_refused(
    site: IssuerSite, fetcher: Fetcher, alg: str
) -> None:
    header = base64.urlsafe_b64encode(json.dumps({"alg": alg}).encode()).rstrip(b"=").decode()
    payload = site.signed_badge().split(".")[1]
    report = verify(f"{header}.{payload}.c2lnbmF0dXJl", fetcher)
    assert errors(report) == ["jws_alg_not_allowed"]


def test_signed_badge_given_as_plain_json_needs_its_signature(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    report = verify(json.dumps(site.signed_payload()), fetcher)
    assert errors(report) == ["signature_required"]
    assert report.verification_kind == "signed"
    assert report.recipient_matched is True


def test_signed_badge_claiming_hosted_verification_is_invalid(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    token = sign(site.signed_payload(verification={"type": "HostedBadge"}), site.key)
    assert "invalid_property" in errors(verify(token, fetcher))


def test_revocation_list_revokes_a_signed_badge_with_its_reason(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    token = site.signed_badge(id="urn:uuid:6deb4a00-ebce-4b28-8cc2-afa705ef7be4")
    site.revocation_list["revokedAssertions"] = [
        {"id": "urn:uuid:6deb4a00-ebce-4b28-8cc2-afa705ef7be4", "revocationReason": "Plagiarism"}
    ]
    site.publish()
    report = verify(token, fetcher)
    assert report.revoked
    assert errors(report) == ["revoked"]
    assert message(report, "revoked") == "Revoked by the issuer: Plagiarism"


@pytest.mark.parametrize(
    "entry",
    ["urn:uuid:00000000-0000-4000-8000-000000000001", {"uid": "abc-1", "revocationReason": "Old"}],
    ids=["plain id", "legacy uid"],
)
def test_revocation_list_entries_by_id_or_uid_revoke(
    site: IssuerSite, fetcher: Fetcher, entry: object
) -> None:
    token = site.signed_badge(id="urn:uuid:00000000-0000-4000-8000-000000000001", uid="abc-1")
    site.revocation_list["revokedAssertions"] = [entry, "urn:uuid:someone-else"]
    site.publish()
    assert verify(token, fetcher).revoked


def test_badge_not_on_the_revocation_list_is_valid(site: IssuerSite, fetcher: Fetcher) -> None:
    site.revocation_list["revokedAssertions"] = ["urn:uuid:someone-else"]
    site.publish()
    report = verify(site.signed_badge(), fetcher)
    assert report.valid
    assert not report.revoked


def test_unreadable_revocation_list_is_reported(site: IssuerSite, fetcher: Fetcher) -> None:
    site.revocation_list["revokedAssertions"] = [1, 2]
    site.publish()
    assert errors(verify(site.signed_badge(), fetcher)) == ["invalid_revocation_list"]


def test_unavailable_revocation_list_leaves_the_badge_unverifiable(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    site.server.serve("/revocations.json", b"down", status=502)
    report = verify(site.signed_badge(), fetcher)
    assert errors(report) == ["server_error"]
    assert report.unverifiable


def test_1_0_signed_badge_verifies_with_the_pem_at_its_verify_url(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    site.server.serve("/1.0/key.pem", public_pem(site.key).encode(), content_type="text/plain")
    token = sign(legacy_signed_badge(site, site.url("/1.0/key.pem")), site.key)
    report = verify(token, fetcher)
    assert errors(report) == []
    assert report.version == "1.0"
    assert report.assertion is not None
    assert report.assertion["issuedOn"] == "2014-06-26T12:09:37+00:00"
    assert report.assertion["badge"]["issuer"]["name"] == "Old Issuer"


def test_1_0_key_served_from_another_host_is_not_authorised(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    site.server.serve("/1.0/key.pem", public_pem(site.key).encode(), content_type="text/plain")
    elsewhere = site.url("/1.0/key.pem").replace("127.0.0.1", "localhost")
    report = verify(sign(legacy_signed_badge(site, elsewhere), site.key), fetcher)
    assert errors(report) == ["key_not_authorised"]


def test_1_0_revocation_list_revokes_by_uid(site: IssuerSite, fetcher: Fetcher) -> None:
    site.server.serve("/1.0/key.pem", public_pem(site.key).encode(), content_type="text/plain")
    token = sign(legacy_signed_badge(site, site.url("/1.0/key.pem")), site.key)
    site.serve("/1.0/issuer.json", {
        "name": "Old Issuer", "url": site.url("/"), "revocationList": site.url("/1.0/revoked.json"),
    })  # fmt: skip
    site.serve("/1.0/revoked.json", {"legacy-1": "Issued in error"})
    report = verify(token, fetcher)
    assert report.revoked
    assert message(report, "revoked") == "Revoked by the issuer: Issued in error"


def test_short_rsa_key_still_verifies_with_a_warning(
    http_server: LocalHTTPServer, fetcher: Fetcher
) -> None:
    site = IssuerSite(http_server, key=rsa_key(1024, name="old"))
    report = verify(site.signed_badge(), fetcher)
    assert report.valid
    assert "weak_key" in warnings(report)


def test_1_0_badge_signed_by_mozillas_tools_with_lower_case_rs256_verifies(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    site.server.serve("/1.0/key.pem", public_pem(site.key).encode(), content_type="text/plain")
    token = sign_like_mozilla(legacy_signed_badge(site, site.url("/1.0/key.pem")), site.key)
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": "rs256"}
    report = verify(token, fetcher)
    assert errors(report) == []
    assert report.version == "1.0"
    assert report.verification_kind == "signed"


def test_lower_case_rs256_badge_changed_after_signing_is_still_rejected(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    site.server.serve("/1.0/key.pem", public_pem(site.key).encode(), content_type="text/plain")
    header, _, signature = sign_like_mozilla(
        legacy_signed_badge(site, site.url("/1.0/key.pem")), site.key
    ).split(".")
    forged = legacy_signed_badge(site, site.url("/1.0/key.pem"), uid="forged")
    payload = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    assert errors(verify(f"{header}.{payload}.{signature}", fetcher)) == ["jws_invalid_signature"]


@pytest.mark.parametrize("alg", ["none", "NONE", "hs256", "HS256", "Hs512"])
def test_1_0_badges_unsigned_or_signed_with_a_shared_secret_are_refused_in_any_case(
    site: IssuerSite, fetcher: Fetcher, alg: str
) -> None:
    legacy = legacy_signed_badge(site, site.url("/1.0/key.pem"))
    header = base64.urlsafe_b64encode(json.dumps({"alg": alg}).encode()).rstrip(b"=").decode()
    payload = base64.urlsafe_b64encode(json.dumps(legacy).encode()).rstrip(b"=").decode()
    assert errors(verify(f"{header}.{payload}.c2ln", fetcher)) == ["jws_alg_not_allowed"]


def test_2_0_badge_must_name_its_algorithm_as_the_spec_spells_it(
    site: IssuerSite, fetcher: Fetcher
) -> None:
    # Open Badges 2.0 post-dates Mozilla's tools; its issuers follow RFC 7515 to the letter.
    token = sign_like_mozilla(site.signed_payload(), site.key)
    assert errors(verify(token, fetcher)) == ["jws_alg_not_allowed"]


def test_keys_listed_as_lists_are_not_the_signers_key(site: IssuerSite) -> None:
    # Compaction never leaves a list in a list, but the check must not rely on it.
    creator = site.key_document["id"]
    issuer = {"id": site.issuer["id"], "name": "Example Issuer", "publicKey": [[creator]]}
    assertion = {"badge": {"issuer": issuer}, "verification": {"creator": creator}}
    report = VerificationReport()
    resources = IssuerResources(Fetcher(address_policy=lambda _: False), report)
    assert not verify_signature(site.signed_badge(), assertion, "2.0", resources, report)
    assert [e.code for e in report.errors] == ["key_not_authorised"]
