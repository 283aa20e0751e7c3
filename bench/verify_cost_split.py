"""Where our verifier's time goes: canonicalisation, signature checks, fetches, the rest.

`measure_split` verifies credentials once more, with those functions wrapped where the
verifier looks them up, for that pass only: the timed loops of the benchmark run the library
untouched, and the library carries no timing code of its own.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from backpack.openbadges import safe_fetcher as fetch_module
from backpack.openbadges.credentials import data_integrity, vc_jwt
from backpack.openbadges.document_cache import IssuerDocumentCache
from backpack.openbadges.safe_fetcher import Fetcher
from backpack.openbadges.verify import verify_badge
from tests.openbadges.credential_issuer import RECIPIENT


@contextmanager
def cost_split() -> Iterator[dict[str, float]]:
    """Seconds spent, exclusively, in canonicalisation, signature checks and fetches.

    Wraps those functions where the verifier looks them up, for the duration only; time in
    a wrapped function called from another is counted once, in the inner one.
    """
    spent = {"canonicalisation": 0.0, "signature": 0.0, "fetches": 0.0}
    stack: list[str] = []
    originals: list[tuple[Any, str, Any]] = []

    def wrap(owner: Any, name: str, bucket: str) -> None:
        original = getattr(owner, name)

        def timed(*arguments: Any, **options: Any) -> Any:
            stack.append(bucket)
            started = time.perf_counter()
            try:
                return original(*arguments, **options)
            finally:
                elapsed = time.perf_counter() - started
                stack.pop()
                spent[bucket] += elapsed
                if stack:
                    spent[stack[-1]] -= elapsed

        originals.append((owner, name, original))
        setattr(owner, name, timed)

    wrap(data_integrity, "canonical_nquads", "canonicalisation")
    wrap(data_integrity, "_signs", "signature")  # Ed25519 over the two hashes
    wrap(vc_jwt, "verify_jws", "signature")
    wrap(fetch_module.Fetcher, "get", "fetches")
    try:
        yield spent
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)


def measure_split(texts: Sequence[str], fetcher: Fetcher) -> dict[str, float]:
    """Milliseconds per credential in each part of our verification (a pass of its own,
    after the timed one: the contexts are processed, the issuer documents are kept)."""
    documents = IssuerDocumentCache()
    with cost_split() as spent:
        started = time.perf_counter()
        for text in texts:
            verify_badge(text, recipients=[RECIPIENT], fetcher=fetcher, documents=documents)
        total = time.perf_counter() - started
    split = {part: seconds * 1000 / len(texts) for part, seconds in spent.items()}
    split["the rest"] = total * 1000 / len(texts) - sum(split.values())
    return {part: round(value, 3) for part, value in split.items()}
