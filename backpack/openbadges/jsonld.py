"""JSON-LD for Open Badges: bundled offline contexts and compaction into the 2.0 context.

Contexts are never fetched: every context URL a badge may name maps to a file in
`contexts/` (see `contexts/SOURCES.md`), and any other URL is refused. Documents already in
the canonical 2.0 context take a fast path that gives what pyld's compaction would give
without running it, because verification speed depends on it; anything unusual goes
through pyld.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from functools import cache
from importlib import resources
from typing import Any, Final

from pyld import jsonld

from backpack.openbadges.canonical_v2 import V2_CONTEXT as V2_CONTEXT
from backpack.openbadges.canonical_v2 import compact_canonical
from backpack.openbadges.errors import ParseError

V1_CONTEXT: Final = "https://w3id.org/openbadges/v1"

# Context URL -> bundled file. Several URLs serve the same document.
CONTEXT_FILES: Final[dict[str, str]] = {
    V2_CONTEXT: "openbadges-v2.json",
    "https://openbadgespec.org/v2/context.json": "openbadges-v2.json",
    V1_CONTEXT: "openbadges-v1.json",
    "https://openbadgespec.org/v1/context.json": "openbadges-v1.json",
    # The pre-release 1.1 context of 2014 that some early 1.1 badges still name.
    "http://standard.openbadges.org/1.1/context.json": "openbadges-v1.json",
    "https://www.w3.org/2018/credentials/v1": "2018-credentials-v1.jsonld",
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.jsonld",
    # The W3C examples contexts, used by the specifications' examples and test vectors.
    "https://www.w3.org/2018/credentials/examples/v1": "2018-credentials-examples-v1.jsonld",
    "https://www.w3.org/ns/credentials/examples/v2": "credentials-examples-v2.jsonld",
    "https://purl.imsglobal.org/spec/ob/v3p0/context.json": "ob-v3p0.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context/ob_v3p0.jsonld": "ob-v3p0.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json": "ob-v3p0-3.0.1.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json": "ob-v3p0-3.0.2.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "ob-v3p0-3.0.3.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json": "ob-v3p0-extensions.json",
    "https://w3id.org/security/v1": "security-v1.jsonld",
    "https://w3id.org/security/v2": "security-v2.jsonld",
    "https://w3id.org/security/v3": "security-v3-unstable.jsonld",
    "https://w3id.org/security/v3-unstable": "security-v3-unstable.jsonld",
    "https://w3id.org/security/bbs/v1": "security-bbs-v1.jsonld",
    "https://w3id.org/security/data-integrity/v1": "data-integrity-v1.jsonld",
    "https://w3id.org/security/suites/ed25519-2018/v1": "suites-ed25519-2018.jsonld",
    "https://w3id.org/security/suites/ed25519-2020/v1": "security-suites-ed25519-2020-v1.jsonld",
    "https://w3id.org/security/suites/jws-2020/v1": "suites-jws-2020.jsonld",
    "https://w3id.org/security/suites/secp256k1-2019/v1": "suites-secp256k1-2019.jsonld",
    "https://w3id.org/security/suites/x25519-2019/v1": "suites-x25519-2019.jsonld",
    "https://www.w3.org/ns/did/v1": "did-v1.jsonld",
    "https://www.w3.org/ns/odrl.jsonld": "odrl.jsonld",
    # Open Badges 3.0 credentials: Data Integrity, keys, status lists, CLR 2.0, the pre-release
    # 3.0 context DCC wallets issued with, the DCC context and the 3.0 extensions.
    "https://w3id.org/security/data-integrity/v2": "data-integrity-v2.jsonld",
    "https://w3id.org/security/multikey/v1": "multikey-v1.jsonld",
    "https://w3id.org/security/jwk/v1": "jwk-v1.jsonld",
    "https://w3id.org/security/suites/x25519-2020/v1": "suites-x25519-2020.jsonld",
    "https://www.w3.org/ns/credentials/status/v1": "credentials-status-v1.jsonld",
    "https://w3id.org/vc/status-list/2021/v1": "status-list-2021-v1.jsonld",
    "https://w3id.org/dcc/v1": "dcc-v1.json",
    "https://imsglobal.github.io/openbadges-specification/ob_v3p0.html": "ob-v3p0-beta.json",
    "https://w3c-ccg.github.io/vc-ed/plugfest-1-2022/jff-vc-edu-plugfest-1-context.json": (
        "ob-v3p0-beta.json"
    ),
    "https://purl.imsglobal.org/spec/clr/v2p0/context.json": "clr-v2p0.json",
    "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json": "clr-v2p0-2.0.1.json",
    **{
        f"https://openbadgespec.org/extensions/{name}/context-3.0.0.json": (
            f"ob-v3p0-ext-{name}.json"
        )
        for name in (
            "accessibilityExtension",
            "applyLinkExtension",
            "geoCoordinatesExtension",
            "licenseExtension",
        )
    },
    # The example extension of the 2.0 specification, used by conformance fixtures.
    "https://w3id.org/openbadges/extensions/exampleExtension/context.json": (
        "obv2x-example-extension.json"
    ),
    "https://openbadgespec.org/extensions/exampleExtension/context.json": (
        "obv2x-example-extension.json"
    ),
}


@cache
def load_context(url: str) -> dict[str, Any]:
    """Return the bundled context document of a well-known URL; refuse any other URL."""
    name = CONTEXT_FILES.get(url)
    if name is None:
        raise ParseError(
            f"The JSON-LD context {url} is not one this backpack knows, and contexts are "
            "never fetched from the internet.",
            code="unknown_context",
        )
    text = resources.files("backpack.openbadges").joinpath("contexts", name).read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def document_loader(url: str, options: Any = None) -> dict[str, Any]:
    """Serve a context to pyld from the bundled files (the pyld document loader interface)."""
    # pyld may change what it is given, and the cached copy must stay pristine.
    return {"contextUrl": None, "documentUrl": url, "document": copy.deepcopy(load_context(url))}


def context_urls(document: Any) -> Iterator[str]:
    """Yield every context URL a document names, at any depth."""
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "@context":
                    for item in value if isinstance(value, list) else [value]:
                        if isinstance(item, str):
                            yield item
                        elif isinstance(item, dict):
                            stack.append(item)
                elif isinstance(value, dict | list):
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)


def compact_to_v2(document: Mapping[str, Any]) -> dict[str, Any]:
    """Return a document compacted into the Open Badges 2.0 context; the input is not changed."""
    fast = compact_canonical(document)
    if fast is not None:
        return fast
    for url in context_urls({"@context": document.get("@context")}):
        load_context(url)  # refuses an unknown top-level context before pyld sees it
    options: dict[str, Any] = {"documentLoader": document_loader, "base": None}
    try:
        expanded = jsonld.expand(_without_unknown_nested_contexts(document), options)
        compacted: dict[str, Any] = jsonld.compact(
            expanded, V2_CONTEXT, {**options, "skipExpansion": True}
        )
    except Exception as error:
        # pyld raises JsonLdError, but also plain TypeErrors and KeyErrors on odd input;
        # none of them may escape as anything but a badge problem.
        refused = parse_error_in(error)
        if refused is not None:
            raise refused from None
        raise ParseError(
            "The badge's JSON-LD cannot be processed (a broken @context or term).",
            code="invalid_jsonld",
        ) from None
    return compacted


def _without_unknown_nested_contexts(document: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of the document whose nested nodes name only bundled contexts.

    Issuers add extensions (nested nodes with a context of their own) that no backpack can
    know in advance, and contexts are never fetched. Such a node's unknown context is left
    out, so its terms drop out of the normalised form; the badge itself stays verifiable and
    its original text, kept verbatim, still holds the extension.
    """
    copied: dict[str, Any] = copy.deepcopy(dict(document))
    stack: list[Any] = [value for key, value in copied.items() if key != "@context"]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            context = node.get("@context")
            if context is not None:
                items = context if isinstance(context, list) else [context]
                kept = [i for i in items if not isinstance(i, str) or i in CONTEXT_FILES]
                if len(kept) != len(items):
                    node["@context"] = kept
            stack.extend(v for k, v in node.items() if k != "@context")
    return copied


def parse_error_in(error: BaseException) -> ParseError | None:
    """The ParseError a bundled-context loader raised inside pyld's error, if one did."""
    seen: BaseException | None = error
    for _ in range(20):
        if seen is None:
            return None
        if isinstance(seen, ParseError):
            return seen
        seen = getattr(seen, "cause", None) or seen.__cause__
    return None


# Whoever else calls pyld in this process gets the offline loader too: a context is never
# fetched from the internet, whatever code path asks for one.
jsonld.set_document_loader(document_loader)
