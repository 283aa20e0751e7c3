"""Benchmark: badges verified per second by our verifier and by badgecheck, on the same badges.

Run from the repository root: `.venv/bin/python bench/verify.py [--count 500] [--json]`.

A test issuer on a local HTTP/1.1 server awards `--count` badges in the mix a backpack
sees: hosted 2.0 assertions by URL and pasted as JSON, signed ones (JWS, RS256), a few
revoked (410 Gone) and a few awarded to someone else. Every badge class names an image the
server serves (a PNG), since both tools fetch it and refuse a badge whose image is missing
or not an image. Each tool then verifies every input against the same recipient, one after
the other, in a loop of its own process; the server runs in a third process so that neither
tool shares the GIL with it. Both loops are timed after the same warm-up (one untimed pass
over the first inputs) and with no HTTP cache across badges: every badge is fetched again.
It prints badges per second for each tool, the ratio, and whether their verdicts agree, and
the cold floor: the same fetches over bare `http.client` plus the checks alone
(`verify_floor.py`); then the 3.0 part, against DCC's verifier (`verify_credentials.py`).
It is a benchmark: it never fails a build.
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from importlib import resources
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backpack.openbadges.document_cache import IssuerDocumentCache
from backpack.openbadges.jsonld import CONTEXT_FILES
from backpack.openbadges.safe_fetcher import Fetcher
from backpack.openbadges.verify import verify_badge
from bench import verify_credentials
from bench.common import parse_with_smoke
from bench.static_issuer import StaticIssuer
from bench.verify_floor import (
    floor_figures,
    measure_floor,
    measure_served_ceiling,
    served_ceiling_figures,
)
from tests.support.http_server import LocalHTTPServer
from tests.support.issuer import TestIssuer

BENCH = Path(__file__).resolve().parent
BADGECHECK_VENV = BENCH / ".venv-badgecheck"
BADGECHECK_PYTHON = BADGECHECK_VENV / "bin" / "python"
EARNER = "earner@example.org"
RECIPIENT = {"email": [EARNER]}
TARGET_RATIO = 50.0  # as served (issue 17)
TARGET_RATIO_COLD = 20.0  # DESIGN section 7

# Two cycles of the mix, taken in turn: 18 valid inputs, then one revoked and one awarded
# to someone else, in a different form in each cycle. A kind ends with the form handed in.
_VALID = (*["hosted URL"] * 8, *["hosted JSON"] * 5, *["signed JWS"] * 5)
CYCLES: tuple[tuple[str, ...], ...] = (
    (*_VALID, "revoked URL", "other recipient URL"),
    (*_VALID, "revoked JSON", "other recipient JWS"),
)
CYCLE_LENGTH = len(_VALID) + 2
WARMUP = CYCLE_LENGTH
BADGE_SLUGS = ("robotics", "welding", "first-aid", "python", "chess")


@dataclass(frozen=True)
class Input:
    """One badge as a backpack user hands it in."""

    kind: str
    data: str


@dataclass(frozen=True)
class Verdict:
    """What a tool concluded about one input."""

    valid: bool
    messages: list[str]


@dataclass(frozen=True)
class Run:
    """One tool's verdicts, the time of its verification loop, and the traffic it caused."""

    verdicts: list[Verdict]
    seconds: float
    version: str = ""
    requests: int = 0
    connections: int = 0

    def rate(self) -> float:
        """Badges verified per second."""
        return len(self.verdicts) / self.seconds


Verifier = Callable[[Sequence[Input]], Run]


def make_inputs(issuer: TestIssuer, count: int) -> list[Input]:
    """Award `count` badges on the issuer's server, in the proportions of CYCLES."""
    inputs = []
    for number in range(count):
        kind = CYCLES[number // CYCLE_LENGTH % len(CYCLES)][number % CYCLE_LENGTH]
        form = kind.rsplit(" ", 1)[1]
        email = "someone.else@example.org" if kind.startswith("other") else EARNER
        slug, hashed = BADGE_SLUGS[number % len(BADGE_SLUGS)], number % 3 != 0
        if form == "JWS":
            inputs.append(Input(kind, issuer.award_signed(email, slug=slug, hashed=hashed)))
            continue
        assertion = issuer.award(email, slug=slug, hashed=hashed)
        if kind.startswith("revoked"):
            issuer.revoke(assertion)
        inputs.append(Input(kind, json.dumps(assertion) if form == "JSON" else assertion["id"]))
    return inputs


def host_issuer(count: int, connection: Connection) -> None:
    """In a process of its own: host an issuer, send the inputs, answer until told to stop.

    The test issuer's documents are served as static files are (`static_issuer.py`).
    """
    server = LocalHTTPServer()  # not started: it names the URLs and keeps the routes
    inputs = make_inputs(TestIssuer(server), count)
    issuer = StaticIssuer.taking_over(server)
    try:
        connection.send(inputs)
        while connection.recv() == "traffic":
            connection.send((issuer.requests, issuer.connections))
    finally:
        issuer.stop()


def verify_with_ours(inputs: Sequence[Input], *, keep_documents: bool = True) -> Run:
    """Verify every input with our verifier, set up as the server runs it.

    One Fetcher for the run (pooled connections), and, unless `keep_documents` is off, the
    issuer document cache the server keeps: profiles, badge classes and keys for 300 s.
    Hosted assertions and revocation lists are fetched for every badge either way.
    """
    fetcher = Fetcher(allow_private=True)
    documents = IssuerDocumentCache() if keep_documents else None

    def verify(data: str) -> Any:
        return verify_badge(data, recipients=RECIPIENT, fetcher=fetcher, documents=documents)

    for item in inputs[:WARMUP]:
        verify(item.data)
    started = time.perf_counter()
    reports = [verify(item.data) for item in inputs]
    seconds = time.perf_counter() - started
    fetcher.close()
    verdicts = [
        Verdict(report.valid, [f"{error.code}: {error.message}" for error in report.errors])
        for report in reports
    ]
    return Run(verdicts, seconds)


def verify_with_ours_cold(inputs: Sequence[Input]) -> Run:
    """Our verifier with no issuer document kept across badges: every document fetched."""
    return verify_with_ours(inputs, keep_documents=False)


def verify_with_badgecheck(inputs: Sequence[Input]) -> Run:
    """Verify every input with badgecheck in its own environment; it times its own loop."""
    # Makes the environment the first time, and when its pins change; else returns at once.
    subprocess.run(["bash", str(BENCH / "setup_badgecheck.sh")], check=True, stdout=sys.stderr)
    contexts = {
        url: str(resources.files("backpack.openbadges").joinpath("contexts", name))
        for url, name in CONTEXT_FILES.items()
    }
    header = {"contexts": contexts, "warmup": WARMUP, "recipient": RECIPIENT}
    lines = [json.dumps(header), *(json.dumps({"data": item.data}) for item in inputs)]
    # requests would send even 127.0.0.1 through a proxy named in the environment.
    environment = {**os.environ, "NO_PROXY": "127.0.0.1,localhost"}
    finished = subprocess.run(
        [str(BADGECHECK_PYTHON), str(BENCH / "badgecheck_driver.py")],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    if finished.returncode != 0:
        sys.exit(f"badgecheck_driver.py failed:\n{finished.stderr}")
    *results, timing = (json.loads(line) for line in finished.stdout.splitlines())
    verdicts = [Verdict(result["valid"], result["messages"]) for result in results]
    return Run(verdicts, timing["seconds"], version=timing["version"])


def with_traffic(server: Connection, verify: Verifier, inputs: Sequence[Input]) -> Run:
    """Run a verifier and count the requests and connections the issuer's server saw."""
    server.send("traffic")
    requests, connections = server.recv()
    run = verify(inputs)
    server.send("traffic")
    requests_after, connections_after = server.recv()
    return replace(
        run, requests=requests_after - requests, connections=connections_after - connections
    )


def measure(count: int) -> dict[str, Any]:
    """Host the badges, verify them with both tools, and gather the figures."""
    processes = multiprocessing.get_context("fork")
    issuer_end, server_end = processes.Pipe()
    server = processes.Process(target=host_issuer, args=(count, server_end), daemon=True)
    server.start()
    try:
        inputs: list[Input] = issuer_end.recv()
        gc.freeze()  # as wsgi.py does once the app is made: ours runs as the server runs it
        ours = with_traffic(issuer_end, verify_with_ours, inputs)
        cold = with_traffic(issuer_end, verify_with_ours_cold, inputs)
        texts = [item.data for item in inputs]
        floor = measure_floor(texts, _verify_cold, warmup=WARMUP)
        ceiling = measure_served_ceiling(texts, _verify_served, warmup=WARMUP)
        theirs = with_traffic(issuer_end, verify_with_badgecheck, inputs)
    finally:
        issuer_end.send("stop")
        server.join(timeout=10)
    passes = count + min(WARMUP, count)
    disagreements = [
        {"kind": item.kind, "input": item.data, "ours": asdict(mine), "badgecheck": asdict(other)}
        for item, mine, other in zip(inputs, ours.verdicts, theirs.verdicts, strict=True)
        if mine.valid != other.valid
    ]
    pairs = zip(cold.verdicts, theirs.verdicts, strict=True)
    cold_disagreements = sum(mine.valid != other.valid for mine, other in pairs)
    kinds = Counter(item.kind for item in inputs)
    return (
        {
            "count": count,
            "kinds": {
                kind: {
                    "inputs": total,
                    "ours_valid": _valid_count(inputs, ours, kind),
                    "badgecheck_valid": _valid_count(inputs, theirs, kind),
                }
                for kind, total in kinds.items()
            },
            "ours_per_second": round(ours.rate(), 1),
            "badgecheck_per_second": round(theirs.rate(), 1),
            "ratio": round(ours.rate() / theirs.rate(), 1),
            "ours_cold_per_second": round(cold.rate(), 1),
            "ratio_cold": round(cold.rate() / theirs.rate(), 1),
            "agree_cold": count - cold_disagreements,
            "ours_cold_requests_per_badge": round(cold.requests / passes, 2),
            "target_ratio": TARGET_RATIO,
            "target_ratio_cold": TARGET_RATIO_COLD,
            "agree": count - len(disagreements),
            "disagreements": disagreements,
            "ours_requests_per_badge": round(ours.requests / passes, 2),
            "badgecheck_requests_per_badge": round(theirs.requests / passes, 2),
            "ours_connections": ours.connections,
            "badgecheck_connections": theirs.connections,
            "badgecheck_version": theirs.version,
            "badgecheck_http_cache": "off (use_cache=False, cache_backend=None)",
            "badgecheck_jsonld_contexts": "the bundled files, read from memory",
            "cpus": os.cpu_count(),
        }
        | floor_figures(floor, count)
        | _ceiling_figures(ceiling, count, theirs.rate())
    )


def _ceiling_figures(ceiling: tuple[float, int], count: int, theirs: float) -> dict[str, Any]:
    figures = served_ceiling_figures(*ceiling, count)
    return figures | {
        "served_ceiling_ratio": round(figures["served_ceiling_per_second"] / theirs, 1)
    }


def _verify_cold(data: str, fetcher: Fetcher) -> Any:
    return verify_badge(data, recipients=RECIPIENT, fetcher=fetcher)


def _verify_served(data: str, fetcher: Fetcher, documents: IssuerDocumentCache) -> Any:
    return verify_badge(data, recipients=RECIPIENT, fetcher=fetcher, documents=documents)


def _valid_count(inputs: Sequence[Input], run: Run, kind: str) -> int:
    return sum(
        verdict.valid
        for item, verdict in zip(inputs, run.verdicts, strict=True)
        if item.kind == kind
    )


def print_figures(figures: dict[str, Any]) -> None:
    """Print the figures for people."""
    count = figures["count"]
    print(f"Verified {count} badges with each tool, against the recipient {EARNER}:")
    for kind, numbers in figures["kinds"].items():
        print(
            f"  {kind:20} {numbers['inputs']:4} inputs, valid: ours {numbers['ours_valid']}, "
            f"badgecheck {numbers['badgecheck_valid']}"
        )
    for tool, label in (("ours", "ours:      "), ("badgecheck", "badgecheck:")):
        connections = figures[f"{tool}_connections"]
        print(
            f"{label} {figures[f'{tool}_per_second']:8.1f} badges/s "
            f"({figures[f'{tool}_requests_per_badge']} requests/badge over {connections} "
            f"connection{'' if connections == 1 else 's'})"
        )
    print(
        f"badgecheck {figures['badgecheck_version']}: HTTP cache "
        f"{figures['badgecheck_http_cache']}; JSON-LD contexts: "
        f"{figures['badgecheck_jsonld_contexts']}"
    )
    print(
        f"ours, no issuer documents kept: {figures['ours_cold_per_second']:8.1f} badges/s "
        f"({figures['ours_cold_requests_per_badge']} requests/badge), "
        f"ratio {figures['ratio_cold']}x (target {TARGET_RATIO_COLD:g}x), "
        f"verdicts {figures['agree_cold']}/{count} agree"
    )
    print(
        f"cold floor (bare http.client + the checks alone): "
        f"{figures['cold_floor_per_second']:8.1f} badges/s "
        f"({figures['floor_fetch_ms_per_badge']} ms fetching + "
        f"{figures['floor_check_ms_per_badge']} ms checking a badge); ours cold, timed in "
        f"turns with it, {figures['ours_cold_beside_floor_per_second']:.1f} badges/s: "
        f"{figures['cold_share_of_floor']} of it"
    )
    print(
        f"as-served ceiling (its {figures['served_requests_per_badge']} requests/badge over "
        f"bare http.client, checks free): {figures['served_ceiling_per_second']:8.1f} badges/s, "
        f"{figures['served_ceiling_ratio']}x badgecheck"
    )
    met = "met" if figures["ratio"] >= TARGET_RATIO else "NOT met"
    print(f"ratio:      {figures['ratio']}x as the server runs (target {TARGET_RATIO:g}x: {met})")
    print(f"verdicts:   {figures['agree']}/{count} agree")
    for disagreement in figures["disagreements"]:
        print(f"  disagree on {disagreement['kind']}: {disagreement['input'][:100]}")
        for tool in ("ours", "badgecheck"):
            verdict = disagreement[tool]
            print(f"    {tool}: {'valid' if verdict['valid'] else 'invalid'}")
            for message in verdict["messages"]:
                print(f"      {message}")


def main(arguments: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=500, help="badges to verify (500)")
    parser.add_argument("--json", action="store_true", help="print the figures as one object")
    options = parse_with_smoke(parser, arguments, count=40)
    figures = measure(options.count)
    credentials = verify_credentials.measure(options.count)
    if options.json:
        print(json.dumps({**figures, "ob3": credentials}))
    else:
        print_figures(figures)
        verify_credentials.print_figures(credentials)


if __name__ == "__main__":
    main()
