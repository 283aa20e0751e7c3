"""Fixtures for the Open Badges library: a real local HTTP server and the corpus files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.http_server import LocalHTTPServer

CORPUS = Path(__file__).resolve().parent.parent / "data" / "corpus"


@pytest.fixture
def http_server() -> Iterator[LocalHTTPServer]:
    """A started HTTP server on 127.0.0.1, stopped after the test."""
    with LocalHTTPServer() as server:
        yield server


@pytest.fixture
def corpus() -> Path:
    """The folder of third-party conformance fixtures (see tests/data/corpus/LICENSES.md)."""
    return CORPUS
