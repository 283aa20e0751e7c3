"""Canonicalisation in safe mode: offline contexts only, and hostile JSON-LD gets a reason."""

from __future__ import annotations

import time
from typing import Any

import pytest
from pyld.jsonld import JsonLdProcessor

from backpack.openbadges.credentials.canonical import canonical_nquads
from backpack.openbadges.errors import ParseError
from backpack.openbadges.jsonld import CONTEXT_FILES
from tests.openbadges.credentials.issuer_hosts import ob30

V2 = "https://www.w3.org/ns/credentials/v2"
OB = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"


def refused(document: Any) -> ParseError:
    started = time.monotonic()
    with pytest.raises(ParseError) as caught:
        canonical_nquads(document)
    assert time.monotonic() - started < 5, "hostile input must be refused quickly"
    assert caught.value.message
    return caught.value


def credential(**changes: Any) -> dict[str, Any]:
    document = {k: v for k, v in ob30("simple.json").items() if k != "proof"}
    document.update(changes)
    return document


def test_a_real_credential_canonicalises() -> None:
    nquads = canonical_nquads(credential())

    assert "<http://example.com/credentials/3527>" in nquads
    assert nquads.endswith(" .\n")


@pytest.mark.parametrize("url", sorted(CONTEXT_FILES))
def test_every_bundled_context_loads_offline(url: str) -> None:
    canonical_nquads({"@context": url, "@id": "urn:example:1"})


@pytest.mark.parametrize(
    "context",
    [
        [V2, "https://evil.example/context.json"],
        [V2, {"@import": "https://evil.example/context.json"}],
        [V2, OB, {"Thing": {"@id": "urn:t", "@context": "https://evil.example/c.json"}}],
    ],
)
def test_a_context_that_would_need_a_fetch_is_refused(context: Any) -> None:
    assert refused(credential(**{"@context": context})).code == "unknown_context"


def test_a_nested_context_that_would_need_a_fetch_is_refused() -> None:
    subject = {**credential()["credentialSubject"], "@context": "https://evil.example/c.json"}

    assert refused(credential(credentialSubject=subject)).code == "unknown_context"


def test_an_undefined_term_is_refused() -> None:
    error = refused(credential(secretNote="not signed"))

    assert error.code == "jsonld_dropped_term"
    assert "secretNote" in error.message


@pytest.mark.parametrize(
    "changes",
    [
        {"type": ["VerifiableCredential", "OpenBadgeCredential", "MyOwnType"]},
        {"id": "credentials/3527"},
        {"@context": [V2, OB, {"@base": "https://example.com/"}], "id": "credentials/3527"},
    ],
)
def test_a_relative_type_or_id_is_refused(changes: dict[str, Any]) -> None:
    assert refused(credential(**changes)).code == "jsonld_relative_iri"


def test_redefining_a_protected_term_is_refused() -> None:
    context = [V2, OB, {"name": "https://evil.example/name"}]

    assert refused(credential(**{"@context": context})).code == "invalid_jsonld"


def test_deep_json_ld_is_refused() -> None:
    document = credential()
    node = document["credentialSubject"]
    for _ in range(60):
        node["source"] = {"type": ["Profile"], "name": "n"}
        node = node["source"]

    assert refused(document).code == "jsonld_too_complex"


def test_huge_json_ld_is_refused() -> None:
    results = [{"type": ["Result"], "value": str(i)} for i in range(3000)]
    subject = {**credential()["credentialSubject"], "result": results}

    assert refused(credential(credentialSubject=subject)).code == "jsonld_too_complex"


def test_a_scoped_context_bomb_is_refused() -> None:
    # A term whose scoped context is processed again at every level it nests.
    terms = {f"t{i}": f"https://example.com/t{i}" for i in range(1000)}
    document: dict[str, Any] = {
        "@context": {"a": {"@id": "https://example.com/a", "@context": terms}}
    }
    node = document
    for _ in range(35):
        node["a"] = {"t1": "x"}
        node = node["a"]

    assert refused(document).code == "jsonld_too_complex"


def test_many_inline_contexts_are_refused() -> None:
    items = [{"@context": {"x": "https://example.com/x"}, "x": str(i)} for i in range(40)]

    assert refused({"@context": {"y": "https://example.com/y"}, "y": items}).code == (
        "jsonld_too_complex"
    )


@pytest.mark.parametrize("size", [8, 40])
def test_a_poison_graph_of_symmetric_blank_nodes_is_refused(size: int) -> None:
    nodes = [
        {
            "@id": f"_:b{i}",
            "https://example.com/p": [{"@id": f"_:b{j}"} for j in range(size) if j != i],
        }
        for i in range(size)
    ]

    assert refused({"@graph": nodes}).code == "jsonld_too_complex"


def test_control_characters_are_escaped_as_rdfc_1_0_says() -> None:
    document = credential(name="a\u0007b\bc\fd\te\u007ff\u001fg\u2028h")

    rdfc = canonical_nquads(document)
    legacy = canonical_nquads(document, legacy_escapes=True)

    assert '"a\\u0007b\\bc\\fd\\te\\u007Ff\\u001Fg\u2028h"' in rdfc
    assert '"a\u0007b\bc\fd\\te\u007ff\u001fg\u2028h"' in legacy
    assert canonical_nquads(credential()) == canonical_nquads(credential(), legacy_escapes=True)


def test_a_credential_canonicalised_again_processes_no_context_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The type-scoped contexts (Achievement, Profile, IdentityObject...) are processed once,
    # for the first credential, not again for each typed object of each credential: about
    # half of what canonicalisation cost.
    first = canonical_nquads(credential())
    processed: list[Any] = []
    original = JsonLdProcessor._process_context

    def counting(self: Any, *arguments: Any, **options: Any) -> Any:
        processed.append(arguments[1])
        return original(self, *arguments, **options)

    monkeypatch.setattr(JsonLdProcessor, "_process_context", counting)

    again = canonical_nquads(credential(name="Another name"))

    assert processed == []
    assert '"Another name"' in again
    assert again != first


def test_equal_looking_inline_contexts_are_each_processed_for_their_own_document() -> None:
    # A context a document carries is kept by identity: another document's context, even
    # shaped alike, is processed for itself, and each document gets its own statements.
    def document(vocabulary: str) -> dict[str, Any]:
        return {
            "@context": {
                "Thing": {"@id": f"{vocabulary}Thing", "@context": {"name": f"{vocabulary}name"}}
            },
            "@id": "urn:example:1",
            "@type": "Thing",
            "name": "Ada",
        }

    first = canonical_nquads(document("https://one.example/"))
    second = canonical_nquads(document("https://two.example/"))
    again = canonical_nquads(document("https://one.example/"))

    assert '<https://one.example/name> "Ada"' in first
    assert '<https://two.example/name> "Ada"' in second
    assert "one.example" not in second
    assert again == first
