"""Batches of badges verified again with their issuers' fetches overlapping."""

from __future__ import annotations

import threading
from collections import Counter
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask

from backpack.extensions import db
from backpack.models import Badge, EmailAddress
from backpack.services.badges import stored_inputs
from backpack.services.batch_verification import overlapping
from tests.badge_fixtures import add_badge
from tests.conftest import Accounts
from tests.support.badge_rows import make_badge
from tests.support.http_server import LocalHTTPServer
from tests.support.issuer import TestIssuer
from tests.support.sql_statements import counted_statements

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


def _address_queries(statements: list[str]) -> int:
    return sum("FROM email_address" in statement for statement in statements)


def test_reverifying_more_badges_reads_their_owners_addresses_in_one_query(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer
) -> None:
    cli = badge_app.test_cli_runner()
    add_badge(earner.client, "url", issuer.award(ANN, slug="first")["id"])
    with counted_statements(badge_app) as few:
        result = cli.invoke(args=["badges", "reverify", "--older-than", "0s"])
    assert "Re-verified 1 badge" in result.output, result.output
    for n in range(5):
        add_badge(earner.client, "url", issuer.award(ANN, slug=f"more-{n}")["id"])
    with counted_statements(badge_app) as many:
        result = cli.invoke(args=["badges", "reverify", "--older-than", "0s"])

    assert "Re-verified 6 badges" in result.output, result.output
    assert "6 valid" in result.output
    assert _address_queries(many) == _address_queries(few) == 1


def test_each_badge_is_verified_again_for_its_address_as_its_owner_typed_it(
    badge_app: Flask, earner: Accounts
) -> None:
    # Issuers hash the address as the earner gave it to them: that spelling is the one tried.
    bob = earner.create("Bob@Example.ORG", name="Bob")
    with badge_app.app_context():
        ann = db.session.scalar(sa.select(EmailAddress.user_id).filter_by(normalised=ANN))
    assert ann is not None
    ann_badge = make_badge(badge_app, ann, recipient=ANN)
    bob_badge = make_badge(badge_app, bob, recipient="bob@example.org")
    stray = make_badge(badge_app, bob, recipient="nobody@example.org")  # on no account
    with badge_app.app_context():
        badges = [db.session.get(Badge, badge_id) for badge_id in (bob_badge, stray, ann_badge)]
        inputs = stored_inputs([badge for badge in badges if badge is not None])

    assert [(item.badge_id, item.recipient) for item in inputs] == [
        (bob_badge, "Bob@Example.ORG"),
        (stray, "nobody@example.org"),
        (ann_badge, ANN),
    ]
