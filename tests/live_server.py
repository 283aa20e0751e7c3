"""The real server for end-to-end tests: migrations applied, gunicorn on a free local port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LiveServer:
    """gunicorn serving wsgi:app from a fresh database, stopped on exit."""

    def __init__(self, workdir: Path, database_url: str | None = None, **settings: str) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.outbox = workdir / "outbox"
        self.env = {
            **os.environ,
            "BACKPACK_ENVIRONMENT": "development",
            "BACKPACK_SECRET_KEY": "live-server-secret-key-0123456789abcdef",
            "BACKPACK_SQLALCHEMY_DATABASE_URI": database_url
            or f"sqlite:///{workdir / 'live.sqlite3'}",
            "BACKPACK_MAIL_OUTBOX_DIR": str(self.outbox),
            "BACKPACK_RATELIMIT_ENABLED": "false",
            "BACKPACK_BASE_URL": self.url,
            **{f"BACKPACK_{k}": v for k, v in settings.items()},
        }
        self.log = workdir / "gunicorn.log"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> LiveServer:
        subprocess.run(
            [BIN / "flask", "--app", "wsgi", "db", "upgrade"],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
        )
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    BIN / "gunicorn",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    "2",
                    "--threads",
                    "8",  # as `make run`
                    "wsgi:app",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.2):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start within 30 seconds")

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
