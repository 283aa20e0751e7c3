"""Pulling from a Learner Credential Wallet backup: its credentials come in, verified by
this server, once; the private keys the backup also holds are never stored nor logged.

The credentials are issued by the local 3.0 test issuer (TLS on the local server).
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import werkzeug.formparser
from flask import Flask

from backpack.extensions import db
from backpack.models import Badge, Base, ImportedRecord, ImportJob, User
from backpack.services.badge_intake import receive_badge
from importers import zip_job
from importers.pull import jobs
from importers.pull.core import PulledBadge, scope_for
from tests.conftest import Accounts, post_form
from tests.openbadges.credential_issuer import ISSUER_HOST, CredentialIssuer
from tests.support.http_server import LocalHTTPServer

ANN = "ann@example.org"
# What a wallet's key and DID entries hold; none of it may reach the database or a log.
SECRET = (
    "zrv3kJcnBP1RpYmvNZ9jcYpKBZg41iSobWxSg3ix2U7Cp59kjwQFCT4SZTgLSL3HP8iGMdJs3nedjqYgNn6ZJmsmjRm"
)
WALLET_CONTEXT = "https://w3id.org/wallet/v1"


@pytest.fixture
def issuer3(badge_app: Flask) -> Iterator[CredentialIssuer]:
    with LocalHTTPServer(tls_hostnames=[ISSUER_HOST]) as server:
        issuer = CredentialIssuer(server)
        fetcher = issuer.use_in(badge_app)
        yield issuer
        fetcher.close()


def backup(*credentials: dict[str, Any]) -> bytes:
    """A wallet backup as the Learner Credential Wallet writes it: its DID, its keys and
    its credentials, in one UniversalWallet2020 item."""
    key = {
        "@context": [WALLET_CONTEXT, "https://w3id.org/security/suites/ed25519-2020/v1"],
        "id": "did:key:z6Mkexample#z6Mkexample",
        "type": "Ed25519VerificationKey2020",
        "controller": "did:key:z6Mkexample",
        "publicKeyMultibase": "z6Mkexample",
        "privateKeyMultibase": SECRET,
    }
    did = {
        "@context": ["https://www.w3.org/ns/did/v1", WALLET_CONTEXT],
        "id": "did:key:z6Mkexample",
        "secret": SECRET,
    }
    wallet = {
        "@context": [WALLET_CONTEXT],
        "type": "UniversalWallet2020",
        "contents": [did, key, *credentials],
    }
    return json.dumps([wallet]).encode()


def _everything_stored(app: Flask) -> str:
    """Every row of every table, as text."""
    with app.app_context():
        rows = []
        for table in Base.metadata.sorted_tables:
            rows += [repr(tuple(row)) for row in db.session.execute(sa.select(table))]
        return "\n".join(rows)


def test_a_wallet_backup_brings_its_credentials_once_and_never_its_keys(
    badge_app: Flask,
    earner: Accounts,
    issuer3: CredentialIssuer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    mine = issuer3.sign(issuer3.credential(recipient=ANN, name="Teamwork"))
    older = issuer3.sign(issuer3.credential(recipient=ANN, name="Old VC", data_model="1.1"))
    theirs = issuer3.sign(issuer3.credential(recipient="bob@example.org", name="Bob's"))
    path = tmp_path / "Wallet Backup.json"
    path.write_bytes(backup(mine, older, theirs))
    failures = tmp_path / "failures.jsonl"
    args = ["import", "wallet-backup", str(path), "--user", ANN, "--json"]
    runner = badge_app.test_cli_runner()

    first = runner.invoke(args=[*args, "--failures", str(failures)])
    report = json.loads(first.output)
    assert (report["badges"], report["failed"]) == (2, 1), first.output
    assert first.exit_code == 1  # one credential was someone else's
    assert "2 entries of the wallet backup are not credentials" in report["notes"][0]
    [failure] = [json.loads(line) for line in failures.read_text().splitlines()]
    assert failure["label"] == "Bob's"
    assert "someone else" in failure["reason"]
    with badge_app.app_context():
        badges = db.session.scalars(sa.select(Badge).order_by(Badge.id)).all()
        assert [(b.source, b.version, b.verification) for b in badges] == [
            ("pull", "3.0", "valid"),
            ("pull", "3.0", "valid"),
        ]
        assert json.loads(badges[0].original_payload) == mine

    again = runner.invoke(args=[*args, "--failures", str(tmp_path / "again.jsonl")])
    report = json.loads(again.output)
    assert report["badges"] == 0
    assert report["already_imported"] == {"badges": 2}
    with badge_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Badge.id))) == 2

    assert SECRET not in _everything_stored(badge_app)
    assert SECRET not in failures.read_text()
    assert SECRET not in caplog.text
    assert SECRET not in first.output + again.output
    assert not list(Path(badge_app.config["IMPORTS_DIR"]).rglob("*.pull.json"))


def test_a_backup_uploaded_on_the_web_is_pulled_in_the_background(
    badge_app: Flask, earner: Accounts, issuer3: CredentialIssuer
) -> None:
    mine = issuer3.sign(issuer3.credential(recipient=ANN))
    response = post_form(
        earner.client,
        "/account/import/backpack/",
        {"backup": (_file(backup(mine)), "Wallet Backup.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    state = earner.client.get(response.headers["Location"] + ".json").get_json()
    assert state["status"] == "done", state
    assert state["report"]["badges"] == 1
    page = earner.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<h1>Bringing your badges from another backpack</h1>" in page
    with badge_app.app_context():
        [job] = db.session.scalars(sa.select(ImportJob)).all()
        assert job.kind == "pull"
    assert SECRET not in _everything_stored(badge_app)
    uploads = Path(badge_app.config["IMPORTS_DIR"])
    assert all(SECRET.encode() not in p.read_bytes() for p in uploads.rglob("*") if p.is_file())


def test_a_large_backup_is_never_spooled_to_a_temporary_file(
    badge_app: Flask, earner: Accounts, monkeypatch: pytest.MonkeyPatch
) -> None:
    spooled: list[object] = []
    real = werkzeug.formparser.SpooledTemporaryFile

    def recording(*args: Any, **kwargs: Any) -> Any:
        spooled.append(args)
        return real(*args, **kwargs)  # type: ignore[misc]

    monkeypatch.setattr(werkzeug.formparser, "SpooledTemporaryFile", recording)
    large = backup({"@context": [WALLET_CONTEXT], "type": "Photo", "data": "x" * 2_000_000})
    response = post_form(
        earner.client,
        "/account/import/backpack/",
        {"backup": (_file(large), "Wallet Backup.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302  # a backup with no credentials: a pull of nothing
    assert spooled == []
    post_form(
        earner.client,
        "/badges/add",
        {"route": "upload", "image": (_file(b"x" * 600_000), "big.png")},
        content_type="multipart/form-data",
    )
    assert spooled  # other uploads are spooled as before


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"<html>not a backup</html>", "not JSON"),
        (b'"a string"', "no list of items"),
    ],
)
def test_a_file_that_is_no_backup_is_refused_with_its_reason(
    badge_app: Flask, earner: Accounts, content: bytes, reason: str
) -> None:
    response = post_form(
        earner.client,
        "/account/import/backpack/",
        {"backup": (_file(content), "backup.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert reason in response.get_data(as_text=True)
    with badge_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ImportJob.id))) == 0


def _file(content: bytes) -> io.BytesIO:
    return io.BytesIO(content)


def test_a_pull_whose_worker_died_resumes_without_doubling(
    badge_app: Flask, earner: Accounts, issuer3: CredentialIssuer
) -> None:
    credentials = [issuer3.sign(issuer3.credential(recipient=ANN, name=f"B{n}")) for n in range(3)]
    spec = jobs.wallet_spec(backup(*credentials))
    with badge_app.app_context():
        user = db.session.scalar(sa.select(User))
        assert user is not None
        badge_app.extensions["tasks"]["import_mozilla_zip"] = lambda job_id: None  # no worker
        job = jobs.start_pull(user, spec)
        # The first worker stored the first badge, then died with the job "running".
        source, listed = jobs.list_spec(spec, user, None)  # type: ignore[arg-type]
        first = listed[0]
        assert isinstance(first, PulledBadge)
        stored_first = receive(user, first)
        db.session.add(
            ImportedRecord(
                scope=scope_for(source, user), kind="badges", key=first.key, target_id=stored_first
            )
        )
        job.status = "running"
        db.session.commit()
        zip_job.run_zip_job(job.id)  # what requeue_lost_jobs has a worker run
        db.session.expire_all()
        finished = db.session.get(ImportJob, job.id)
        assert finished is not None
        assert finished.status == "done", finished.error
        assert finished.report is not None
        assert (finished.report["badges"], finished.report["already_imported"]) == (
            2,
            {"badges": 1},
        )
        assert db.session.scalar(sa.select(sa.func.count(Badge.id))) == 3


def receive(user: User, badge: PulledBadge) -> int:
    return receive_badge(user, badge.data, source="pull").badge.id
