"""A small file system of a test's own, filled up: a full disk that harms nobody else.

A tmpfs mounted on a temporary directory (root may mount one here), unmounted afterwards.
Without the right to mount, the test skips locally and fails under CI (tests/services.py).
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests import services

SIZE = "512k"


@contextmanager
def small_file_system() -> Iterator[Path]:
    """An empty tmpfs of SIZE, mounted for the length of the block."""
    mount_point = Path(tempfile.mkdtemp(prefix="backpack-full-disk-"))
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={SIZE},mode=0777", "tmpfs", str(mount_point)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        mount_point.rmdir()
        services.missing("A small tmpfs", mounted.stderr.decode(errors="replace").strip())
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=True)
        mount_point.rmdir()


def fill(file_system: Path) -> None:
    """Take every free byte of the file system (what other files then write fails)."""
    with (file_system / "filler").open("wb", buffering=0) as filler:
        try:
            while True:
                filler.write(b"\0" * 4096)
        except OSError:
            pass
