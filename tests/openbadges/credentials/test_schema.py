"""The 1EdTech JSON Schema check: only when asked for, proof made a list, misses as warnings."""

from __future__ import annotations

from typing import Any

import pytest

from backpack.openbadges.credentials import schema
from backpack.openbadges.credentials.schema import SCHEMA_TYPE, check_schemas, schema_problems
from backpack.openbadges.report import VerificationReport

SCHEMA_ID = "https://schemas.example/credential.json"
# A schema shaped like 1EdTech's where it matters: proof must be an array of objects.
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2019-09/schema#",
    "$id": SCHEMA_ID,
    "type": "object",
    "required": ["id", "proof"],
    "properties": {
        "id": {"type": "string"},
        "proof": {"type": "array", "items": {"type": "object"}},
    },
}


@pytest.fixture
def bundled(monkeypatch: pytest.MonkeyPatch) -> None:
    """The schema above as if bundled."""
    monkeypatch.setattr(schema, "bundled_schemas", lambda: {SCHEMA_ID: SCHEMA})


def credential(**changes: Any) -> dict[str, Any]:
    document = {
        "id": "urn:uuid:1",
        "proof": {"type": "DataIntegrityProof"},
        "credentialSchema": [{"id": SCHEMA_ID, "type": SCHEMA_TYPE}],
    }
    return {**document, **changes}


def test_a_single_proof_object_passes_a_schema_that_wants_an_array() -> None:
    assert schema_problems(credential(), SCHEMA) == []


def test_a_schema_miss_is_a_warning_naming_where(bundled: None) -> None:
    report = VerificationReport()

    check_schemas(credential(id=5), report)

    assert report.errors == []
    assert [m.code for m in report.warnings] == ["credential_schema_mismatch"]
    assert "id: 5 is not of type 'string'" in report.warnings[0].message


def test_only_1edtech_schema_entries_are_checked(bundled: None) -> None:
    report = VerificationReport()

    check_schemas(
        credential(id=5, credentialSchema={"id": SCHEMA_ID, "type": "JsonSchema"}), report
    )

    assert report.warnings == []


def test_a_schema_not_bundled_is_never_fetched_and_says_so() -> None:
    report = VerificationReport()

    check_schemas(
        credential(credentialSchema=[{"id": "https://x.example/s", "type": SCHEMA_TYPE}]), report
    )

    assert [m.code for m in report.warnings] == ["credential_schema_unavailable"]


def test_a_broken_schema_is_reported_not_raised() -> None:
    assert schema_problems(credential(), {"type": 12}) == ["the schema itself cannot be used"]
