"""Time budgets: every fetch of one verification (or request) ends together, and a process
runs only so many fetches at once."""

from __future__ import annotations

import threading
import time
from urllib.parse import urlsplit

import pytest

from backpack.openbadges.budget import TimeBudget
from backpack.openbadges.errors import FetchError
from backpack.openbadges.safe_fetcher import Fetcher
from backpack.openbadges.verify import verify_badge
from tests.support.http_server import LocalHTTPServer
from tests.support.issuer import TestIssuer


def slow_issuer(server: LocalHTTPServer, seconds: float) -> str:
    """A hosted badge whose assertion, badge class and issuer each take `seconds`."""
    issuer = TestIssuer(server)
    assertion = issuer.award("ann@example.org")
    for path in list(server._routes):
        server.slow(path, seconds=seconds)
    return str(assertion["id"])


def test_the_fetches_of_one_verification_share_its_budget(http_server: LocalHTTPServer) -> None:
    url = slow_issuer(http_server, 0.6)
    fetcher = Fetcher(allow_private=True, timeout=5.0, verification_seconds=1.0)
    started = time.monotonic()
    report = verify_badge(url, recipients=["ann@example.org"], fetcher=fetcher)
    took = time.monotonic() - started
    # Each fetch alone is well within its own deadline; the three together are not.
    assert took < 1.5
    assert not report.valid
    [error] = [e for e in report.errors if e.code == "fetch_timeout"]
    assert "The verification's 1-second time budget ran out" in error.message


def test_without_a_budget_the_same_slow_issuer_verifies(http_server: LocalHTTPServer) -> None:
    url = slow_issuer(http_server, 0.3)
    report = verify_badge(
        url, recipients=["ann@example.org"], fetcher=Fetcher(allow_private=True, timeout=5.0)
    )
    assert report.valid, report.errors


def test_an_enclosing_request_budget_ends_a_verification_sooner(
    http_server: LocalHTTPServer,
) -> None:
    url = slow_issuer(http_server, 0.4)
    fetcher = Fetcher(allow_private=True, timeout=5.0, verification_seconds=20.0)
    with TimeBudget(0.5, "This request"):
        report = verify_badge(url, recipients=["ann@example.org"], fetcher=fetcher)
        later = verify_badge(url, recipients=["ann@example.org"], fetcher=fetcher)
    messages = [e.message for e in report.errors + later.errors if e.code == "fetch_timeout"]
    assert messages
    assert all("This request's 0.5-second time budget ran out" in m for m in messages)


def test_a_spent_budget_sends_nothing(http_server: LocalHTTPServer) -> None:
    http_server.serve_json("/doc.json", {"a": 1})
    fetcher = Fetcher(allow_private=True)
    with TimeBudget(0.01, "This request"):
        time.sleep(0.02)
        with pytest.raises(FetchError) as raised:
            fetcher.get(http_server.url("/doc.json"))
    assert raised.value.code == "fetch_timeout"
    assert http_server.requests == []
    assert fetcher.get(http_server.url("/doc.json")).status == 200  # the budget is over


def test_a_process_runs_only_so_many_fetches_at_once(http_server: LocalHTTPServer) -> None:
    http_server.stall("/stalled.json", seconds=2.0)
    http_server.serve_json("/quick.json", {"a": 1})
    fetcher = Fetcher(allow_private=True, timeout=5.0, max_in_flight=1, slot_wait=0.1)
    holder = threading.Thread(target=fetcher.get, args=(http_server.url("/stalled.json"),))
    holder.start()
    while not any(urlsplit(r.path).path == "/stalled.json" for r in http_server.requests):
        time.sleep(0.01)
    started = time.monotonic()
    with pytest.raises(FetchError) as raised:
        fetcher.get(http_server.url("/quick.json"))
    assert raised.value.code == "fetch_busy"
    assert time.monotonic() - started < 1.0  # it does not wait for the slow one
    holder.join()
    assert fetcher.get(http_server.url("/quick.json")).status == 200  # the slot is free again


def test_a_slow_verification_keeps_its_fetch_slot_between_documents(
    http_server: LocalHTTPServer,
) -> None:
    # Were the slot given back between documents, other slow verifications could take turns
    # with it and hold more server threads than the bound allows.
    slow_url = slow_issuer(http_server, 0.4)
    fetcher = Fetcher(allow_private=True, timeout=5.0, max_in_flight=1, slot_wait=0.5)
    holder = threading.Thread(target=verify_badge, args=(slow_url,), kwargs={"fetcher": fetcher})
    holder.start()
    while not http_server.requests:
        time.sleep(0.01)

    with LocalHTTPServer() as other_server:
        other = TestIssuer(other_server).award("bob@example.org")
        report = verify_badge(other["id"], recipients=["bob@example.org"], fetcher=fetcher)
        holder.join()
        later = verify_badge(other["id"], recipients=["bob@example.org"], fetcher=fetcher)

    assert [e.code for e in report.errors] == ["fetch_busy"]
    assert later.valid, later.errors  # the slot is free again once the slow one is done
