"""An Open Badges 3.0 badge, once in the backpack, is shown by name and picture wherever a
2.0 one is (badge list, dashboard, collection editor, sharing page, public pages), the
add-badge page says 3.0 is understood, a visitor's "Verify now" on its public page finds it
revoked, and a restored export's 3.0 badges are checked by the background queue.

On SQLite and PostgreSQL; the issuer is the local 3.0 test issuer.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from backpack.extensions import db
from backpack.models import Badge
from backpack.services import badges
from tests.badge_fixtures import add_badge
from tests.conftest import Accounts
from tests.credential_helpers import page_text
from tests.openbadges.credential_issuer import ISSUER_HOST, CredentialIssuer
from tests.sharing_helpers import add_to, create_collection, publish, share_badge
from tests.support.http_server import LocalHTTPServer
from tests.support.issuer import make_png
from tests.test_imported_badge_checks import work_queue

ANN = "ann@example.org"
PICTURE = hashlib.sha256(make_png()).hexdigest()  # what the test issuer serves as its image


@pytest.fixture
def issuer_site() -> Iterator[LocalHTTPServer]:
    with LocalHTTPServer(tls_hostnames=[ISSUER_HOST]) as server:
        yield server


@pytest.fixture
def issuer3(badge_app: Flask, issuer_site: LocalHTTPServer) -> Iterator[CredentialIssuer]:
    issuer = CredentialIssuer(issuer_site)
    fetcher = issuer.use_in(badge_app)
    yield issuer
    fetcher.close()


def _added(client: FlaskClient, issuer: CredentialIssuer, **options: object) -> tuple[int, dict]:
    """A credential to Ann pasted on the add-badge page; its badge id and the credential."""
    signed = issuer.sign(issuer.credential(recipient=ANN, **options))  # type: ignore[arg-type]
    response = add_badge(client, "text", json.dumps(signed))
    assert response.status_code == 302, response.get_data(as_text=True)
    badge_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    return badge_id, signed


def _shows_name(client: FlaskClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, path
    html = page.get_data(as_text=True)
    assert "Local Teamwork" in page_text(html), path
    return html


def _shows_name_and_picture(client: FlaskClient, path: str) -> None:
    html = _shows_name(client, path)
    pictures = [
        client.get(src) for src in re.findall(r'<img[^>]+src="(/[^"]+)"', html)
    ]  # fmt: skip
    digests = {hashlib.sha256(p.data).hexdigest() for p in pictures if p.status_code == 200}
    assert PICTURE in digests, f"{path} shows no picture of the badge"


def test_the_add_badge_page_says_3_0_is_understood_and_how_to_paste_it(
    earner: Accounts,
) -> None:
    text = page_text(earner.client.get("/badges/add").get_data(as_text=True))
    assert "0.5 to 2.0" not in text
    assert "from 0.5 to 3.0" in text
    assert "OpenBadgeCredential" in text
    assert "JWS or VC-JWT" in text


def test_a_3_0_badge_is_shown_by_name_and_picture_on_every_page(
    badge_app: Flask, earner: Accounts, issuer3: CredentialIssuer
) -> None:
    client = earner.client
    badge_id, _signed = _added(client, issuer3)
    collection_id = create_collection(client, "Job applications")
    add_to(client, collection_id, badge_id)
    public_collection = publish(client, collection_id)
    public_badge = share_badge(client, badge_id)
    for path in (
        "/",
        "/badges/",
        f"/badges/{badge_id}",
        f"/collections/{collection_id}",
    ):
        _shows_name_and_picture(client, path)
    _shows_name(client, f"/shared-badges/{badge_id}")  # a settings page: no pictures at all
    visitor = badge_app.test_client()
    for path in (public_collection, public_badge):
        _shows_name_and_picture(visitor, path)


def test_verify_now_on_a_public_3_0_badge_finds_it_revoked(
    badge_app: Flask, earner: Accounts, issuer3: CredentialIssuer
) -> None:
    badge_app.config["PUBLIC_VERIFY_INTERVAL"] = 0
    badge_id, signed = _added(earner.client, issuer3, status="bitstring")
    public_badge = share_badge(earner.client, badge_id)
    visitor = badge_app.test_client()
    assert "Verified" in page_text(visitor.get(public_badge).get_data(as_text=True))

    issuer3.revoke(signed)
    fetched = len(issuer3.server.requests)
    answer = visitor.post(f"{public_badge}/verify")
    assert answer.status_code == 303
    assert len(issuer3.server.requests) > fetched  # the status list was asked again
    text = page_text(visitor.get(public_badge).get_data(as_text=True))
    assert "Revoked" in text
    with badge_app.app_context():
        assert db.session.get_one(Badge, badge_id).verification == "revoked"


def test_a_restored_export_of_3_0_badges_is_checked_by_the_background_queue(
    badge_app: Flask,
    earner: Accounts,
    issuer3: CredentialIssuer,
    app_factory: Callable[..., Flask],
    tmp_path: Path,
) -> None:
    # Ann exports her two credentials, empties her backpack, and restores the export with
    # the same backpack's import, whose checks wait for the background queue.
    _added(earner.client, issuer3, status="bitstring")
    _revoked_id, revoked = _added(earner.client, issuer3, status="revocation-list")
    archive = tmp_path / "ann.zip"
    args = ["users", "export", ANN, "--output", str(archive)]
    result = badge_app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    with badge_app.app_context():
        for badge in db.session.scalars(sa.select(Badge)).all():
            badges.delete_badge(badge)
        db.session.commit()
    issuer3.revoke(revoked)

    queued = app_factory(
        FETCH_ALLOW_PRIVATE=True,
        FETCH_TIMEOUT=1.0,
        VERIFY_IMPORTED_BADGES=True,
        TASKS_IMMEDIATE=False,
        TASKS_SQLITE_PATH=str(tmp_path / "tasks.sqlite3"),
    )
    fetcher = issuer3.use_in(queued)
    restore = ["import", "backpack-export", str(archive), "--user", ANN]
    restored = queued.test_cli_runner().invoke(args=restore)
    assert restored.exit_code == 0, restored.output
    assert _verdicts(queued) == {"Local Teamwork": ["unchecked", "unchecked"]}
    assert work_queue(queued) >= 1
    assert _verdicts(queued) == {"Local Teamwork": ["valid", "revoked"]}
    fetcher.close()


def _verdicts(app: Flask) -> dict[str, list[str]]:
    with app.app_context():
        found: dict[str, list[str]] = {}
        for badge in db.session.scalars(sa.select(Badge).order_by(Badge.id)):
            found.setdefault(badge.badge_class.name, []).append(badge.verification)
        return found
