"""pyld's JSON-LD processor, keeping the contexts it processes for the next credential.

pyld keeps a processed context only for the active context it was processed against, found
by that context's `_uuid`. A type-scoped context (the one `Achievement`, `Profile`,
`IdentityObject` or `DataIntegrityProof` carry in the VC and Open Badges contexts) is
processed against a fresh copy of the active context every time, with a new `_uuid`: pyld
never finds it again, and builds the same term definitions for every typed object of every
credential. That was about half the time canonicalisation took.

`KeepingProcessor` keeps each processed context under the `_uuid` of the context it was
processed against (the one handed in, which pyld's own cache also trusts never to change
under a `_uuid`), the context processed (context URLs by value; an object by identity, so
that it is never mistaken for an equal-looking one, and kept alive meanwhile) and the flags
that change the outcome. A context that fails is not kept; the checks pyld makes while it builds a
context (`cycles` given) are left alone, as their active context is still being built.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, Final

from pyld.identifier_issuer import IdentifierIssuer
from pyld.jsonld import JsonLdProcessor, _is_absolute_iri

# Enough for every typed object of the bundled contexts against the few active contexts
# real credentials reach (a few dozen); when full, it starts again rather than grow.
MAX_KEPT: Final = 256

_kept: dict[tuple[Any, ...], tuple[Any, Any]] = {}


class KeepingProcessor(JsonLdProcessor):  # type: ignore[misc]
    """A JsonLdProcessor that processes each (active context, local context) pair once.

    Not thread-safe, like pyld's own caches: callers process one document at a time.
    """

    def _process_context(
        self,
        active_ctx: Any,
        local_ctx: Any,
        options: Mapping[str, Any],
        override_protected: bool = False,
        propagate: bool = True,
        validate_scoped: bool = True,
        cycles: Any = None,
    ) -> Any:
        flags = {
            "override_protected": override_protected,
            "propagate": propagate,
            "validate_scoped": validate_scoped,
        }
        if cycles is not None or not isinstance(active_ctx, dict):
            return super()._process_context(active_ctx, local_ctx, options, cycles=cycles, **flags)
        if "_uuid" not in active_ctx:
            active_ctx["_uuid"] = str(uuid.uuid1())  # as pyld names an active context
        # Context URLs are kept by value; any other context by identity (see above).
        urls = _as_urls(local_ctx)
        key = (
            active_ctx["_uuid"],
            urls if urls is not None else id(local_ctx),
            *flags.values(),
            options.get("base"),
            options.get("processingMode"),
        )
        kept = _kept.get(key)
        if kept is not None and (urls is not None or kept[0] is local_ctx):
            return kept[1]
        processed = super()._process_context(active_ctx, local_ctx, options, **flags)
        if len(_kept) >= MAX_KEPT:
            _kept.clear()
        _kept[key] = (local_ctx, processed)
        return processed

    def expanded_to_rdf(self, expanded: Any) -> dict[str, Any]:
        """The RDF dataset of a document this processor expanded: pyld's `to_rdf` (standard
        RDF, JSON-LD 1.1) without expanding the document a second time, which to_rdf does
        first and which cost a third of canonicalisation."""
        options = {"produceGeneralizedRdf": False, "processingMode": "json-ld-1.1"}
        issuer = IdentifierIssuer("_:b")
        node_map: dict[str, Any] = {"@default": {}}
        self._create_node_map(expanded, node_map, "@default", issuer)
        return {
            name: self._graph_to_rdf(graph, issuer, options)
            for name, graph in sorted(node_map.items())
            if name == "@default" or _is_absolute_iri(name)
        }


def _as_urls(local_ctx: Any) -> tuple[str, ...] | None:
    if isinstance(local_ctx, str):
        return (local_ctx,)
    if isinstance(local_ctx, list) and all(isinstance(item, str) for item in local_ctx):
        return tuple(local_ctx)
    return None
