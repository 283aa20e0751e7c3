"""Every benchmark in bench/ still runs: each is started as a user would, at a tiny size.

These tests never look at speed (a benchmark prints figures and fails no build on them);
they catch a benchmark that no longer starts, crashes, or measures a page that errs.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests import services

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
# Far above what a tiny run takes, so that only a benchmark that hangs reaches it.
TIMEOUT_SECONDS = 300


def run_benchmark(script: str, *arguments: str, env: dict[str, str] | None = None) -> str:
    """Run bench/`script` from the repository root; its output, once it has exited 0."""
    finished = subprocess.run(
        [sys.executable, str(BENCH / script), *arguments],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    assert finished.returncode == 0, (
        f"bench/{script} exited {finished.returncode}:\n"
        f"{finished.stdout[-3000:]}\n{finished.stderr[-3000:]}"
    )
    return finished.stdout


@pytest.fixture(scope="session")
def badgecheck() -> None:
    """bench/.venv-badgecheck, made by bench/setup_badgecheck.sh unless it is already there."""
    finished = subprocess.run(
        ["bash", str(BENCH / "setup_badgecheck.sh")],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    if finished.returncode != 0:
        services.missing("badgecheck", f"bench/setup_badgecheck.sh failed: {finished.stderr}")


@pytest.mark.usefixtures("badgecheck")
def test_verify_benchmark_prints_both_rates_and_both_tools_agree() -> None:
    services.require_dcc_verifier()
    # Two cycles of bench/verify.py's mix: every kind of input, revoked and misaddressed too.
    output = run_benchmark("verify.py", "--smoke")

    assert re.search(r"^ours: +[\d.]+ badges/s", output, re.MULTILINE), output
    assert re.search(r"^badgecheck: +[\d.]+ badges/s", output, re.MULTILINE), output
    assert re.search(r"^ratio: +[\d.]+x", output, re.MULTILINE), output
    assert "verdicts:   40/40 agree" in output, output
    assert "verdicts 40/40 agree" in output, output  # with no issuer documents kept
    assert re.search(r"^cold floor .*: +[\d.]+ badges/s", output, re.MULTILINE), output
    # The Open Badges 3.0 part follows, in the same run.
    assert re.search(r"^ours 3.0: +[\d.]+ credentials/s", output, re.MULTILINE), output
    assert re.search(r"^DCC: +[\d.]+ credentials/s", output, re.MULTILINE), output
    assert "verdicts 3.0: 40/40 agree" in output, output


def test_credentials_benchmark_gets_dccs_verdicts_on_every_credential_and_splits_our_time() -> None:
    services.require_dcc_verifier()

    figures = json.loads(run_benchmark("verify_credentials.py", "--smoke", "--json"))

    # Two cycles of the Data Integrity mix: valid (VC 2.0 and 1.1), in a status list and
    # revoked there, tampered, signed by another key, expired, not yet valid; every verdict
    # the same as DCC's, as expected.
    assert figures["credentials"] == 40
    assert figures["disagreements"] == [], figures
    assert figures["agree"] == 40
    assert figures["dcc_verdicts"] == {"valid": 24, "revoked": 2, "invalid": 10, "expired": 4}
    assert figures["ours_unexpected"] == [], figures
    assert figures["ours_per_second"] > 0
    assert figures["dcc_per_second"] > 0
    assert figures["ours_jwt_per_second"] > 0
    split = figures["ours_ms_split"]
    assert set(split) == {"canonicalisation", "signature", "fetches", "the rest"}
    # did:key needs nothing fetched, the status lists do; a Data Integrity proof is mostly
    # canonicalisation.
    assert split["fetches"] > 0
    assert split["canonicalisation"] > split["signature"] > 0


@pytest.mark.mariadb
@pytest.mark.postgresql
def test_import_benchmark_imports_a_tiny_mozilla_instance_and_prints_its_rate() -> None:
    output = run_benchmark(
        "import_mozilla.py",
        "--smoke",
        env={
            "BACKPACK_BENCH_MARIADB_URL": services.require_mariadb(),
            "BACKPACK_BENCH_POSTGRES_URL": services.require_postgres(),
        },
    )

    report = json.loads(next(line for line in output.splitlines() if line.startswith("{")))
    # --smoke is scale 0.001: 100 users, 200 badges and 50 groups, every one of them imported.
    assert report["users"] == 100, output
    assert report["badges"] == 200, output
    assert report["collections"] == 50, output
    assert report["failed"] == 0, output
    assert re.search(r"\d+ badges/s .* peak memory \d+ MB", output), output


@pytest.mark.postgresql
def test_push_benchmark_stores_every_push_and_prints_its_rate() -> None:
    services.require_postgres()

    output = run_benchmark("push.py", "--smoke", "--json")

    figures = json.loads(output)
    assert figures["pushes"] == 10
    assert figures["failed"] == 0
    assert figures["stored"] == 10 + 10  # the timed pushes and the warm-up's
    assert figures["pushes_per_second"] > 0


@pytest.mark.postgresql
def test_reverify_benchmark_keeps_every_badge_valid_one_at_a_time_and_pooled() -> None:
    services.require_postgres()

    figures = json.loads(run_benchmark("reverify.py", "--smoke", "--json"))

    assert figures["badges"] == 30
    for run in ("one_at_a_time", "pooled"):
        assert figures[run]["verdicts"] == {"valid": 30}, figures
        assert figures[run]["badges_per_second"] > 0


@pytest.mark.postgresql
def test_pull_benchmark_pulls_every_badge_from_the_other_backpack() -> None:
    services.require_postgres()

    figures = json.loads(run_benchmark("pull.py", "--smoke", "--json"))

    assert (figures["pulled"], figures["failed"]) == (30, 0), figures
    assert figures["badges_per_second"] > 0


@pytest.mark.postgresql
def test_share_benchmark_starts_on_a_fresh_clone_and_every_page_answers() -> None:
    services.require_postgres()
    services.require_wrk()

    output = run_benchmark("share.py", "--smoke")

    rows = {
        match["name"]: int(match["errors"])
        for match in re.finditer(
            r"^(?P<name>[a-zA-Z' ]+?) +[\d.]+ +[\d.]+ +[\d.]+ +(?P<errors>\d+)$",
            output,
            re.MULTILINE,
        )
    }
    # No page answered anything but 2xx: figures of error pages would measure nothing.
    assert rows == {"bare Flask route": 0, "collection page": 0, "app's empty route": 0}, output
    assert re.search(r"^throughput ratio [\d.]+", output, re.MULTILINE), output
    assert re.search(r"^p99 ratio [\d.]+", output, re.MULTILINE), output


@pytest.mark.postgresql
@pytest.mark.redis
def test_load_benchmark_makes_every_kind_of_request_in_both_setups_without_errors() -> None:
    services.require_postgres()
    redis_url = services.require_redis()

    output = run_benchmark(
        "load.py",
        *("--smoke", "--json"),
        env={"BACKPACK_TEST_REDIS_URL": redis_url},
    )

    results = json.loads(output)
    assert set(results) == {"make run", "production"}, output
    for phases in results.values():
        assert phases["tracebacks"] == 0, output
        for phase in ("steady", "slow issuers"):
            figures = phases[phase]
            # Every kind was made, and none answered anything unexpected but a rate limit.
            kinds = {"log-in", "badge list", "badge page", "public page", "push", "upload"}
            assert kinds <= set(figures["kinds"]), output
            assert figures["errors"] == 0, output
            assert figures["requests_per_second"] > 0, output
        assert "push, slow issuer" in phases["slow issuers"]["kinds"], output


def test_every_benchmark_is_run_at_its_smoke_size_here() -> None:
    # A benchmark script (one that takes --smoke) with no test above would rot unnoticed.
    source = Path(__file__).read_text()
    scripts = sorted(
        path.name
        for path in (ROOT / "bench").glob("*.py")
        if "parse_with_smoke(" in path.read_text() and path.name != "common.py"
    )
    assert scripts
    missing = [name for name in scripts if f'"{name}"' not in source]
    assert missing == [], f"benchmarks no test runs with --smoke: {missing}"
