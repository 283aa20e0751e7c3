"""`make run` is a complete local server: gunicorn and the background worker, together."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
WORKER_COMMAND = ".venv/bin/huey_consumer backpack.worker.queue"
WORKER_STARTED = "Huey consumer started"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _settings(tmp_path: Path, **more: str) -> dict[str, str]:
    """A clean environment with everything on its own files under tmp_path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKPACK_")}
    env.update(
        {
            "BACKPACK_SECRET_KEY": secrets.token_urlsafe(48),
            "BACKPACK_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'backpack.sqlite3'}",
            "BACKPACK_TASKS_SQLITE_PATH": str(tmp_path / "tasks.sqlite3"),
            "BACKPACK_MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
            "BACKPACK_IMPORTS_DIR": str(tmp_path / "imports"),
            **more,
        }
    )
    return env


def _wait_for(condition: object, seconds: float = 40.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
            return int(response.status) == 200
    except OSError:
        return False


@pytest.fixture
def local_server(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int, Path]]:
    port = _free_port()
    log = tmp_path / "server.log"
    env = _settings(tmp_path, BACKPACK_ENVIRONMENT="development")
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "backpack.local_server", "--port", str(port),
             "--workers", "1", "--threads", "1"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        yield server, port, log
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads /proc (Linux)")
def test_make_run_starts_the_server_and_the_worker_and_stopping_it_stops_both(
    local_server: tuple[subprocess.Popen[bytes], int, Path],
) -> None:
    server, port, log = local_server
    _wait_for(lambda: _answers(port) and WORKER_STARTED in log.read_text())
    processes = _children(server.pid)
    assert len(processes) == 2
    everything = processes + [p for child in processes for p in _children(child)]
    server.send_signal(signal.SIGTERM)  # as Ctrl-C or a service manager stops it
    assert server.wait(20) == 0
    _wait_for(lambda: not any(_alive(p) for p in everything), seconds=10)
    assert not _answers(port)


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads /proc (Linux)")
def test_when_the_worker_dies_make_run_stops_the_server_too(
    local_server: tuple[subprocess.Popen[bytes], int, Path],
) -> None:
    server, port, log = local_server
    _wait_for(lambda: _answers(port) and WORKER_STARTED in log.read_text())
    web, worker = _children(server.pid)
    os.kill(worker, signal.SIGKILL)
    assert server.wait(20) != 0
    assert "The background worker stopped" in log.read_text()
    _wait_for(lambda: not _alive(web), seconds=10)


def test_makefile_runs_the_local_server() -> None:
    assert "-m backpack.local_server" in (ROOT / "Makefile").read_text()


def test_the_readme_worker_command_starts_with_the_production_settings(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    assert WORKER_COMMAND in readme
    for setting in ("BACKPACK_ENVIRONMENT=production", "BACKPACK_SECRET_KEY", "BACKPACK_BASE_URL"):
        assert setting in readme
    env = _settings(
        tmp_path,
        BACKPACK_ENVIRONMENT="production",
        BACKPACK_BASE_URL="https://backpack.example.org",
    )
    command = [str(ROOT / WORKER_COMMAND.split()[0]), *WORKER_COMMAND.split()[1:]]
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_for(lambda: WORKER_STARTED in log.read_text() or worker.poll() is not None)
        assert WORKER_STARTED in log.read_text(), log.read_text()
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(20) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()


def test_the_worker_without_the_servers_settings_says_what_it_needs(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKPACK_")}
    command = [str(ROOT / WORKER_COMMAND.split()[0]), *WORKER_COMMAND.split()[1:]]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "The background worker cannot start: SECRET_KEY is missing" in result.stderr
    assert "same settings as the server" in result.stderr
    assert "Traceback" not in result.stderr
