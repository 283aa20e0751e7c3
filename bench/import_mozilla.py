"""Benchmark: a synthetic Mozilla Backpack in MariaDB imported into PostgreSQL.

    .venv/bin/python bench/import_mozilla.py [--scale 1.0]

Generates the instance (100k users, 200k badges with small real baked PNGs, 50k groups at
scale 1) into a new MariaDB database, then runs `flask --app wsgi import mozilla-db` in a
child process against a new PostgreSQL database with the schema migrated, and prints the
import's badges per second and its peak memory. The import forks worker processes, which
share much of their memory with it: the memory of all of them together is measured as
their summed PSS (each shared page counted once, split between its sharers), sampled from
/proc twice a second; the largest single process's peak RSS is printed too. Target (DESIGN
section 7): 2,000 badges/s or more on 2 cores, peak memory under 300 MB whatever the scale.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import parse_with_smoke
from tests.support import mozilla_instance

MARIADB = os.environ.get("BACKPACK_BENCH_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
POSTGRES = os.environ.get(
    "BACKPACK_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def main(arguments: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0: 100k users, 200k badges")
    parser.add_argument("--keep", action="store_true", help="Keep both databases afterwards.")
    args = parse_with_smoke(parser, arguments, scale=0.001)
    suffix = f"{os.getpid()}"
    source_name, target_name = f"bench_mozilla_{suffix}", f"bench_backpack_{suffix}"

    source = mozilla_instance.create_database(MARIADB, source_name)
    target = create_postgres(target_name)
    try:
        run_import(source, target, args.scale, suffix)
    finally:
        # A run that failed leaves no database behind either, unless asked to keep them.
        if not args.keep:
            mozilla_instance.drop_database(MARIADB, source_name)
            drop_postgres(target_name)


def run_import(source: str, target: str, scale: float, suffix: str) -> None:
    """Fill the source, import it into the migrated target, and print the figures."""
    started = time.perf_counter()
    mozilla_instance.fill(source, mozilla_instance.synthetic(scale))
    print(f"generated the Mozilla instance in {time.perf_counter() - started:.0f} s", flush=True)

    env = dict(os.environ, BACKPACK_SQLALCHEMY_DATABASE_URI=target, BACKPACK_SECRET_KEY="b" * 48)
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    failures = ROOT / "instance" / "imports" / f"bench-{suffix}-failures.jsonl"
    command = [*flask, "import", "mozilla-db", source, "--json", "--failures", str(failures)]
    started = time.perf_counter()
    child = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak_pss_mb = 0.0
    while child.poll() is None:
        peak_pss_mb = max(peak_pss_mb, tree_pss_mb(child.pid))
        time.sleep(0.5)
    stdout, stderr = child.communicate()
    elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    try:
        report = json.loads(stdout)
    except ValueError:
        sys.exit(f"the import failed:\n{stdout}\n{stderr}")
    badges = report["badges"]
    print(
        json.dumps({k: report[k] for k in ("users", "emails", "badges", "collections", "failed")})
    )
    print(f"import: {elapsed:.1f} s, {badges / elapsed:.0f} badges/s "
          f"({(report['users'] + badges + report['collections']) / elapsed:.0f} records/s), "
          f"peak memory {peak_pss_mb:.0f} MB (PSS, all processes), "
          f"largest process peak RSS {peak_mb:.0f} MB")  # fmt: skip


def tree_pss_mb(root: int) -> float:
    """The summed PSS of a process and all its descendants, in MB (Linux /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
                )
            except (OSError, ValueError, IndexError):
                continue
    tree, grew = {root}, True
    while grew:
        found = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= found
        grew = bool(found)
    total_kb = 0
    for pid in tree:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total_kb += int(line.split()[1])
        except OSError:
            continue  # it ended meanwhile
    return total_kb / 1024


def create_postgres(name: str) -> str:
    admin = sa.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return sa.engine.make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)


def drop_postgres(name: str) -> None:
    admin = sa.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


if __name__ == "__main__":
    main()
