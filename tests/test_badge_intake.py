"""Adding badges by every route: what is accepted, pending, refused, deduplicated and kept."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from backpack.extensions import db
from backpack.models import Badge, BadgeClass, Image, Issuer
from backpack.openbadges.baking import unbake
from backpack.openbadges.recipient import identity_hash
from backpack.services import badges
from backpack.services.app_fetcher import DOCUMENTS_KEY, EXTENSION_KEY
from tests.badge_fixtures import add_badge
from tests.conftest import Accounts, Outbox
from tests.support.badge_rows import held_badges
from tests.support.issuer import TestIssuer, make_png, make_svg
from tests.support.mozilla import mozilla_zip
from tests.support.oauth import connect


def _count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def test_a_hosted_badge_added_by_url_is_verified_and_kept(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer
) -> None:
    assertion = issuer.award("ann@example.org")
    response = add_badge(earner.client, "url", assertion["id"])
    assert response.status_code == 302
    page = earner.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Robotics Level 1" in page
    assert "is now in your backpack" in page
    assert "Example Institute" in page
    assert "Build a robot that follows a line." in page
    assert "Verified" in page
    assert "ann@example.org" in page
    [badge] = held_badges(badge_app)
    assert badge.status == "accepted"
    assert badge.verification == "valid"
    assert badge.version == "2.0"
    assert badge.source == "url"
    assert badge.original_payload == assertion["id"]
    assert badge.recipient == "ann@example.org"
    assert badge.image_id is not None


def test_pasted_json_keeps_the_original_text_verbatim(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer
) -> None:
    assertion = issuer.award("ann@example.org")
    text = json.dumps(assertion, indent=3)
    assert add_badge(earner.client, "text", text).status_code == 302
    [badge] = held_badges(badge_app)
    assert badge.original_payload == text.strip()
    assert badge.source == "paste"
    assert badge.assertion["id"] == assertion["id"]


def test_an_uploaded_baked_png_is_stored_and_downloads_baked(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer
) -> None:
    assertion = issuer.award("ann@example.org")
    png = issuer.baked_png(assertion)
    response = add_badge(earner.client, "upload", (io.BytesIO(png), "badge.png"))
    assert response.status_code == 302
    [badge] = held_badges(badge_app)
    assert badge.source == "upload"
    assert badge.original_image_id is not None
    download = earner.client.get(f"/badges/{badge.id}/download")
    assert download.status_code == 200
    assert download.mimetype == "image/png"
    assert "attachment" in download.headers["Content-Disposition"]
    assert json.loads(unbake(download.data).text)["id"] == assertion["id"]


def test_a_badge_added_by_url_downloads_baked_on_the_fly(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer
) -> None:
    assertion = issuer.award("ann@example.org")
    add_badge(earner.client, "url", assertion["id"])
    [badge] = held_badges(badge_app)
    download = earner.client.get(f"/badges/{badge.id}/download")
    assert download.status_code == 200
    assert unbake(download.data).text == assertion["id"]


def test_a_signed_badge_is_verified_with_the_issuers_key(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer
) -> None:
    token = issuer.award_signed("ann@example.org")
    response = add_badge(earner.client, "text", token)
    assert response.status_code == 302, response.get_data(as_text=True)
    [badge] = held_badges(badge_app)
    assert badge.verification_kind == "signed"
    assert badge.verification == "valid"
    assert badge.original_payload == token


def test_a_badge_for_someone_else_is_refused_and_nothing_is_stored(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer
) -> None:
    assertion = issuer.award("bob@example.org")
    response = add_badge(earner.client, "url", assertion["id"])
    assert response.status_code == 422
    assert "awarded to someone else" in response.get_data(as_text=True)
    assert "recipient_mismatch" in response.get_data(as_text=True)
    assert _count(badge_app, Badge) == 0


def test_a_badge_for_an_unverified_address_waits_until_it_is_verified(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer
) -> None:
    earner.add_email("ann@work.example")
    assertion = issuer.award("Ann@Work.example", hashed=False)
    response = add_badge(earner.client, "url", assertion["id"], follow_redirects=True)
    assert "not verified yet" in response.get_data(as_text=True)
    [badge] = held_badges(badge_app)
    assert badge.status == "pending"
    assert "Robotics" not in earner.client.get("/badges/?status=accepted").get_data(as_text=True)
    earner.verify_latest("ann@work.example")
    [badge] = held_badges(badge_app)
    assert badge.status == "accepted"
    assert "Robotics" in earner.client.get("/badges/?status=accepted").get_data(as_text=True)


def test_adding_the_same_badge_twice_stores_it_once(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer
) -> None:
    assertion = issuer.award("ann@example.org")
    add_badge(earner.client, "url", assertion["id"])
    again = add_badge(
        earner.client,
        "upload",
        (io.BytesIO(issuer.baked_png(assertion)), "b.png"),
        follow_redirects=True,
    )
    assert "in your backpack already" in again.get_data(as_text=True)
    assert _count(badge_app, Badge) == 1


def test_a_baked_badge_whose_issuer_is_gone_is_kept_as_unverifiable(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer
) -> None:
    assertion = issuer.award("ann@example.org")
    png = issuer.baked_png(assertion)
    issuer.server.stop()
    response = add_badge(earner.client, "upload", (io.BytesIO(png), "b.png"), follow_redirects=True)
    assert response.status_code == 200, response.get_data(as_text=True)
    page = response.get_data(as_text=True)
    assert "Unverifiable" in page
    [badge] = held_badges(badge_app)
    assert badge.verification == "unverifiable"
    assert badge.status == "accepted"
    assert badge.last_report["errors"]


def test_a_revoked_badge_is_refused(badge_app: Flask, earner: Accounts, issuer: TestIssuer) -> None:
    assertion = issuer.award("ann@example.org")
    issuer.revoke(assertion)
    response = add_badge(earner.client, "url", assertion["id"])
    assert response.status_code == 422
    assert "revoked" in response.get_data(as_text=True)
    assert _count(badge_app, Badge) == 0


def test_an_expired_badge_is_kept_and_shown_as_expired(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer
) -> None:
    assertion = issuer.award(
        "ann@example.org",
        issued_on=datetime.now(UTC) - timedelta(days=400),
        expires=datetime.now(UTC) - timedelta(days=10),
    )
    response = add_badge(earner.client, "url", assertion["id"], follow_redirects=True)
    assert "Expired" in response.get_data(as_text=True)
    [badge] = held_badges(badge_app)
    assert badge.verification == "expired"


def test_issuers_badge_classes_and_images_are_shared_between_backpacks(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer
) -> None:
    add_badge(earner.client, "url", issuer.award("ann@example.org")["id"])
    earner.logout()
    earner.create("bob@example.org", name="Bob")
    earner.login("bob@example.org")
    add_badge(earner.client, "url", issuer.award("bob@example.org")["id"])
    assert _count(badge_app, Badge) == 2
    assert _count(badge_app, BadgeClass) == 1
    assert _count(badge_app, Issuer) == 1
    assert _count(badge_app, Image) == 1


def test_reverification_catches_a_revocation(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer
) -> None:
    assertion = issuer.award("ann@example.org")
    add_badge(earner.client, "url", assertion["id"])
    [badge] = held_badges(badge_app)
    issuer.revoke(assertion)
    from tests.conftest import post_form

    response = post_form(
        earner.client,
        f"/badges/{badge.id}",
        {},
        action=f"/badges/{badge.id}/reverify",
        follow_redirects=True,
    )
    assert "revoked" in response.get_data(as_text=True).lower()
    [badge] = held_badges(badge_app)
    assert badge.verification == "revoked"
    assert badge.status == "accepted", "a revoked badge is marked, never dropped"


def test_an_svg_badge_image_is_served_so_scripts_cannot_run(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer
) -> None:
    issuer.server.serve("/image.png", make_svg(), content_type="image/svg+xml")
    add_badge(earner.client, "url", issuer.award("ann@example.org")["id"])
    [badge] = held_badges(badge_app)
    image = earner.client.get(f"/badges/{badge.id}/image")
    assert image.mimetype == "image/svg+xml"
    assert "sandbox" in image.headers["Content-Security-Policy"]
    assert "default-src 'none'" in image.headers["Content-Security-Policy"]
    assert image.headers["X-Content-Type-Options"] == "nosniff"


def test_a_verified_copy_replaces_one_that_could_not_be_checked(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer
) -> None:
    assertion = issuer.award("ann@example.org")
    path = "/assertions/1.json"
    issuer.server.serve(path, b"down for maintenance", status=503, content_type="text/plain")
    png = issuer.baked_png(assertion)
    add_badge(earner.client, "upload", (io.BytesIO(png), "b.png"))
    [placeholder] = held_badges(badge_app)
    assert placeholder.verification == "unverifiable"
    issuer.server.serve_json(path, assertion)
    add_badge(earner.client, "url", assertion["id"])
    [badge] = held_badges(badge_app)
    assert badge.id == placeholder.id
    assert badge.verification == "valid"
    assert badge.source == "url"


def test_a_badge_with_a_non_latin_name_downloads(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer
) -> None:
    issuer.badge_class("hanzi", name="徽章 Robotics")
    assertion = issuer.award("ann@example.org", slug="hanzi")
    issuer.badge_class("hanzi", name="徽章 Robotics")
    add_badge(earner.client, "url", assertion["id"])
    [badge] = held_badges(badge_app)
    download = earner.client.get(f"/badges/{badge.id}/download")
    assert download.status_code == 200
    assert 'filename="Robotics.png"' in download.headers["Content-Disposition"]


def test_a_badge_whose_issuer_gives_no_email_is_accepted_as_badgebot_issues_them(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer
) -> None:
    del issuer.profile["email"]
    issuer.server.serve_json("/issuer.json", issuer.profile)
    response = add_badge(earner.client, "url", issuer.award("ann@example.org")["id"])
    assert response.status_code == 302
    [badge] = held_badges(badge_app)
    assert badge.status == "accepted"
    assert badge.verification == "valid"
    assert "issuer_without_email" in {w["code"] for w in badge.last_report["warnings"]}


def test_a_pasted_badgr_json_reference_adds_the_hosted_badge(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer
) -> None:
    # What Badgr's UI gave earners to copy: only a pointer to the hosted assertion.
    assertion = issuer.award("ann@example.org")
    reference = json.dumps(
        {"@context": assertion["@context"], "type": "Assertion", "id": assertion["id"]}
    )
    assert add_badge(earner.client, "text", reference).status_code == 302
    [badge] = held_badges(badge_app)
    assert badge.status == "accepted"
    assert badge.verification == "valid"
    # Kept as handed in, like a pasted URL: reverification fetches the hosted copy again.
    assert badge.original_payload == reference
    assert badge.assertion["recipient"] == assertion["recipient"]
    assert badge.badge_class.name == "Robotics Level 1"


def test_badges_hashed_from_the_address_as_typed_or_its_mozilla_variants_are_accepted(
    badge_app: Flask, issuer: TestIssuer
) -> None:
    client = badge_app.test_client()
    bob = Accounts(badge_app, client, Outbox(Path(badge_app.config["MAIL_OUTBOX_DIR"])))
    bob.create("Bob.Smith@Example.org")
    bob.login("bob.smith@example.org")
    # Issuers hashed the address as it was typed on their forms, in Mozilla's spellings.
    typed = issuer.award("Bob.Smith@Example.org")
    upper = issuer.award("BOB.SMITH@EXAMPLE.ORG", slug="upper")
    for assertion in (typed, upper):
        assert add_badge(client, "url", assertion["id"]).status_code == 302
    stored = held_badges(badge_app)
    assert [b.status for b in stored] == ["accepted", "accepted"]
    assert {b.recipient for b in stored} == {"bob.smith@example.org"}
    variant_warnings = [
        [w["message"] for w in b.last_report["warnings"] if w["code"] == "recipient_case_variant"]
        for b in stored
    ]
    assert variant_warnings[0] == []
    assert "BOB.SMITH@EXAMPLE.ORG (upper case)" in variant_warnings[1][0]
    # Re-verification matches them the same way.
    with badge_app.app_context():
        for row in db.session.scalars(sa.select(Badge).order_by(Badge.id)):
            assert badges.reverify_badge(row) == "valid"


def _reverify(earner: Accounts, badge_id: int) -> None:
    from tests.conftest import post_form

    post_form(earner.client, f"/badges/{badge_id}", {}, action=f"/badges/{badge_id}/reverify")


def _time_passes(app: Flask) -> None:
    """Forget what the app keeps of issuers for minutes: kept documents and open connections."""
    documents = app.extensions.get(DOCUMENTS_KEY)
    if documents is not None:
        documents.clear()
    fetcher = app.extensions.get(EXTENSION_KEY)
    if fetcher is not None:
        fetcher.close()


def _issuer_gone(app: Flask, issuer: TestIssuer) -> None:
    issuer.server.stop()
    _time_passes(app)


def _image_requests(issuer: TestIssuer) -> int:
    return sum(request.path == "/image.png" for request in issuer.server.requests)


def test_a_badge_whose_class_image_is_missing_is_refused_with_the_reason(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer
) -> None:
    issuer.withdraw_class_image()
    response = add_badge(earner.client, "url", issuer.award("ann@example.org")["id"])
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "BadgeClass image" in page
    assert "HTTP 404" in page
    assert "badge_image_missing" in page
    assert _count(badge_app, Badge) == 0


def test_a_badge_whose_class_image_is_a_web_page_is_refused(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer
) -> None:
    issuer.serve_class_image(b"<!doctype html><p>Moved</p>", content_type="text/html")
    response = add_badge(earner.client, "text", json.dumps(issuer.award("ann@example.org")))
    assert response.status_code == 422
    assert "badge_image_invalid" in response.get_data(as_text=True)
    assert _count(badge_app, Badge) == 0


def test_a_badge_whose_class_image_cannot_be_reached_is_kept_unverifiable(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer
) -> None:
    issuer.serve_class_image(b"busy", status=503, content_type="text/plain")
    add_badge(earner.client, "url", issuer.award("ann@example.org")["id"])
    [badge] = held_badges(badge_app)
    assert badge.verification == "unverifiable"
    assert badge.image_id is None
    issuer.serve_class_image(make_png())
    _reverify(earner, badge.id)
    [badge] = held_badges(badge_app)
    assert badge.verification == "valid"
    image = earner.client.get(f"/badges/{badge.id}/image")
    assert image.status_code == 200
    assert image.data == make_png()


def test_a_pushed_badge_shows_its_class_image_from_our_copy_after_the_issuer_is_gone(
    badge_app: Flask,
    earner: Accounts,
    issuer: TestIssuer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    platform, _token = connect(badge_app, earner.client)
    pushed = platform.client.post(
        "/ims/ob/v2p1/assertions", json={"assertion": issuer.award("ann@example.org")}
    )
    assert pushed.is_success, pushed.text
    assert _image_requests(issuer) == 1, "fetched once, by verification, and kept"
    [badge] = held_badges(badge_app)
    _issuer_gone(badge_app, issuer)
    image = earner.client.get(f"/badges/{badge.id}/image")
    assert image.status_code == 200
    assert image.mimetype == "image/png"
    assert image.data == make_png()
    _reverify(earner, badge.id)
    [badge] = held_badges(badge_app)
    assert badge.verification == "unverifiable", "the issuer is gone, the badge stays"
    assert earner.client.get(f"/badges/{badge.id}/image").data == make_png()


def test_a_held_badge_whose_class_image_disappears_keeps_its_copy_with_a_warning(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer
) -> None:
    add_badge(earner.client, "url", issuer.award("ann@example.org")["id"])
    [badge] = held_badges(badge_app)
    issuer.withdraw_class_image()
    _time_passes(badge_app)
    _reverify(earner, badge.id)
    [badge] = held_badges(badge_app)
    assert badge.verification == "valid", "a lost picture is never a downgrade"
    warned = [w["code"] for w in badge.last_report["warnings"]]
    assert "badge_image_unavailable" in warned
    assert earner.client.get(f"/badges/{badge.id}/image").data == make_png()
    page = earner.client.get(f"/badges/{badge.id}").get_data(as_text=True)
    assert "Verified" in page


def test_an_imported_badge_keeps_mozillas_image_and_fetches_nothing(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer, tmp_path: Path
) -> None:
    baked = issuer.baked_png(issuer.award("ann@example.org"))
    archive = tmp_path / "mozilla.zip"
    archive.write_bytes(mozilla_zip({"b.png": baked}, {"ann@example.org": ["b.png"]}))
    before = len(issuer.server.requests)
    result = badge_app.test_cli_runner().invoke(
        args=["import", "mozilla-zip", str(archive), "--user", "ann@example.org", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert len(issuer.server.requests) == before, "an import fetches nothing, images included"
    [badge] = held_badges(badge_app)
    assert earner.client.get(f"/badges/{badge.id}/image").data == baked


def _cli_verify(app: Flask, *args: str) -> tuple[int, dict[str, Any]]:
    result = app.test_cli_runner().invoke(args=["badges", "verify", *args, "--json"])
    return result.exit_code, json.loads(result.output)


def test_cli_verify_of_a_badge_whose_class_image_is_missing_exits_1(
    badge_app: Flask, issuer: TestIssuer
) -> None:
    issuer.withdraw_class_image()
    code, report = _cli_verify(badge_app, issuer.award("ann@example.org")["id"])
    assert code == 1
    assert report["status"] == "invalid"
    assert [error["code"] for error in report["errors"]] == ["badge_image_missing"]


def test_cli_verify_exits_3_when_the_issuer_or_its_image_cannot_be_reached(
    badge_app: Flask, issuer: TestIssuer
) -> None:
    assertion = issuer.award("ann@example.org", slug="far-image")
    issuer.badge_class("far-image", image="http://127.0.0.1:1/badge.png")  # nobody listens
    code, report = _cli_verify(badge_app, assertion["id"])
    assert (code, report["status"]) == (3, "unverifiable")
    assert [error["code"] for error in report["errors"]] == ["unreachable"]
    assertion = issuer.award("ann@example.org")
    _issuer_gone(badge_app, issuer)
    code, report = _cli_verify(badge_app, assertion["id"])
    assert (code, report["status"]) == (3, "unverifiable")


def test_a_held_badge_handed_in_again_after_its_class_image_vanished_is_there_already(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer
) -> None:
    assertion = issuer.award("ann@example.org")
    add_badge(earner.client, "url", assertion["id"])
    issuer.withdraw_class_image()
    _time_passes(badge_app)
    again = add_badge(earner.client, "url", assertion["id"], follow_redirects=True)
    assert again.status_code == 200
    assert "in your backpack already" in again.get_data(as_text=True)
    assert _count(badge_app, Badge) == 1


def test_a_pasted_0_5_badge_is_refused_with_how_to_add_it(
    badge_app: Flask, earner: Accounts
) -> None:
    # 0.5 assertions hold no URL of their own: they were known by where they were fetched.
    assertion = {
        "recipient": identity_hash("ann@example.org", "pepper"),
        "salt": "pepper",
        "issued_on": "2011-06-01",
        "badge": {
            "version": "0.5.0",
            "name": "Old",
            "description": "Old badge",
            "image": "/img/old.png",
            "criteria": "/criteria",
            "issuer": {"origin": "https://old.example", "name": "Old Issuer"},
        },
    }
    response = add_badge(earner.client, "text", json.dumps(assertion))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "add it by that URL, or upload its baked image" in page
    assert "Old badge" in page, "what was pasted is kept in the field"
    assert held_badges(badge_app) == []


def test_an_uploaded_baked_png_is_read_once_and_its_text_kept(
    badge_app: Flask, earner: Accounts, issuer: TestIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from backpack.openbadges import baking

    reads: list[int] = []
    real = baking.find_png_badge

    def counted(data: bytes) -> Any:
        reads.append(len(data))
        return real(data)

    monkeypatch.setattr(baking, "find_png_badge", counted)
    assertion = issuer.award("ann@example.org")
    png = issuer.baked_png(assertion)
    assert add_badge(earner.client, "upload", (io.BytesIO(png), "badge.png")).status_code == 302
    assert len(reads) == 1
    [badge] = held_badges(badge_app)
    assert json.loads(badge.original_payload)["id"] == assertion["id"]
