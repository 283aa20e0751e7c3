"""Pulling from a Mozilla Displayer API: asked with the earner's verified addresses only,
each badge verified again from its issuer's hosted copy; a hostile Displayer (HTML for
JSON, endless groups, huge pages, slow answers, redirects to private addresses) ends the
pull with its reason, and nothing of it is stored.

The Displayer and the issuer are both served by the local test server.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask

from backpack.extensions import db
from backpack.models import Badge, ImportJob
from backpack.openbadges import Fetcher
from importers.pull.displayer import list_badges
from importers.pull.remote import PullLimits, PullStopped, Remote
from tests.conftest import Accounts, post_form
from tests.support.http_server import LocalHTTPServer, RecordedRequest, Response
from tests.support.issuer import TestIssuer

ANN = "ann@example.org"


def serve_displayer(
    server: LocalHTTPServer, groups: dict[int, list[dict[str, Any]]], user_id: int = 7
) -> str:
    """A Displayer under /displayer that knows ann@example.org only; returns its base."""

    def convert(request: RecordedRequest) -> Response:
        email = json.loads(request.body or b"{}").get("email")
        if email != ANN:
            return Response(404, b'{"status": "missing"}', {"Content-Type": "application/json"})
        body = json.dumps({"status": "okay", "email": email, "userId": user_id}).encode()
        return Response(200, body, {"Content-Type": "application/json"})

    server.route("/displayer/convert/email", convert)
    listing = [
        {"groupId": gid, "name": f"Group {gid}", "badges": len(b)} for gid, b in groups.items()
    ]
    server.serve_json(f"/displayer/{user_id}/groups.json", {"userId": user_id, "groups": listing})
    for gid, badges in groups.items():
        server.serve_json(
            f"/displayer/{user_id}/group/{gid}.json",
            {"userId": user_id, "groupId": gid, "badges": badges},
        )
    return server.url("/displayer")


def shown(assertion: dict[str, Any]) -> dict[str, Any]:
    """A badge as a Displayer lists it: its hosted URL, and a view the pull must not trust."""
    return {"hostedUrl": assertion["id"], "assertion": {"badge": {"name": "Trust me"}}}


def pull(app: Flask, url: str, tmp_path: Path) -> tuple[int, dict[str, Any] | str]:
    result = app.test_cli_runner().invoke(
        args=["import", "backpack", url, "--user", ANN, "--json",
              "--failures", str(tmp_path / "failures.jsonl")]
    )  # fmt: skip
    try:
        return result.exit_code, json.loads(result.output)
    except ValueError:
        return result.exit_code, result.output


def stored(app: Flask) -> list[Badge]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(Badge).order_by(Badge.id)))
        db.session.expunge_all()
        return rows


def test_the_published_badges_come_over_verified_once(
    badge_app: Flask,
    earner: Accounts,
    issuer: TestIssuer,
    issuer_server: LocalHTTPServer,
    tmp_path: Path,
) -> None:
    one, two = issuer.award(ANN), issuer.award(ANN, slug="welding")
    bobs = issuer.award("bob@example.org")
    base = serve_displayer(
        issuer_server, {1: [shown(one), shown(two)], 2: [shown(two), shown(bobs)]}
    )

    code, report = pull(badge_app, base, tmp_path)
    assert isinstance(report, dict), report
    assert (report["badges"], report["failed"]) == (2, 1)
    assert code == 1
    badges = stored(badge_app)
    assert [(b.source, b.verification, b.source_url) for b in badges] == [
        ("pull", "valid", one["id"]),
        ("pull", "valid", two["id"]),
    ]
    asked = [json.loads(r.body)["email"] for r in issuer_server.requests if r.method == "POST"]
    assert asked == [ANN]  # only verified addresses are asked about

    code, report = pull(badge_app, base, tmp_path)
    assert isinstance(report, dict)
    assert report["badges"] == 0
    assert report["already_imported"] == {"badges": 2}
    assert len(stored(badge_app)) == 2


def test_a_badge_listed_by_its_baked_image_is_verified_from_the_image(
    badge_app: Flask,
    earner: Accounts,
    issuer: TestIssuer,
    issuer_server: LocalHTTPServer,
    tmp_path: Path,
) -> None:
    signed = issuer.award_signed(ANN, slug="baked")
    issuer_server.serve("/baked.png", issuer.baked_png(signed), content_type="image/png")
    listed = {"hostedUrl": None, "imageUrl": issuer_server.url("/baked.png"), "assertion": {}}
    base = serve_displayer(issuer_server, {1: [listed]})
    code, report = pull(badge_app, base, tmp_path)
    assert isinstance(report, dict), report
    assert (code, report["badges"]) == (0, 1)
    [badge] = stored(badge_app)
    assert (badge.source, badge.verification) == ("pull", "valid")


def test_the_address_of_the_site_is_enough(
    badge_app: Flask,
    earner: Accounts,
    issuer: TestIssuer,
    issuer_server: LocalHTTPServer,
    tmp_path: Path,
) -> None:
    serve_displayer(issuer_server, {1: [shown(issuer.award(ANN))]})
    code, report = pull(badge_app, issuer_server.url("/"), tmp_path)
    assert isinstance(report, dict), report
    assert (code, report["badges"]) == (0, 1)


Hostile = Callable[[LocalHTTPServer, str], None]


def _html_group(server: LocalHTTPServer, base: str) -> None:
    server.serve("/displayer/7/group/2.json", b"<html>Sign in</html>", content_type="text/html")


def _huge_group(server: LocalHTTPServer, base: str) -> None:
    server.stream("/displayer/7/group/2.json", total_bytes=20 * 1024 * 1024,
                  content_type="application/json")  # fmt: skip


def _slow_group(server: LocalHTTPServer, base: str) -> None:
    server.stall("/displayer/7/group/2.json", seconds=10)


def _failing_group(server: LocalHTTPServer, base: str) -> None:
    server.serve("/displayer/7/group/2.json", b"{}", status=500, content_type="application/json")


def _endless_groups(server: LocalHTTPServer, base: str) -> None:
    groups = [{"groupId": n, "name": "g", "badges": 1} for n in range(1, 500)]
    server.serve_json("/displayer/7/groups.json", {"userId": 7, "groups": groups})
    for n in range(1, 500):
        server.serve_json(f"/displayer/7/group/{n}.json", {"badges": []})


@pytest.mark.parametrize(
    ("hostile", "reason"),
    [
        (_html_group, "text/html where JSON was expected"),
        (_huge_group, "larger than"),
        (_slow_group, "could not be read"),
        (_failing_group, "HTTP 500"),
        (_endless_groups, "more than 50 requests"),
    ],
    ids=["html", "huge", "slow", "500", "endless"],
)
def test_a_hostile_displayer_ends_the_pull_with_its_reason_and_nothing_stored(
    badge_app: Flask,
    earner: Accounts,
    issuer: TestIssuer,
    issuer_server: LocalHTTPServer,
    tmp_path: Path,
    hostile: Hostile,
    reason: str,
) -> None:
    base = serve_displayer(issuer_server, {1: [shown(issuer.award(ANN))], 2: []})
    hostile(issuer_server, base)
    code, output = pull(badge_app, base, tmp_path)
    assert code == 1
    assert reason in str(output), output
    assert stored(badge_app) == []


def test_a_redirect_to_a_private_address_is_not_followed(issuer_server: LocalHTTPServer) -> None:
    serve_displayer(issuer_server, {})
    issuer_server.redirect("/displayer/7/groups.json", "http://10.1.2.3/groups.json")

    def only_the_test_server(address: IPv4Address | IPv6Address) -> bool:
        return str(address) == "127.0.0.1"  # stands in for the public internet here

    fetcher = Fetcher(address_policy=only_the_test_server, timeout=2.0)
    with pytest.raises(PullStopped) as stopped:
        list_badges(Remote(fetcher, PullLimits()), issuer_server.url("/displayer"), [ANN])
    assert "private or reserved address" in stopped.value.message
    assert not any(r.path.startswith("/groups") for r in issuer_server.requests)


def test_the_web_page_pulls_from_an_address_in_the_background(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer, issuer_server: LocalHTTPServer
) -> None:
    base = serve_displayer(issuer_server, {1: [shown(issuer.award(ANN))]})
    response = post_form(earner.client, "/account/import/backpack/", {"address": base})
    assert response.status_code == 302, response.get_data(as_text=True)
    state = earner.client.get(response.headers["Location"] + ".json").get_json()
    assert (state["status"], state["report"]["badges"]) == ("done", 1), state


def test_a_failed_pull_shows_its_reason_on_the_job_page(
    badge_app: Flask, earner: Accounts, issuer_server: LocalHTTPServer
) -> None:
    base = serve_displayer(issuer_server, {1: []})
    _html_group(issuer_server, base)
    issuer_server.serve("/displayer/7/groups.json", b"<html/>", content_type="text/html")
    response = post_form(earner.client, "/account/import/backpack/", {"address": base})
    state = earner.client.get(response.headers["Location"] + ".json").get_json()
    assert state["status"] == "failed"
    assert "where JSON was expected" in state["error"]


def test_an_address_that_cannot_be_reached_is_said_at_once_with_a_hint(
    badge_app: Flask, earner: Accounts, issuer_server: LocalHTTPServer
) -> None:
    # Typed without a scheme, the address is tried over https; an http-only host then
    # answers nothing, which is said on the form, not by a background pull failing later.
    address = f"127.0.0.1:{issuer_server.port}"
    response = post_form(earner.client, "/account/import/backpack/", {"address": address})

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "TLS connection" in page
    assert "give its address with http://" in page
    with badge_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportJob)) == 0


def test_a_slow_issuer_does_not_hold_up_the_other_issuers_badges(
    badge_app: Flask,
    earner: Accounts,
    issuer: TestIssuer,
    issuer_server: LocalHTTPServer,
    tmp_path: Path,
) -> None:
    # The slow issuer's badge is listed first, and its issuer answers only once the other
    # issuer's badges have all been fetched: verified one after another, it would time out.
    with LocalHTTPServer() as other_server:
        fast = TestIssuer(other_server)
        slow = issuer.award(ANN)
        quick = [fast.award(ANN, slug=f"fast-{n}") for n in range(4)]
        served: list[None] = []
        all_fast_served = threading.Event()

        def count_fast() -> None:
            served.append(None)
            if len(served) >= len(quick):
                all_fast_served.set()

        for assertion in quick:
            other_server.counted(urlsplit(assertion["id"]).path, count_fast)
        issuer_server.held(urlsplit(slow["id"]).path, until=all_fast_served)
        base = serve_displayer(issuer_server, {1: [shown(slow), *map(shown, quick)]})

        code, report = pull(badge_app, base, tmp_path)

    assert isinstance(report, dict), report
    assert (code, report["badges"], report["failed"]) == (0, 5, 0), report
    assert [b.verification for b in stored(badge_app)] == ["valid"] * 5


def test_a_badge_whose_check_breaks_here_is_listed_and_the_others_come_over(
    badge_app: Flask,
    earner: Accounts,
    issuer: TestIssuer,
    issuer_server: LocalHTTPServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    import importers.pull.core

    one, two = issuer.award(ANN), issuer.award(ANN, slug="welding")
    base = serve_displayer(issuer_server, {1: [shown(one), shown(two)]})
    real = importers.pull.core.badge_verifier

    def breaking_on_the_second(*args: Any, **kwargs: Any) -> Callable[[str | bytes], Any]:
        verify = real(*args, **kwargs)

        def checked(data: str | bytes) -> Any:
            if data == two["id"]:
                raise RuntimeError("a bug in the verifier")
            return verify(data)

        return checked

    monkeypatch.setattr(importers.pull.core, "badge_verifier", breaking_on_the_second)
    with caplog.at_level(logging.ERROR, logger="importers.pipeline"):
        code, report = pull(badge_app, base, tmp_path)

    assert isinstance(report, dict), report
    assert (code, report["badges"], report["failed"]) == (1, 1, 1), report
    assert report["first_failures"][0]["reason"] == "an internal error (logged)"
    assert "failed unexpectedly" in caplog.text
    assert [b.source_url for b in stored(badge_app)] == [one["id"]]
