"""Verify badges with badgecheck, the reference Python validator, for `bench/verify.py`.

Runs in `bench/.venv-badgecheck` (made by `bench/setup_badgecheck.sh`), never in the
project's environment. Reads JSON lines from stdin: first a header
`{"contexts": {url: file}, "warmup": k, "recipient": {...}}`, then one `{"data": ...}` per
badge (a URL, badge JSON or a JWS). Verifies the first `warmup` inputs once untimed, then
every input in a timed loop, and writes one `{"valid": bool, "messages": [...]}` line per
input, then `{"seconds": s, "version": v}`: the time of the verification loop alone, and
badgecheck's version.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import requests
from openbadges.verifier import verifier
from openbadges.verifier.utils import CachableDocumentLoader
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

# Both HTTP caches off: badgecheck's memory cache otherwise lives in a new CachedSession per
# fetch, and our verifier caches nothing across badges either, so every badge is fetched.
OPTIONS: dict[str, Any] = {"use_cache": False, "cache_backend": None}


class BundledContexts(BaseAdapter):
    """Answers JSON-LD context URLs from the files the backpack bundles.

    badgecheck fetches https://w3id.org/openbadges/v2 and any other context with its pyld
    document loader on every compaction; this machine has no internet, and the backpack
    never fetches contexts either, so both tools read the same files from memory.
    """

    def __init__(self, documents: Mapping[str, bytes]) -> None:
        super().__init__()
        self.documents = documents

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        response = requests.Response()
        response.url = request.url or ""
        response.request = request
        response.status_code = 200
        response.headers = CaseInsensitiveDict({"Content-Type": "application/ld+json"})
        response.encoding = "utf-8"
        response._content = self.documents[response.url]
        return response

    def close(self) -> None:
        """Nothing to close: the documents are in memory."""


def serve_contexts_locally(files: Mapping[str, str]) -> None:
    """Make badgecheck's document loader read the bundled context files, not the internet."""
    documents = {url: Path(path).read_bytes() for url, path in files.items()}
    session = requests.Session()
    adapter = BundledContexts(documents)
    for url in documents:
        session.mount(url, adapter)

    # badgecheck builds its loader in `_get_options`; this one keeps its code (URL checks,
    # the record of extension contexts) and only swaps the session it fetches with.
    def offline_loader(**options: Any) -> CachableDocumentLoader:
        return CachableDocumentLoader(use_cache=False, session=session)

    verifier.CachableDocumentLoader = offline_loader


def errors_of(result: Mapping[str, Any]) -> list[str]:
    """The error messages of a badgecheck report, each prefixed by its task's name."""
    return [
        f"{message.get('name')}: {message.get('result')}"
        for message in result["report"]["messages"]
        if message.get("messageLevel") == "ERROR"
    ]


def main() -> None:
    lines = (json.loads(line) for line in sys.stdin if line.strip())
    header = next(lines)
    serve_contexts_locally(header["contexts"])
    recipient: dict[str, Any] = header["recipient"]
    inputs = [item["data"] for item in lines]

    def verify(data: str) -> dict[str, Any]:
        # verify() adds "@context" to the profile it is given, so each call gets a copy.
        result: dict[str, Any] = verifier.verify(data, dict(recipient), **OPTIONS)
        return result

    for data in inputs[: header["warmup"]]:
        verify(data)
    started = time.perf_counter()
    results = [verify(data) for data in inputs]
    seconds = time.perf_counter() - started

    out = sys.stdout
    for result in results:
        report = {"valid": bool(result["report"]["valid"]), "messages": errors_of(result)}
        out.write(json.dumps(report) + "\n")
    out.write(json.dumps({"seconds": seconds, "version": metadata.version("badgecheck")}) + "\n")


if __name__ == "__main__":
    main()
