"""`flask --app wsgi badges verify INPUT --json` on Open Badges 3.0 files and URLs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from backpack.openbadges.baking import bake
from tests.openbadges.credential_issuer import ISSUER_HOST, RECIPIENT, CredentialIssuer
from tests.support.http_server import LocalHTTPServer
from tests.support.issuer import make_png, make_svg

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
def issuer(badge_app: Flask) -> Iterator[CredentialIssuer]:
    """A 3.0 issuer the app's CLI can reach."""
    with LocalHTTPServer(tls_hostnames=[ISSUER_HOST]) as server:
        issuer = CredentialIssuer(server)
        fetcher = issuer.use_in(badge_app)
        yield issuer
        fetcher.close()


def run(badge_app: Flask, *args: str) -> tuple[int, dict[str, Any], str]:
    runner: FlaskCliRunner = badge_app.test_cli_runner()
    result = runner.invoke(args=["badges", "verify", *args])
    as_json = json.loads(result.output) if "--json" in args else {}
    return result.exit_code, as_json, result.output


def test_a_3_0_json_file_prints_the_contract_plus_proof_and_status(
    badge_app: Flask, issuer: CredentialIssuer, tmp_path: Path
) -> None:
    path = tmp_path / "badge.json"
    path.write_text(json.dumps(issuer.sign(issuer.credential(status="bitstring"))))

    code, report, _ = run(badge_app, str(path), "--recipient", RECIPIENT, "--json")

    assert code == 0
    assert set(report) == CONTRACT_KEYS | {"proof", "credential_status"}
    assert (report["version"], report["valid"], report["recipient_matched"]) == ("3.0", True, True)
    assert report["proof"] == {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "verification_method": issuer.method("url"),
    }
    assert report["credential_status"] == "active"
    assert report["badge"]["name"] == "Local Teamwork"
    assert report["badge"]["issuer_name"] == "Local Test Issuer"


@pytest.mark.parametrize("kind", ["png", "svg"])
def test_a_baked_3_0_image_is_verified(
    badge_app: Flask, issuer: CredentialIssuer, tmp_path: Path, kind: str
) -> None:
    credential = json.dumps(issuer.sign(issuer.credential(identity="did:key")))
    image = make_png() if kind == "png" else make_svg()
    path = tmp_path / f"badge.{kind}"
    path.write_bytes(bake(image, credential, keyword="openbadgecredential"))

    code, report, _ = run(badge_app, str(path), "--json")

    assert (code, report["version"], report["valid"]) == (0, "3.0", True)
    assert report["proof"]["verification_method"] == issuer.method("did:key")


def test_a_revoked_credential_exits_1_and_says_revoked(
    badge_app: Flask, issuer: CredentialIssuer, tmp_path: Path
) -> None:
    credential = issuer.sign(issuer.credential(status="revocation-list"))
    issuer.revoke(credential)
    path = tmp_path / "badge.json"
    path.write_text(json.dumps(credential))

    code, report, _ = run(badge_app, str(path), "--json")

    assert code == 1
    assert (report["revoked"], report["credential_status"]) == (True, "revoked")
    assert [error["code"] for error in report["errors"]] == ["revoked"]


def test_the_human_report_names_the_proof_and_status(
    badge_app: Flask, issuer: CredentialIssuer, tmp_path: Path
) -> None:
    path = tmp_path / "badge.json"
    path.write_text(json.dumps(issuer.sign(issuer.credential(status="bitstring"))))

    code, _, output = run(badge_app, str(path))

    assert code == 0
    assert "VALID: Local Teamwork (Open Badges 3.0)" in output
    assert f"proof: DataIntegrityProof (eddsa-rdfc-2022), key {issuer.method('url')}" in output
    assert "status: active" in output


def test_a_2_0_report_keeps_its_keys(badge_app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "not-a-badge.json"
    path.write_text('{"hello": "world"}')

    _, report, _ = run(badge_app, str(path), "--json")

    assert set(report) == CONTRACT_KEYS


@pytest.mark.parametrize("suffix", ["jwt", "jws"])
def test_a_vc_jwt_file_is_verified(
    badge_app: Flask, issuer: CredentialIssuer, tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"badge.{suffix}"
    path.write_text(issuer.jwt(issuer.credential(), alg="ES256") + "\n")

    code, report, _ = run(badge_app, str(path), "--recipient", RECIPIENT, "--json")

    assert (code, report["version"], report["valid"]) == (0, "3.0", True)
    assert report["proof"]["type"] == "VC-JWT"
    assert report["proof"]["cryptosuite"] == "ES256"
