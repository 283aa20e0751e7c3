"""Fixtures of the Open Badges 3.0 proof tests: the fixture hosts, served locally over TLS."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.openbadges.credentials.issuer_hosts import HOSTS, IssuerHosts
from tests.support.http_server import LocalHTTPServer


@pytest.fixture
def hosts() -> Iterator[IssuerHosts]:
    """example.com, example.edu, dc.1edtech.org... served by one local HTTPS server."""
    with LocalHTTPServer(tls_hostnames=list(HOSTS)) as server:
        hosts = IssuerHosts(server)
        yield hosts
        hosts.fetcher.close()
