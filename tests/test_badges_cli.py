"""`flask --app wsgi badges verify INPUT [--recipient EMAIL]... --json` and `badges reverify`."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from tests.badge_fixtures import add_badge
from tests.conftest import Accounts
from tests.support.issuer import TestIssuer

CONTRACT_KEYS = {
    "valid",
    "status",
    "version",
    "recipient_matched",
    "revoked",
    "expired",
    "errors",
    "warnings",
    "badge",
}


@pytest.fixture
def cli(badge_app: Flask) -> FlaskCliRunner:
    return badge_app.test_cli_runner()


def _verify(cli: FlaskCliRunner, *args: str) -> tuple[int, dict[str, object]]:
    result = cli.invoke(args=["badges", "verify", *args, "--json"])
    return result.exit_code, json.loads(result.output)


def test_verify_a_url_prints_the_contract_json_and_exits_0(
    cli: FlaskCliRunner, issuer: TestIssuer
) -> None:
    code, report = _verify(
        cli, issuer.award("ann@example.org")["id"], "--recipient", "ann@example.org"
    )
    assert code == 0
    assert set(report) == CONTRACT_KEYS
    assert report["valid"] is True
    assert report["version"] == "2.0"
    assert report["recipient_matched"] is True
    assert report["revoked"] is False
    assert report["badge"] == {
        "name": "Robotics Level 1",
        "issuer_name": "Example Institute",
        "issued_on": report["badge"]["issued_on"],
        "expires": None,
    }  # type: ignore[index]


def test_verify_without_recipient_reports_null_match(
    cli: FlaskCliRunner, issuer: TestIssuer
) -> None:
    code, report = _verify(cli, issuer.award("ann@example.org")["id"])
    assert code == 0
    assert report["recipient_matched"] is None


def test_verify_a_wrong_recipient_exits_1(cli: FlaskCliRunner, issuer: TestIssuer) -> None:
    code, report = _verify(
        cli, issuer.award("ann@example.org")["id"], "--recipient", "bob@example.org"
    )
    assert code == 1
    assert report["recipient_matched"] is False
    assert report["valid"] is False
    assert any(e["code"] == "recipient_mismatch" for e in report["errors"])  # type: ignore[union-attr,index]


def test_verify_files_of_every_kind(
    cli: FlaskCliRunner, issuer: TestIssuer, tmp_path: Path
) -> None:
    assertion = issuer.award("ann@example.org")
    files = {
        "badge.png": issuer.baked_png(assertion),
        "badge.json": json.dumps(assertion).encode(),
        "badge.jws": issuer.award_signed("ann@example.org").encode(),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        code, report = _verify(cli, str(tmp_path / name), "--recipient", "ann@example.org")
        assert code == 0, (name, report)
        assert report["valid"] is True


def test_verify_reports_revocation(cli: FlaskCliRunner, issuer: TestIssuer) -> None:
    assertion = issuer.award("ann@example.org")
    issuer.revoke(assertion)
    code, report = _verify(cli, assertion["id"])
    assert code == 1
    assert report["revoked"] is True


def test_verify_with_a_missing_file_is_a_usage_error(cli: FlaskCliRunner) -> None:
    result = cli.invoke(args=["badges", "verify", "/no/such/file.png", "--json"])
    assert result.exit_code == 2
    assert "neither an http(s) URL nor a readable file" in result.output


def test_reverify_catches_revocations_and_prints_a_summary(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer, cli: FlaskCliRunner
) -> None:
    assertion = issuer.award("ann@example.org")
    add_badge(earner.client, "url", assertion["id"])
    add_badge(earner.client, "url", issuer.award("ann@example.org", slug="other")["id"])
    issuer.revoke(assertion)
    recent = cli.invoke(args=["badges", "reverify", "--older-than", "7d"])
    assert recent.exit_code == 0
    assert "Re-verified 0 badges" in recent.output
    result = cli.invoke(args=["badges", "reverify", "--older-than", "0s"])
    assert result.exit_code == 0, result.output
    assert "Re-verified 2 badges" in result.output
    assert "1 revoked" in result.output
    assert "1 valid" in result.output
    assert "1 changed" in result.output


def test_reverify_refuses_a_malformed_duration(cli: FlaskCliRunner) -> None:
    result = cli.invoke(args=["badges", "reverify", "--older-than", "a week"])
    assert result.exit_code == 2
    assert "7d, 12h or 30m" in result.output


def test_verify_works_from_the_shell_without_settings(
    issuer: TestIssuer, tmp_path: Path, app_factory: Callable[..., Flask]
) -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKPACK_")}
    env.update(
        {
            "BACKPACK_FETCH_ALLOW_PRIVATE": "1",
            "BACKPACK_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}",
        }
    )
    flask = Path(sys.executable).parent / "flask"
    result = subprocess.run(
        [
            flask,
            "--app",
            "wsgi",
            "badges",
            "verify",
            issuer.award("ann@example.org")["id"],
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).parent.parent,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["valid"] is True


def test_verify_a_mozilla_era_badge_signed_with_lower_case_rs256(
    cli: FlaskCliRunner, issuer: TestIssuer, tmp_path: Path
) -> None:
    token = issuer.award_signed_like_mozilla("Ann@Example.org")
    (tmp_path / "badge.jws").write_text(token)
    code, report = _verify(cli, str(tmp_path / "badge.jws"), "--recipient", "Ann@Example.org")
    assert code == 0, report
    assert report["valid"] is True
    assert report["version"] == "1.0"
    assert report["recipient_matched"] is True


def test_verify_a_badgr_json_reference_to_a_hosted_assertion(
    cli: FlaskCliRunner, issuer: TestIssuer, tmp_path: Path
) -> None:
    assertion = issuer.award("ann@example.org")
    reference = {"@context": assertion["@context"], "type": "Assertion", "id": assertion["id"]}
    (tmp_path / "badge.json").write_text(json.dumps(reference))
    code, report = _verify(cli, str(tmp_path / "badge.json"), "--recipient", "ann@example.org")
    assert code == 0, report
    assert report["valid"] is True
    assert report["badge"]["name"] == "Robotics Level 1"  # type: ignore[index]


def test_verify_a_badgr_json_reference_to_a_missing_assertion_exits_1(
    cli: FlaskCliRunner, issuer: TestIssuer, tmp_path: Path
) -> None:
    reference = {"type": "Assertion", "id": issuer.server.url("/assertions/none.json")}
    (tmp_path / "badge.json").write_text(json.dumps(reference))
    code, report = _verify(cli, str(tmp_path / "badge.json"))
    assert code == 1
    assert [e["code"] for e in report["errors"]] == ["not_found"]  # type: ignore[union-attr,index]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve_failure(issuer: TestIssuer, url: str, status: int) -> None:
    issuer.server.serve(urlsplit(url).path, b"failed", status=status, content_type="text/plain")


@pytest.mark.parametrize("status", [500, 502, 503])
def test_verify_when_the_issuer_fails_says_unverifiable_and_exits_3(
    cli: FlaskCliRunner, issuer: TestIssuer, status: int
) -> None:
    assertion = issuer.award("ann@example.org")
    _serve_failure(issuer, assertion["badge"], status)
    code, report = _verify(cli, assertion["id"])
    assert (code, report["status"], report["valid"]) == (3, "unverifiable", False)


def test_verify_when_the_issuer_cannot_be_reached_or_is_too_slow_exits_3(
    cli: FlaskCliRunner, issuer: TestIssuer
) -> None:
    code, report = _verify(cli, f"http://127.0.0.1:{_free_port()}/assertions/1.json")
    assert (code, report["status"]) == (3, "unverifiable")
    assertion = issuer.award("ann@example.org")
    issuer.server.stall(urlsplit(assertion["badge"]).path, seconds=3)  # FETCH_TIMEOUT is 1 s
    code, report = _verify(cli, assertion["id"])
    assert (code, report["status"]) == (3, "unverifiable")


def test_verify_a_badge_class_the_issuer_says_is_missing_is_not_valid(
    cli: FlaskCliRunner, issuer: TestIssuer
) -> None:
    assertion = issuer.award("ann@example.org")
    _serve_failure(issuer, assertion["badge"], 404)
    code, report = _verify(cli, assertion["id"])
    assert (code, report["status"]) == (1, "invalid")


def test_verify_an_expired_badge_is_not_valid_even_while_its_issuer_is_down(
    cli: FlaskCliRunner, issuer: TestIssuer
) -> None:
    assertion = issuer.award("ann@example.org", expires=datetime.now(UTC) - timedelta(days=1))
    _serve_failure(issuer, assertion["badge"], 503)
    code, report = _verify(cli, assertion["id"])
    assert (code, report["status"], report["expired"]) == (1, "invalid", True)


def test_verify_a_badge_for_someone_else_is_not_valid_even_while_its_issuer_is_down(
    cli: FlaskCliRunner, issuer: TestIssuer
) -> None:
    assertion = issuer.award("bob@example.org")
    _serve_failure(issuer, assertion["badge"], 503)
    code, report = _verify(cli, assertion["id"], "--recipient", "ann@example.org")
    assert (code, report["status"], report["recipient_matched"]) == (1, "invalid", False)


def test_verify_prints_no_none_for_what_it_could_not_learn(
    cli: FlaskCliRunner, issuer: TestIssuer
) -> None:
    assertion = issuer.award("ann@example.org")
    _serve_failure(issuer, assertion["badge"], 404)  # no badge name, no issuer name
    result = cli.invoke(args=["badges", "verify", assertion["id"]])
    assert result.exit_code == 1
    assert "None" not in result.output
    assert result.output.startswith("NOT VALID: a badge with no name (Open Badges 2.0)")
    result = cli.invoke(args=["badges", "verify", f"http://127.0.0.1:{_free_port()}/a.json"])
    assert result.exit_code == 3
    assert "None" not in result.output
    assert result.output.startswith("UNVERIFIABLE: a badge with no name (Open Badges version")


def test_verify_says_when_the_recipient_was_not_checked(
    cli: FlaskCliRunner, issuer: TestIssuer
) -> None:
    assertion = issuer.award("ann@example.org")
    unchecked = cli.invoke(args=["badges", "verify", assertion["id"]])
    assert unchecked.exit_code == 0
    assert "recipient not checked" in unchecked.output
    assert "recipient matched" not in unchecked.output
    checked = cli.invoke(
        args=["badges", "verify", assertion["id"], "--recipient", "ann@example.org"]
    )
    assert "recipient matched: yes" in checked.output
    assert "recipient not checked" not in checked.output
