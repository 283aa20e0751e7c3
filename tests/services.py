"""The real services and tools tests need (PostgreSQL, MariaDB, Redis, Chromium, axe-core, wrk).

Locally a missing one skips its tests with one clear line; under CI (CI=true) it fails
them, so a green CI run always means those tests ran.
"""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

POSTGRES_URL = os.environ.get(
    "BACKPACK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
MARIADB_URL = os.environ.get(
    "BACKPACK_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test"
)
REDIS_URL = os.environ.get("BACKPACK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CHROMIUM = os.environ.get("BACKPACK_TEST_CHROMIUM", "/usr/bin/chromium")
AXE_SCRIPT = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
DCC_VERIFIER = (
    Path(__file__).resolve().parent.parent
    / "node_modules"
    / "@digitalcredentials"
    / "verifier-core"
)


def under_ci() -> bool:
    """Whether this run is CI's, where no service-backed test may skip."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(service: str, why: str) -> None:
    """Skip (locally) or fail (under CI) because a real service is not there."""
    message = f"{service} is not available ({why})"
    if under_ci():
        pytest.fail(f"{message}; under CI this test must run, not skip", pytrace=False)
    pytest.skip(message)


def port_open(url: str, default_port: int) -> bool:
    """Whether something listens at the URL's host and port."""
    parts = urlsplit(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default_port), 1
        ):
            return True
    except OSError:
        return False


def require_postgres() -> str:
    """The admin URL of the test PostgreSQL server, or skip/fail."""
    if not port_open(POSTGRES_URL, 5432):
        missing("PostgreSQL", f"nothing listens for {POSTGRES_URL}")
    return POSTGRES_URL


def require_mariadb() -> str:
    """The admin URL of the test MariaDB server (the Mozilla source), or skip/fail."""
    if not port_open(MARIADB_URL, 3306):
        missing("MariaDB", f"nothing listens for {MARIADB_URL}")
    return MARIADB_URL


def require_redis() -> str:
    """The URL of the test Redis server, or skip/fail."""
    if not port_open(REDIS_URL, 6379):
        missing("Redis", f"nothing listens for {REDIS_URL}")
    return REDIS_URL


def require_chromium() -> str:
    """The path of the Chromium binary for browser tests, or skip/fail."""
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        missing("Chromium", f"{CHROMIUM} is not installed")
    return CHROMIUM


def require_axe() -> Path:
    """The axe-core script the browser tests inject into pages (`make axe`), or skip/fail."""
    if not AXE_SCRIPT.is_file():
        missing("axe-core", f"{AXE_SCRIPT} is not there; `make axe` installs it")
    return AXE_SCRIPT


def require_dcc_verifier() -> Path:
    """Node and DCC's verifier-core, which bench/verify_credentials.py drives (`make axe`
    installs the npm packages), or skip/fail."""
    if shutil.which("node") is None:
        missing("Node", "it is not installed; `make axe` installs Debian's npm and Node")
    if not (DCC_VERIFIER / "package.json").is_file():
        missing("verifier-core", f"{DCC_VERIFIER} is not there; `make axe` installs it")
    return DCC_VERIFIER


def require_wrk() -> str:
    """The path of wrk, the load generator bench/share.py drives (`make wrk`), or skip/fail."""
    path = shutil.which("wrk")
    if path is None:
        missing("wrk", "it is not installed; `make wrk` installs Debian's")
    return str(path)


def unique_name(prefix: str) -> str:
    """A name no other test run uses at the same time."""
    return f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
