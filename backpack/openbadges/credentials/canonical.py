"""JSON-LD canonicalisation (URDNA2015, the same output as RDFC-1.0) in "safe mode", bounded.

A Data Integrity signature covers the canonical N-Quads of a credential, not its JSON: what
JSON-LD expansion drops (a term no context defines) or cannot place (a relative `@type` or
`@id`) is not signed, yet a person would read it. Safe mode refuses such a credential
instead of verifying what the signature happens to cover (DCC's verifiers do the same).

Contexts come only from the bundled files (`openbadges/jsonld.py`); a context that would
need a fetch is refused. Hostile input gets a reason, never a hang: the size and nesting of
the document and its inline contexts are bounded before pyld runs, and the blank-node
labelling, exponential on crafted graphs, is stopped after a fixed amount of work.
"""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Mapping
from typing import Any, Final

from pyld.canon import URDNA2015
from pyld.identifier_issuer import IdentifierIssuer
from pyld.nquads import serialize_nquad

from backpack.openbadges.credentials.processed_contexts import KeepingProcessor
from backpack.openbadges.errors import ParseError
from backpack.openbadges.jsonld import (
    context_urls,
    document_loader,
    load_context,
    parse_error_in,
)

# 1EdTech's `complete.json`, which uses every part of the model, holds 553 JSON values in 87
# objects; these bounds leave room for credentials many times richer, and keep the worst
# input under about a second.
MAX_JSON_VALUES: Final = 20_000
MAX_JSON_OBJECTS: Final = 1_000
MAX_DEPTH: Final = 40
MAX_INLINE_CONTEXTS: Final = 16
MAX_INLINE_CONTEXT_VALUES: Final = 200
MAX_QUADS: Final = 20_000
# Steps of blank-node labelling; real credentials need a few hundred.
MAX_LABELLING_STEPS: Final = 20_000

_ABSOLUTE_IRI: Final = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
# How RDFC-1.0 writes the control characters that older canonicalisations left raw.
_CONTROLS: Final = [*range(0x00, 0x08), 0x0B, *range(0x0E, 0x20), 0x7F]
_RDFC_ESCAPES: Final = {0x08: "\\b", 0x0C: "\\f"} | {c: f"\\u{c:04X}" for c in _CONTROLS}
_RAW_CONTROL: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# pyld keeps processed contexts in caches (cachetools LRUs) that are not thread-safe: one
# canonicalisation at a time. It is pure Python under the GIL, so this costs no parallelism.
_PYLD: Final = threading.Lock()


def canonical_nquads(document: Mapping[str, Any], *, legacy_escapes: bool = False) -> str:
    """Return the URDNA2015 canonical N-Quads of a JSON-LD document, in safe mode.

    Control characters in text are escaped as RDFC-1.0 says (`\b`, `\f`, `\u0007`...);
    `legacy_escapes` writes them raw instead, as URDNA2015 implementations did before it
    (pyld still does: w3c/rdf-canon#116). Only text holding such characters differs; a
    verifier tries both, since a signer may have used either (see `has_control_characters`).

    Raises ParseError: `unknown_context` (a context that is not bundled), `jsonld_dropped_term`
    (a property no context defines), `jsonld_relative_iri` (a relative `@type` or `@id`),
    `jsonld_too_complex` (a document too big, deep or costly), `invalid_jsonld` otherwise.
    """
    _check_shape(document)
    for url in context_urls(document):
        load_context(url)  # refuses a context that would need a fetch, before pyld sees it
    with _PYLD:
        return _canonical_nquads(document, legacy_escapes)


def has_control_characters(document: Any) -> bool:
    """Whether any text in a JSON document holds a character RDFC-1.0 escapes and older
    canonicalisations did not (C0 controls but tab, line feed and carriage return; DEL)."""
    waiting = [document]
    while waiting:
        node = waiting.pop()
        if isinstance(node, str):
            if _RAW_CONTROL.search(node):
                return True
        elif isinstance(node, Mapping):
            waiting.extend(node.keys())
            waiting.extend(node.values())
        elif isinstance(node, list):
            waiting.extend(node)
    return False


def _canonical_nquads(document: Mapping[str, Any], legacy_escapes: bool) -> str:
    dropped: list[str] = []
    processor = KeepingProcessor(on_property_dropped=lambda term: dropped.append(str(term)))
    # No base: pyld would resolve a relative IRI against http://example.org/base/ (its
    # default for an empty base) and sign that; without one it stays relative and is refused.
    options: dict[str, Any] = {"documentLoader": _static_loader, "base": None}
    try:
        expanded = processor.expand(copy.deepcopy(dict(document)), options)
        if dropped:
            raise ParseError(
                f"The credential uses {_terms(dropped)}, which no JSON-LD context it names "
                "defines; the signature would not cover it.",
                code="jsonld_dropped_term",
            )
        _check_absolute(expanded)
        dataset = processor.expanded_to_rdf(expanded)
    except ParseError:
        raise
    except RecursionError:
        raise _too_complex("nests too deeply") from None
    except Exception as error:
        # pyld raises JsonLdError, and also TypeErrors and KeyErrors on odd input; all of
        # them are a problem of the credential, unless a bundled context refused a URL.
        cause = parse_error_in(error)
        if cause is not None:
            raise cause from None
        raise ParseError(
            "The credential's JSON-LD cannot be processed (a broken @context or term).",
            code="invalid_jsonld",
        ) from None
    if sum(len(triples) for triples in dataset.values()) > MAX_QUADS:
        raise _too_complex(f"has more than {MAX_QUADS} statements")
    rdfc = not legacy_escapes and has_control_characters(document)
    nquads: str = _BoundedURDNA2015(rdfc).main(dataset, {"format": "application/n-quads"})
    if not rdfc:
        return nquads
    # Split on line feeds only: str.splitlines would also split at \x1c-\x1f, \x85...
    lines = nquads.split("\n")[:-1]
    return "".join(sorted(line.translate(_RDFC_ESCAPES) + "\n" for line in lines))


def _static_loader(url: str, options: Any = None) -> dict[str, Any]:
    """The bundled contexts, marked static: pyld then keeps each one processed in its shared
    cache instead of loading and processing it again for every credential (they never
    change, so this is safe, and it is most of the time canonicalisation takes)."""
    return {**document_loader(url, options), "tag": "static"}


def _check_shape(document: Mapping[str, Any]) -> None:
    """Bound the work pyld will do: values, nesting and inline contexts."""
    values = objects = inline_contexts = context_values = 0
    waiting: list[tuple[Any, int, bool]] = [(document, 0, False)]
    while waiting:
        node, depth, in_context = waiting.pop()
        values += 1
        if in_context:
            context_values += 1
        if depth > MAX_DEPTH:
            raise _too_complex(f"nests deeper than {MAX_DEPTH} levels")
        if values > MAX_JSON_VALUES:
            raise _too_complex(f"holds more than {MAX_JSON_VALUES} values")
        if context_values > MAX_INLINE_CONTEXT_VALUES:
            raise _too_complex("embeds JSON-LD contexts that are too large")
        if isinstance(node, Mapping):
            objects += 1
            if objects > MAX_JSON_OBJECTS:
                raise _too_complex(f"holds more than {MAX_JSON_OBJECTS} objects")
            for key, value in node.items():
                entering = key == "@context" and not isinstance(value, str)
                if entering and not in_context:
                    inline_contexts += 1
                    if inline_contexts > MAX_INLINE_CONTEXTS:
                        raise _too_complex("embeds too many JSON-LD contexts")
                waiting.append((value, depth + 1, in_context or entering))
        elif isinstance(node, list):
            waiting.extend((item, depth + 1, in_context) for item in node)


def _check_absolute(expanded: Any) -> None:
    """Refuse a relative `@id` or `@type`: pyld keeps it, and RDF then drops it unsigned."""
    waiting = [expanded]
    while waiting:
        node = waiting.pop()
        if isinstance(node, list):
            waiting.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        identifier = node.get("@id")
        if isinstance(identifier, str) and not _is_absolute(identifier):
            raise _relative("id", identifier)
        types = node.get("@type", [])
        for kind in types if isinstance(types, list) else [types]:
            if isinstance(kind, str) and not _is_absolute(kind):
                raise _relative("type", kind)
        waiting.extend(value for key, value in node.items() if key not in ("@id", "@type"))


def _is_absolute(iri: str) -> bool:
    return iri.startswith("_:") or _ABSOLUTE_IRI.match(iri) is not None


class _CountingIssuer(IdentifierIssuer):
    """The canonical issuer, consulted once per node of every permutation tried: a step."""

    def __init__(self, prefix: str, labelling: _BoundedURDNA2015) -> None:
        super().__init__(prefix)
        self._labelling = labelling

    def has_id(self, old: str) -> bool:
        self._labelling.step()
        return bool(super().has_id(old))


class _BoundedURDNA2015(URDNA2015):
    """pyld's URDNA2015, stopped after MAX_LABELLING_STEPS steps (poison graphs), hashing
    with RDFC-1.0's escapes when `rdfc` is set (the hashes decide the blank-node labels)."""

    def __init__(self, rdfc: bool = False) -> None:
        super().__init__()
        self.steps = 0
        self.rdfc = rdfc
        self.canonical_issuer = _CountingIssuer("_:c14n", self)

    def hash_first_degree_quads(self, id_: str) -> str:
        info = self.blank_node_info[id_]
        if not self.rdfc or "hash" in info:
            return str(super().hash_first_degree_quads(id_))
        # RDFC-1.0, "Hash First Degree Quads": each quad of the node, the node itself named
        # _:a and any other blank node _:z, serialised, sorted and hashed together.
        lines = sorted(
            serialize_nquad(
                {
                    key: self.modify_first_degree_component(id_, part, key)
                    for key, part in quad.items()
                }
            ).translate(_RDFC_ESCAPES)
            for quad in info["quads"]
        )
        info["hash"] = self.hash_nquads(lines)
        return str(info["hash"])

    def step(self) -> None:
        self.steps += 1
        if self.steps > MAX_LABELLING_STEPS:
            raise _too_complex("has blank nodes too costly to label")

    def hash_n_degree_quads(self, id_: str, issuer: IdentifierIssuer) -> dict[str, Any]:
        self.step()
        result: dict[str, Any] = super().hash_n_degree_quads(id_, issuer)
        return result


def _terms(dropped: list[str]) -> str:
    names = sorted({name for name in dropped if name and name != "None"})
    if not names:
        return "a property"
    shown = ", ".join(f"`{name[:40]}`" for name in names[:5])
    return f"the term{'s' if len(names) > 1 else ''} {shown}"


def _relative(what: str, value: str) -> ParseError:
    return ParseError(
        f"The credential has a relative @{what} `{value[:60]}`, which JSON-LD cannot place; "
        "the signature would not cover it.",
        code="jsonld_relative_iri",
    )


def _too_complex(reason: str) -> ParseError:
    return ParseError(
        f"The credential's JSON-LD {reason}; it is refused rather than processed.",
        code="jsonld_too_complex",
    )
