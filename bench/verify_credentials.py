"""Benchmark: Open Badges 3.0 credentials verified per second by ours and by DCC's verifier.

Run from the repository root: `.venv/bin/python bench/verify_credentials.py [--count 500]
[--json]`; `bench/verify.py` runs it too, after the 2.0 figures.

The local 3.0 test issuer (`tests/openbadges/credential_issuer.py`) issues `--count`
credentials of the kind the Digital Credentials Consortium's verifier
(`@digitalcredentials/verifier-core`, driven by `dcc_verifier.mjs`) checks offline: Data
Integrity proofs (eddsa-rdfc-2022) by a did:key issuer, in a mix of valid ones (VC 2.0 and
1.1), ones in a Bitstring status list (revoked there or not), tampered ones, expired ones and
not-yet-valid ones, their achievement image a `data:` URI. Ours fetches the status list from
the issuer's local TLS server (for each credential, as the server does); DCC's driver is
handed it (`DCC_DOCUMENTS`), as it may not reach the network. Both verifiers check every
one in their own loop, after the same untimed warm-up: ours in this process, as the server
does (one Fetcher, the issuer document cache); DCC's in Node,
timed from the first credential written to its pipe to the last verdict read, so Node's
start-up and module loading are not counted. The verdicts (valid, invalid, expired, revoked)
are compared credential by credential.

DCC's verifier does not read VC-JWTs: a further `--count / 5` VC-JWT credentials (EdDSA by
did:key; ES256 and RS256 by an issuer whose keys are in its profile, on a local TLS server)
are verified by ours alone. A last, untimed pass measures where our time goes
(`verify_cost_split.py`): JSON-LD canonicalisation, signature checks, fetches and the rest.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backpack.openbadges.document_cache import IssuerDocumentCache
from backpack.openbadges.report import VerificationReport
from backpack.openbadges.safe_fetcher import Fetcher
from backpack.openbadges.verify import verify_badge
from bench.common import parse_with_smoke
from bench.credential_mix import DI_CYCLE, Item, issue, publish_status_list
from bench.verify_cost_split import measure_split
from tests.openbadges.credential_issuer import (
    ISSUER_HOST,
    RECIPIENT,
    CredentialIssuer,
)
from tests.support.http_server import LocalHTTPServer

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DCC_DRIVER = BENCH / "dcc_verifier.mjs"
DCC_PACKAGE = ROOT / "node_modules" / "@digitalcredentials" / "verifier-core" / "package.json"
WARMUP = len(DI_CYCLE)


@dataclass(frozen=True)
class Run:
    """One verifier's verdicts (with a reason each) and the time of its timed loop."""

    verdicts: list[tuple[str, str]]
    seconds: float
    version: str = ""

    def rate(self) -> float:
        """Credentials verified per second."""
        return len(self.verdicts) / self.seconds


def verdict_of(report: VerificationReport) -> tuple[str, str]:
    """Our report as one of the verdicts DCC's can give, and the error codes behind it."""
    codes = [error.code for error in report.errors]
    other = [code for code in codes if code not in ("expired", "revoked")]
    if other:
        return "invalid", ",".join(other)
    if report.revoked:
        return "revoked", ",".join(codes)
    if report.expired:
        return "expired", ",".join(codes)
    return ("valid", "") if not codes else ("invalid", ",".join(codes))


def verify_with_ours(items: Sequence[Item], fetcher: Fetcher) -> Run:
    """Verify every item as the server does: one Fetcher, the issuer document cache."""
    documents = IssuerDocumentCache()

    def verify(text: str) -> VerificationReport:
        return verify_badge(text, recipients=[RECIPIENT], fetcher=fetcher, documents=documents)

    for item in items[:WARMUP]:
        verify(item.text)
    started = time.perf_counter()
    reports = [verify(item.text) for item in items]
    seconds = time.perf_counter() - started
    return Run([verdict_of(report) for report in reports], seconds)


def verify_with_dcc(items: Sequence[Item], published: dict[str, Any]) -> Run:
    """Verify every item with DCC's verifier in Node; start-up and warm-up are not timed.

    `published` (URL to document) is what it finds at those URLs instead of fetching them.
    """
    if not DCC_PACKAGE.exists():
        sys.exit("@digitalcredentials/verifier-core is not installed: run `npm ci` first.")
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as documents:
        json.dump(published, documents)
    node = subprocess.Popen(
        ["node", str(DCC_DRIVER)],
        cwd=ROOT,
        env={**os.environ, "DCC_DOCUMENTS": documents.name},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        bufsize=1,
    )
    assert node.stdin is not None
    assert node.stdout is not None
    answers = node.stdout
    try:
        json.loads(answers.readline())  # {"ready": true}: its modules are loaded
        for item in items[:WARMUP]:
            node.stdin.write(item.text + "\n")
        for _ in items[:WARMUP]:
            answers.readline()
        # A writer of its own, so that a full pipe in either direction cannot stall both.
        lines = "".join(item.text + "\n" for item in items)
        writer = threading.Thread(target=lambda: node.stdin.write(lines) and node.stdin.flush())
        started = time.perf_counter()
        writer.start()
        results = [json.loads(answers.readline()) for _ in items]
        seconds = time.perf_counter() - started
        writer.join()
    finally:
        node.stdin.close()
        node.wait(timeout=30)
        os.unlink(documents.name)
    version = json.loads(DCC_PACKAGE.read_text())["version"]
    verdicts = [(result["verdict"], result["reason"] or "") for result in results]
    return Run(verdicts, seconds, version)


def measure(count: int, jwt_count: int | None = None) -> dict[str, Any]:
    """Issue the credentials, verify them with both verifiers, and gather the figures."""
    jwt_count = count // 5 if jwt_count is None else jwt_count
    with LocalHTTPServer(tls_hostnames=[ISSUER_HOST]) as server:
        issuer = CredentialIssuer(server, key_name="bench-issuer")
        linked, tokens = issue(issuer, count, jwt_count)
        published = publish_status_list(issuer)
        fetcher = issuer.fetcher()
        try:
            ours = verify_with_ours(linked, fetcher)
            ours_jwt = verify_with_ours(tokens, fetcher)
            split = measure_split([item.text for item in linked], fetcher)
            split_jwt = measure_split([item.text for item in tokens], fetcher)
        finally:
            fetcher.close()
    dcc = verify_with_dcc(linked, published)
    disagreements = [
        {"kind": item.kind, "ours": mine, "dcc": theirs, "credential": item.text}
        for item, mine, theirs in zip(linked, ours.verdicts, dcc.verdicts, strict=True)
        if mine[0] != theirs[0]
    ]
    unexpected = [
        {"kind": item.kind, "ours": verdict}
        for item, verdict in zip(
            [*linked, *tokens], [*ours.verdicts, *ours_jwt.verdicts], strict=True
        )
        if verdict[0] != item.expected
    ]
    return {
        "credentials": count,
        "kinds": dict(Counter(item.kind for item in linked)),
        "ours_per_second": round(ours.rate(), 1),
        "dcc_per_second": round(dcc.rate(), 1),
        "ratio": round(ours.rate() / dcc.rate(), 2),
        "agree": count - len(disagreements),
        "disagreements": disagreements,
        "ours_verdicts": dict(Counter(verdict for verdict, _ in ours.verdicts)),
        "dcc_verdicts": dict(Counter(verdict for verdict, _ in dcc.verdicts)),
        "ours_ms_split": split,
        "jwt_credentials": jwt_count,
        "jwt_kinds": dict(Counter(item.kind for item in tokens)),
        "ours_jwt_per_second": round(ours_jwt.rate(), 1),
        "ours_jwt_ms_split": split_jwt,
        "ours_unexpected": unexpected,
        "dcc_version": dcc.version,
        "node_version": subprocess.run(
            ["node", "--version"], capture_output=True, text=True, check=True
        ).stdout.strip(),
        "cpus": os.cpu_count(),
        "load_average": [round(load, 2) for load in os.getloadavg()],
    }


def print_figures(figures: dict[str, Any], out: Callable[[str], Any] = print) -> None:
    """Print the figures for people."""
    count = figures["credentials"]
    out(f"Open Badges 3.0: {count} credentials (eddsa-rdfc-2022, did:key), each verifier:")
    for kind, total in figures["kinds"].items():
        out(f"  {kind:40} {total:4}")
    out(f"ours 3.0:   {figures['ours_per_second']:8.1f} credentials/s")
    out(
        f"DCC:        {figures['dcc_per_second']:8.1f} credentials/s "
        f"(verifier-core {figures['dcc_version']}, Node {figures['node_version']})"
    )
    met = "met" if figures["ratio"] >= 1 else "NOT met"
    out(f"ratio 3.0:  {figures['ratio']}x DCC's (target 1x: {met})")
    out(
        f"verdicts 3.0: {figures['agree']}/{count} agree "
        f"(ours {figures['ours_verdicts']}, DCC {figures['dcc_verdicts']})"
    )
    for disagreement in figures["disagreements"]:
        out(
            f"  disagree on {disagreement['kind']}: ours {disagreement['ours']}, "
            f"DCC {disagreement['dcc']}"
        )
    out(f"ours, where a credential's time goes (ms): {_split(figures['ours_ms_split'])}")
    out(
        f"VC-JWT (ours only; DCC's verifier reads no VC-JWT): {figures['jwt_credentials']} "
        f"credentials, {figures['ours_jwt_per_second']:8.1f} credentials/s"
    )
    out(f"  where its time goes (ms): {_split(figures['ours_jwt_ms_split'])}")
    for item in figures["ours_unexpected"]:
        out(f"  unexpected verdict of ours on {item['kind']}: {item['ours']}")


def _split(split: dict[str, float]) -> str:
    return ", ".join(f"{part} {value:.3f}" for part, value in split.items())


def main(arguments: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=500, help="credentials to verify (500)")
    parser.add_argument("--json", action="store_true", help="print the figures as one object")
    options = parse_with_smoke(parser, arguments, count=40)
    figures = measure(options.count)
    if options.json:
        print(json.dumps(figures))
    else:
        print_figures(figures)


if __name__ == "__main__":
    main()
