"""The 1EdTech JSON Schema check, when a credential's `credentialSchema` asks for it.

Only entries of type `1EdTechJsonSchemaValidator2019` are checked (ob3-host.md A.5), with
JSON Schema draft 2019-09, against schemas bundled with the library (`schemas/`, keyed by
their `$id`): nothing is fetched, since a schema URL is the issuer's to name and a fetched
schema could be anything. The official schemas want `proof` as an array while real
credentials (1EdTech's own among them) carry one object, so a single proof is made a list
before validating; and a schema miss is a warning, not a refusal, since the checks that
prove a badge (context, types, subject, proof, status, dates) are made on their own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, Final

from jsonschema import Draft201909Validator
from jsonschema.exceptions import SchemaError

from backpack.openbadges.credentials.extract import as_list
from backpack.openbadges.report import VerificationReport

SCHEMA_TYPE: Final = "1EdTechJsonSchemaValidator2019"
SCHEMA_FOLDER: Final = Path(__file__).resolve().parent / "schemas"
_JSON_LD_PATH: Final = "/spec/ob/v3p0/schema/json-ld/"
_JSON_PATH: Final = "/spec/ob/v3p0/schema/json/"
# At most this many schema problems are named in one warning.
_SHOWN_PROBLEMS: Final = 3


def check_schemas(credential: Mapping[str, Any], report: VerificationReport) -> None:
    """Validate against every bundled schema the credential names; misses are warnings."""
    for entry in as_list(credential.get("credentialSchema")):
        if not isinstance(entry, dict) or entry.get("type") != SCHEMA_TYPE:
            continue
        url = entry.get("id")
        schema = bundled_schemas().get(url) if isinstance(url, str) else None
        if schema is None:
            report.warn(
                "credential_schema_unavailable",
                f"The credential names the schema {url!r}, which this backpack does not hold; "
                "it was not checked against it.",
            )
            continue
        problems = schema_problems(credential, schema)
        if problems:
            shown = "; ".join(problems[:_SHOWN_PROBLEMS])
            more = f" (and {len(problems) - _SHOWN_PROBLEMS} more)" if len(problems) > 3 else ""
            report.warn(
                "credential_schema_mismatch",
                f"The credential does not follow its schema {url}: {shown}{more}.",
            )


def schema_problems(credential: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    """What a credential breaks of a draft 2019-09 schema, one sentence each, proof as a list."""
    document = dict(credential)
    if isinstance(document.get("proof"), dict):
        document["proof"] = [document["proof"]]
    try:
        Draft201909Validator.check_schema(schema)
        validator = Draft201909Validator(schema)
        errors = sorted(validator.iter_errors(document), key=lambda error: list(error.path))
    except (SchemaError, RecursionError):
        return ["the schema itself cannot be used"]
    return [f"{_where(list(error.absolute_path))}: {error.message[:200]}" for error in errors]


@cache
def bundled_schemas() -> dict[str, dict[str, Any]]:
    """The schemas in `schemas/` by their `$id` (read once)."""
    schemas: dict[str, dict[str, Any]] = {}
    for path in sorted(SCHEMA_FOLDER.glob("*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(schema, dict) and isinstance(schema.get("$id"), str):
            schemas[schema["$id"]] = schema
            # 1EdTech serves each schema under /schema/json/ (the address credentials name)
            # while its `$id` says /schema/json-ld/: one schema, known by both.
            schemas.setdefault(schema["$id"].replace(_JSON_LD_PATH, _JSON_PATH), schema)
    return schemas


def _where(path: list[Any]) -> str:
    return "/".join(str(step) for step in path) or "the credential"
