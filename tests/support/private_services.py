"""Throwaway PostgreSQL and Redis servers that a fault test may stop, restart or kill.

The machine's shared servers serve other test runs at the same time: a fault test never
touches them. Each server here lives in its own temporary directory on a free port and is
stopped at the end of its `with` block. A missing binary skips locally and fails under CI.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests import services
from tests.live_server import free_port


def _postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not found:
        services.missing("PostgreSQL binaries", "no /usr/lib/postgresql/<version>/bin/pg_ctl")
    return Path(found[-1]).parent


def _as_postgres(command: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root: run them as the cluster's owner.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


class PrivatePostgres:
    """A PostgreSQL cluster of this test's own, to stop and start at will."""

    def __init__(self) -> None:
        self.bin = _postgres_bin()
        self.port = free_port()
        self.home = Path(tempfile.mkdtemp(prefix="backpack-fault-pg-"))
        self.data = self.home / "data"
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        if os.geteuid() == 0:
            shutil.chown(self.home, "postgres", "postgres")

    def _run(self, *arguments: str) -> None:
        subprocess.run(
            _as_postgres([str(self.bin / arguments[0]), *arguments[1:]]),
            check=True,
            capture_output=True,
            timeout=120,
        )

    def create(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl", "start", "-w", "-D", str(self.data), "-o", options,
            "-l", str(self.home / "server.log"),
        )  # fmt: skip

    def stop(self) -> None:
        self._run("pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.data))


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """A running private PostgreSQL server, removed afterwards."""
    server = PrivatePostgres()
    try:
        server.create()
        server.start()
        yield server
    finally:
        subprocess.run(
            _as_postgres([str(server.bin / "pg_ctl"), "stop", "-m", "immediate", "-D",
                          str(server.data)]),
            capture_output=True,
            check=False,
        )  # fmt: skip
        shutil.rmtree(server.home, ignore_errors=True)


class PrivateRedis:
    """A redis-server of this test's own, without persistence, to kill at will."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            services.missing("redis-server", "it is not installed")
        self.binary = str(binary)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while not services.port_open(self.url, self.port):
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start within 10 seconds")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    """A running private Redis server, killed afterwards."""
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.stop()
