"""JSON-LD: bundled offline contexts, and compaction into the 2.0 context with or without pyld."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest
from pyld import jsonld as pyld

from backpack.openbadges import jsonld
from backpack.openbadges.canonical_v2 import compact_canonical
from backpack.openbadges.errors import ParseError

V2 = jsonld.V2_CONTEXT
OB20 = "digital-credentials-public-validator/inspector-vc/src/test/resources/ob20"
CONTEXTS = Path(jsonld.__file__).parent / "contexts"


def compact_with_pyld(document: dict[str, Any]) -> dict[str, Any]:
    """What pyld itself makes of a document: the result the fast path must equal."""
    options = {"documentLoader": jsonld.document_loader, "base": None}
    expanded = pyld.expand(copy.deepcopy(document), options)
    result: dict[str, Any] = pyld.compact(expanded, V2, {**options, "skipExpansion": True})
    return result


@pytest.mark.parametrize("url", sorted(jsonld.CONTEXT_FILES))
def test_every_well_known_context_is_bundled(url: str) -> None:
    assert "@context" in jsonld.load_context(url)


def test_every_bundled_context_file_has_its_source_recorded() -> None:
    sources = (CONTEXTS / "SOURCES.md").read_text()
    for name in set(jsonld.CONTEXT_FILES.values()):
        assert f"`{name}`" in sources


def test_unknown_context_is_refused_not_fetched() -> None:
    document = {"@context": "https://evil.example/context.json", "id": "urn:x", "name": "n"}
    with pytest.raises(ParseError) as raised:
        jsonld.compact_to_v2(document)
    assert raised.value.code == "unknown_context"
    assert "https://evil.example/context.json" in raised.value.message


def test_broken_json_ld_is_reported_as_invalid() -> None:
    document = {"@context": [V2, {"name": 5}], "id": "https://issuer.example/a", "name": "n"}
    with pytest.raises(ParseError) as raised:
        jsonld.compact_to_v2(document)
    assert raised.value.code == "invalid_jsonld"


def test_1_1_document_is_compacted_into_the_2_0_context() -> None:
    document = {
        "@context": "https://w3id.org/openbadges/v1",
        "type": "Assertion",
        "id": "https://issuer.example/a",
        "verify": {"type": "hosted", "url": "https://issuer.example/a"},
        "issuedOn": "2016-01-01",
    }
    compacted = jsonld.compact_to_v2(document)
    assert compacted["@context"] == V2
    assert compacted["verification"] == {"type": "hosted", "url": "https://issuer.example/a"}
    assert "verify" not in compacted


def test_canonical_document_is_compacted_without_pyld(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_pyld(*args: object, **kwargs: object) -> None:
        raise AssertionError("pyld must not run on a canonical 2.0 document")

    monkeypatch.setattr(pyld, "expand", no_pyld)
    document = {
        "@context": V2,
        "type": "Assertion",
        "id": "https://issuer.example/a",
        "verify": {"type": "HostedBadge"},
        "badge": {"id": "https://issuer.example/b"},
        "tags": ["one"],
        "expires": None,
        "unknownProperty": 1,
    }
    assert jsonld.compact_to_v2(document) == {
        "@context": V2,
        "type": "Assertion",
        "id": "https://issuer.example/a",
        "verification": {"type": "hosted"},
        "badge": "https://issuer.example/b",
        "tags": "one",
    }


def test_compaction_leaves_its_input_unchanged() -> None:
    document = {
        "@context": [V2, {"x": "https://x.example/"}],
        "id": "urn:a",
        "verify": {"type": "signed"},
    }
    before = copy.deepcopy(document)
    jsonld.compact_to_v2(document)
    assert document == before


def corpus_documents(corpus: Path) -> list[dict[str, Any]]:
    documents = []
    for path in sorted((corpus / OB20).glob("**/*.json")):
        try:
            document = json.loads(path.read_text())
        except ValueError:
            continue  # a fixture with comments
        if document.get("@context") == V2:
            documents.append(document)
    return documents


def test_fast_path_equals_pyld_on_the_reference_fixtures(corpus: Path) -> None:
    fast_ones = 0
    for document in corpus_documents(corpus):
        fast = compact_canonical(document)
        if fast is None:
            assert "@language" in json.dumps(document)  # the only kind it declines here
            continue
        fast_ones += 1
        assert fast == compact_with_pyld(document)
    assert fast_ones > 20


TERMS = [
    "id", "type", "name", "description", "image", "badge", "issuer", "verify", "verification",
    "recipient", "identity", "hashed", "salt", "issuedOn", "expires", "revoked",
    "revokedAssertions", "revocationReason", "evidence", "narrative", "tags", "alignment",
    "targetName", "targetUrl", "publicKey", "creator", "owner", "startsWith", "allowedOrigins",
    "url", "email", "endorsement", "claim", "uid", "HostedBadge", "hosted", "schema", "snood",
]  # fmt: skip
STRINGS = [
    "https://issuer.example/a", "urn:uuid:1", "_:b0", "text", "", "2016-01-01T00:00:00Z",
    "http://schema.org/x", "schema:y", "Assertion", "HostedBadge", "hosted", "email", "rel/x",
]  # fmt: skip


def random_value(rng: random.Random, depth: int) -> Any:
    roll = rng.random()
    if depth > 2 or roll < 0.45:
        return rng.choice([*STRINGS, True, False, 3, None])
    if roll < 0.75:
        return random_node(rng, depth + 1)
    return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]


def random_node(rng: random.Random, depth: int) -> dict[str, Any]:
    node = {rng.choice(TERMS): random_value(rng, depth) for _ in range(rng.randint(0, 4))}
    if rng.random() < 0.5:
        node["type"] = rng.choice([rng.choice(STRINGS + TERMS), ["Assertion", "Extension"], []])
    return node


def test_fast_path_equals_pyld_on_generated_documents() -> None:
    rng = random.Random(2024)
    compared = 0
    for _ in range(3000):
        document = {"@context": V2, **random_node(rng, 0)}
        fast = compact_canonical(document)
        if fast is None:
            continue  # declined: pyld handles it
        compared += 1
        assert fast == compact_with_pyld(document), json.dumps(document)
    assert compared > 500


def test_an_unknown_extension_context_is_left_out_not_fatal() -> None:
    document = {
        "@context": "https://w3id.org/openbadges/v2",
        "type": "Assertion",
        "id": "https://issuer.example/a/1",
        "extensions:ApplyLink": {
            "@context": "https://issuer.example/extensions/apply-link/context.json",
            "type": ["Extension", "extensions:ApplyLink"],
            "url": "https://issuer.example/apply",
        },
        "narrative": "Kept",
    }
    compacted = jsonld.compact_to_v2(
        {**document, "@context": ["https://w3id.org/openbadges/v2", {}]}
    )
    assert compacted["id"] == "https://issuer.example/a/1"
    assert compacted["narrative"] == "Kept"
    assert document["extensions:ApplyLink"]["@context"].startswith("https://issuer.example")
