"""Compaction of documents already in the Open Badges 2.0 context, without running pyld.

Most badges are written in the canonical 2.0 context, and pyld's expand-then-compact of
them is most of a verification's CPU time. For such a document the result is predictable:
undefined terms dropped, nulls dropped, one-item lists unwrapped, bare `{"id": ...}`
references turned into IRIs, `verify` renamed `verification`, `HostedBadge` written `hosted`.
`compact_canonical` does exactly that and declines (returns None) whenever a document holds
anything whose compaction is less obvious (keywords, compact IRIs, shared terms...), so the
caller runs pyld instead. tests/openbadges/test_jsonld.py checks both give the same result.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from importlib import resources
from typing import Any, Final

V2_CONTEXT: Final = "https://w3id.org/openbadges/v2"

_V2_TERMS: Final[dict[str, Any]] = json.loads(
    resources.files("backpack.openbadges").joinpath("contexts", "openbadges-v2.json").read_text()
)["@context"]
# Terms that only name a vocabulary (obi:, schema:...): they form compact IRIs.
_PREFIXES: Final = {t: d for t, d in _V2_TERMS.items() if isinstance(d, str) and d[-1] in "#/"}
_IRI_STARTS: Final = tuple(_PREFIXES.values()) + tuple(f"{p}:" for p in _PREFIXES)
# Terms defined by a bare IRI: classes such as Assertion, and a few plain properties.
_SIMPLE_TERMS: Final = {
    t: d
    for t, d in _V2_TERMS.items()
    if isinstance(d, str) and ":" in d and t not in _PREFIXES and not d.startswith("@")
}
# Properties whose string values are IRIs ("@type": "@id").
_IRI_TERMS: Final = {
    t for t, d in _V2_TERMS.items() if isinstance(d, dict) and d.get("@type") == "@id"
}
# Properties with a datatype (dates, booleans): pyld cannot put an object under them.
_TYPED_TERMS: Final = {
    t for t, d in _V2_TERMS.items() if isinstance(d, dict) and d.get("@type", "@id") != "@id"
}
# pyld writes a class by its shortest, then alphabetically first, name: `hosted` for
# HostedBadge, `signed` for SignedBadge.
_CLASS_NAMES: Final = {
    term: min((t for t, d in _SIMPLE_TERMS.items() if d == iri), key=lambda t: (len(t), t))
    for term, iri in _SIMPLE_TERMS.items()
}
_PAIRED: Final = ("verify", "verification", "revoked", "revokedAssertions")


def _term_iri(term: str) -> str:
    definition = _V2_TERMS[term]
    iri = definition if isinstance(definition, str) else definition.get("@id", term)
    prefix, _, rest = iri.partition(":")
    return _PREFIXES[prefix] + rest if prefix in _PREFIXES else str(iri)


_PROPERTY_IRIS: Final = [_term_iri(t) for t in _V2_TERMS if t not in ("id", "type", "verify")]
# Terms that share an IRI with another (pyld picks one by the value): only the pairs
# verify/verification and revoked/revokedAssertions are handled here; the rest decline.
_SHARED_KEYS: Final = {
    t
    for t in _V2_TERMS
    if t not in _PREFIXES
    and t not in ("id", "type", *_PAIRED)
    and _PROPERTY_IRIS.count(_term_iri(t)) > 1
}
# Property names pyld keeps as written when they appear as a class (a recipient `type`).
_PLAIN_PROPERTY_TERMS: Final = {"id"} | {
    t
    for t, d in _V2_TERMS.items()
    if isinstance(d, dict) and t not in _TYPED_TERMS and t not in _SHARED_KEYS and t not in _PAIRED
}


class _NotCanonical(Exception):
    """The document needs real JSON-LD processing."""


_DROPPED: Final = object()


def compact_canonical(document: Mapping[str, Any]) -> dict[str, Any] | None:
    """Return pyld's compaction of a canonical 2.0 document, or None to ask for pyld."""
    context = document.get("@context")
    if context != V2_CONTEXT and context != [V2_CONTEXT]:
        return None
    try:
        body = _compact_node({k: v for k, v in document.items() if k != "@context"})
    except _NotCanonical:
        return None
    # pyld drops a top-level node that says nothing but its id.
    if not body or list(body) == ["id"]:
        return None
    return {"@context": V2_CONTEXT, **body}


def _compact_node(node: dict[str, Any]) -> dict[str, Any]:
    if ("verify" in node and "verification" in node) or (
        "revoked" in node and "revokedAssertions" in node
    ):
        raise _NotCanonical
    result: dict[str, Any] = {}
    for key, value in node.items():
        if key.startswith("@") or ":" in key or key in _PREFIXES or key in _SHARED_KEYS:
            raise _NotCanonical
        if key == "id":
            if not isinstance(value, str):
                raise _NotCanonical
            compacted = _compact_iri_value(value)
        elif key == "type":
            # pyld drops an empty list of types and refuses a null one.
            if value is None or (isinstance(value, list) and None in value):
                raise _NotCanonical
            compacted = _compact_values(value, _compact_class) if value != [] else _DROPPED
        elif key == "verify":
            if not isinstance(value, dict):
                raise _NotCanonical
            key, compacted = "verification", _compact_iri_value(value)
        elif key == "revoked" and isinstance(value, dict | list):
            raise _NotCanonical
        elif key in _IRI_TERMS:
            compacted = _compact_values(value, _compact_iri_value)
        elif key in _TYPED_TERMS:
            compacted = _compact_values(value, _literal)
            if compacted == []:
                raise _NotCanonical  # pyld writes an empty typed list under its full IRI
        elif key in _V2_TERMS:
            compacted = _compact_values(value, _literal_or_node)
        else:
            continue  # pyld drops terms the context does not define
        if compacted is not _DROPPED:
            result[key] = compacted
    return result


def _compact_values(value: Any, compact_one: Callable[[Any], Any]) -> Any:
    if value is None:
        return _DROPPED
    if not isinstance(value, list):
        return compact_one(value)
    items = []
    for item in value:
        if isinstance(item, list):
            raise _NotCanonical
        if item is not None:
            items.append(compact_one(item))
    return items[0] if len(items) == 1 else items


def _compact_class(value: Any) -> str:
    if not isinstance(value, str) or not value or ":" in value:
        raise _NotCanonical
    if value in _CLASS_NAMES:
        return _CLASS_NAMES[value]
    if value in _V2_TERMS and value not in _PLAIN_PROPERTY_TERMS:
        raise _NotCanonical  # e.g. a date property used as a class
    # Unknown names stay as written (there is no @vocab and no base), as do property names
    # such as the recipient types `email` and `url`.
    return value


def _compact_iri_value(value: Any) -> Any:
    if isinstance(value, dict):
        node = _compact_node(value)
        # A bare reference {"id": ...} under an IRI property becomes the IRI itself.
        if list(node) == ["id"]:
            return node["id"]
        return node
    if not isinstance(value, str) or not value or value.startswith(_IRI_STARTS):
        raise _NotCanonical
    return value


def _literal(value: Any) -> Any:
    if isinstance(value, dict):
        raise _NotCanonical
    return value


def _literal_or_node(value: Any) -> Any:
    return _compact_node(value) if isinstance(value, dict) else value
