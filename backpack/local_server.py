"""`make run`'s local server: gunicorn and the background worker, started and stopped together.

A web import or the checks of imported badges wait in the queue until a huey worker takes
them, so a local server without one would leave them waiting for ever. Both processes get
this process's environment (the same BACKPACK_* settings and BACKPACK_CONFIG file, so the
same database and queue). Ctrl-C or SIGTERM stops both; when one of them stops on its own,
the other is stopped too, so nothing is left half running. The kernel also ends them if
this process is killed outright (Linux).

    python -m backpack.local_server [--port 5000] [--workers 2] [--threads 8]
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from types import FrameType

_PR_SET_PDEATHSIG = 1
STOP_SECONDS = 10.0  # how long each process has to stop before it is killed
POLL_SECONDS = 0.2


class _Stop(Exception):
    """Ctrl-C or SIGTERM reached this process."""


def commands(port: int, workers: int, threads: int) -> dict[str, list[str]]:
    """The two processes of a local server, by what they are."""
    python = sys.executable
    return {
        "web server": [
            python, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}",
            "--workers", str(workers), "--threads", str(threads),
            "--access-logfile", "-", "wsgi:app",
        ],
        "background worker": [python, "-m", "huey.bin.huey_consumer", "backpack.worker.queue"],
    }  # fmt: skip


def _die_with_parent() -> None:
    # Runs in the child before it starts: a `kill -9` of this process must not leave a
    # server or a worker behind (prctl is Linux's; elsewhere Ctrl-C still stops both).
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _interrupted(signum: int, frame: FrameType | None) -> None:
    raise _Stop


def run(named: dict[str, list[str]]) -> int:
    """Start every command, wait until a signal comes or one ends, then stop them all."""
    signal.signal(signal.SIGINT, _interrupted)
    signal.signal(signal.SIGTERM, _interrupted)
    children: dict[str, subprocess.Popen[bytes]] = {}
    code = 0
    try:
        for name, command in named.items():
            # Its own session: a Ctrl-C in the terminal reaches this process only, which
            # then stops both in order.
            children[name] = subprocess.Popen(  # noqa: S603 (our own commands, no shell)
                command, start_new_session=True, preexec_fn=_die_with_parent
            )
        print(
            "Started " + ", ".join(f"the {n} (pid {c.pid})" for n, c in children.items()),
            file=sys.stderr,
            flush=True,
        )
        while True:
            ended = [(n, c.returncode) for n, c in children.items() if c.poll() is not None]
            if ended:
                name, code = ended[0]
                print(f"The {name} stopped (exit {code}): stopping the rest.", file=sys.stderr)
                code = code or 1
                break
            time.sleep(POLL_SECONDS)
    except _Stop:
        code = 0
    finally:
        # A second Ctrl-C must not cut the stopping short and leave a process behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        _stop_all(list(children.values()))
    return code


def _stop_all(children: list[subprocess.Popen[bytes]]) -> None:
    # SIGTERM: gunicorn's quick stop, and huey's immediate one; an import cut short is
    # finished by uploading its file again (imports are idempotent).
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def main(argv: Sequence[str] | None = None) -> int:
    """Serve on 127.0.0.1 with the background worker beside; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker")
    options = parser.parse_args(argv)
    return run(commands(options.port, options.workers, options.threads))


if __name__ == "__main__":
    sys.exit(main())
