"""`flask --app wsgi badges verify INPUT [--recipient EMAIL]... --json` and `badges reverify`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

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
    assert "Re-verified 0 badge(s)" in recent.output
    result = cli.invoke(args=["badges", "reverify", "--older-than", "0s"])
    assert result.exit_code == 0, result.output
    assert "Re-verified 2 badge(s)" in result.output
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
