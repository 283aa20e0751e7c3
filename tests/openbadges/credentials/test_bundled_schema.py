"""The official 1EdTech AchievementCredential schema, bundled: 1EdTech's own credentials
that name it follow it, ones with wrongly typed parts miss it, and a miss is a warning."""

from __future__ import annotations

import json
from typing import Any

import pytest

from backpack.openbadges.credentials.schema import SCHEMA_TYPE, bundled_schemas, check_schemas
from backpack.openbadges.report import VerificationReport
from tests.support.credential_views import corpus_credential

SCHEMA_URLS = [
    # The address credentials name, and the `$id` the published file carries.
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json-ld/ob_v3p0_achievementcredential_schema.json",
]
ANY_ACHIEVEMENT = (  # the VC 1.1 schema, which no public copy was found of
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_anyachievementcredential_schema.json"
)


def _naming(name: str, url: str = SCHEMA_URLS[0]) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(corpus_credential(name))
    document["credentialSchema"] = [{"id": url, "type": SCHEMA_TYPE}]
    return document


def _checked(document: dict[str, Any]) -> VerificationReport:
    report = VerificationReport()
    check_schemas(document, report)
    return report


def test_the_schema_is_known_by_the_address_credentials_name_and_by_its_id() -> None:
    schemas = bundled_schemas()
    assert schemas[SCHEMA_URLS[0]] is schemas[SCHEMA_URLS[1]]


def test_the_complete_1edtech_credential_follows_the_schema_it_names() -> None:
    complete = json.loads(corpus_credential("complete.json"))
    assert complete["credentialSchema"][0]["id"] == SCHEMA_URLS[0]
    report = _checked(complete)
    assert report.warnings == []
    assert report.errors == []


@pytest.mark.parametrize("url", SCHEMA_URLS)
@pytest.mark.parametrize(
    "name", ["simple.json", "simple-did-key-method.json", "simple-multiple-proofs.json"]
)
def test_1edtechs_valid_credentials_follow_it(name: str, url: str) -> None:
    report = _checked(_naming(name, url))
    assert report.warnings == []
    assert report.errors == []


@pytest.mark.parametrize(
    ("name", "where"),
    [
        ("simple-err-credential-subject-type.json", "credentialSubject/type"),
        ("simple-err-credential-subject-identifier-type.json", "credentialSubject/identifier/0"),
        ("simple-err-issuer-type.json", "issuer"),
        ("simple-err-type.json", "type"),
        # VC 1.1 credentials have their own schema (anyachievementcredential).
        ("simple_v1.json", "validFrom"),
    ],
)
def test_wrongly_typed_credentials_miss_it_with_a_warning_not_an_error(
    name: str, where: str
) -> None:
    report = _checked(_naming(name))
    assert report.errors == []
    [warning] = report.warnings
    assert warning.code == "credential_schema_mismatch"
    assert where in warning.message


def test_the_vc_1_1_schema_is_not_bundled_and_says_so() -> None:
    [warning] = _checked(_naming("simple_v1.json", ANY_ACHIEVEMENT)).warnings
    assert warning.code == "credential_schema_unavailable"
