"""Batches of badges verified again with their issuers' fetches overlapping."""

from __future__ import annotations

import threading
from collections import Counter
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask

from backpack.extensions import db
from backpack.models import Badge
from backpack.services.batch_verification import overlapping
from tests.badge_fixtures import add_badge
from tests.conftest import Accounts
from tests.support.http_server import LocalHTTPServer
from tests.support.issuer import TestIssuer

ANN = "ann@example.org"


def test_a_slow_host_does_not_hold_up_the_others_nor_get_more_than_its_share() -> None:
    # The slow host's items wait until every fast item is done: run one at a time, or with
    # the slow host taking the pool, this could not finish before the wait gives up.
    fast_done = threading.Event()
    lock = threading.Lock()
    running: Counter[str] = Counter()
    most: Counter[str] = Counter()
    finished: list[str] = []
    items = [("slow", n) for n in range(4)] + [(f"fast{n % 5}", n) for n in range(20)]

    def run(item: tuple[str, int]) -> bool:
        host = item[0]
        with lock:
            running[host] += 1
            most[host] = max(most[host], running[host])
        waited = fast_done.wait(10) if host == "slow" else True
        with lock:
            running[host] -= 1
            finished.append(host)
            if sum(h != "slow" for h in finished) == 20:
                fast_done.set()
        return waited

    results = list(overlapping(items, run, workers=4, host=lambda item: item[0]))

    assert len(results) == len(items)
    assert all(waited for _, waited in results)  # no slow item had to give up waiting
    # Every fast item finished before any slow one (the order they finished in, not the
    # order they were handed back: items finishing together come back in any order).
    assert finished[-4:] == ["slow"] * 4
    assert max(most.values()) <= 2  # at most two at once from one host


def test_reverify_verifies_a_fast_issuers_badges_while_a_slow_one_answers(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer
) -> None:
    # The slow issuer's badge comes first, and its issuer answers only once the fast
    # issuer's badges have all been fetched: one badge at a time, it would time out.
    with LocalHTTPServer() as other_server:
        fast = TestIssuer(other_server)
        slow_assertion = issuer.award(ANN)
        add_badge(earner.client, "url", slow_assertion["id"])
        fast_assertions = [fast.award(ANN, slug=f"fast-{n}") for n in range(4)]
        for assertion in fast_assertions:
            add_badge(earner.client, "url", assertion["id"])

        served = Counter[str]()
        all_fast_served = threading.Event()

        def count_fast() -> None:
            served["fast"] += 1
            if served["fast"] >= len(fast_assertions):
                all_fast_served.set()

        for assertion in fast_assertions:
            other_server.counted(urlsplit(assertion["id"]).path, count_fast)
        issuer.server.held(urlsplit(slow_assertion["id"]).path, until=all_fast_served)

        result = badge_app.test_cli_runner().invoke(
            args=["badges", "reverify", "--older-than", "0s"]
        )

    assert result.exit_code == 0, result.output
    assert "Re-verified 5 badges" in result.output
    assert "5 valid" in result.output
    with badge_app.app_context():
        verdicts = db.session.scalars(sa.select(Badge.verification)).all()
    assert verdicts == ["valid"] * 5
