"""Many addresses per account, each verified by a signed, expiring, single-use link."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from backpack.extensions import db
from backpack.models import EmailAddress
from tests.conftest import Accounts, Outbox, csrf_token, local_path, post_form


def _emails(app: Flask) -> dict[str, EmailAddress]:
    with app.app_context():
        rows = db.session.scalars(sa.select(EmailAddress)).all()
        for row in rows:
            db.session.expunge(row)
        return {row.address: row for row in rows}


def _action(accounts: Accounts, app: Flask, address: str, action: str) -> object:
    email_id = _emails(app)[address].id
    return post_form(
        accounts.client, "/account/", {}, action=f"/account/emails/{email_id}/{action}"
    )


@pytest.fixture
def ann(accounts: Accounts) -> Accounts:
    accounts.create("ann@example.org")
    accounts.login("ann@example.org")
    return accounts


def test_an_account_holds_many_addresses(app: Flask, ann: Accounts) -> None:
    for address in ("ann@work.example", "ann@school.example", "a.n.n@home.example"):
        assert ann.add_email(address).status_code == 302
        ann.verify_latest(address)
    emails = _emails(app)
    assert len(emails) == 4
    assert all(e.is_verified for e in emails.values())
    assert [e.address for e in emails.values() if e.is_primary] == ["ann@example.org"]


def test_login_works_with_any_verified_address(ann: Accounts) -> None:
    ann.add_email("ann@work.example")
    ann.verify_latest("ann@work.example")
    ann.logout()
    assert ann.login("ann@work.example").status_code == 302
    assert ann.client.get("/account/").status_code == 200


def test_verification_link_works_only_once(ann: Accounts) -> None:
    ann.add_email("ann@work.example")
    link = local_path(ann.outbox.last_link_to("ann@work.example"))
    assert ann.verify_latest("ann@work.example").status_code == 302
    reused = ann.client.get(link)
    assert reused.status_code == 400
    assert "used already" in reused.get_data(as_text=True)


def test_a_resent_link_replaces_the_old_one(app: Flask, ann: Accounts) -> None:
    ann.add_email("ann@work.example")
    old = local_path(ann.outbox.last_link_to("ann@work.example"))
    with app.app_context():
        # Step past the resend interval instead of sleeping.
        email = db.session.scalar(sa.select(EmailAddress).filter_by(address="ann@work.example"))
        assert email is not None
        email.verification_sent_at = None
        db.session.commit()
    assert _action(ann, app, "ann@work.example", "resend").status_code == 302
    assert ann.client.get(old).status_code == 400
    assert ann.verify_latest("ann@work.example").status_code == 302


def test_resending_too_soon_is_refused(app: Flask, ann: Accounts) -> None:
    ann.add_email("ann@work.example")
    response = _action(ann, app, "ann@work.example", "resend")
    assert response.status_code == 429
    assert "Wait" in response.get_data(as_text=True)
    assert len(ann.outbox.links_to("ann@work.example")) == 1


def test_an_expired_link_is_refused(app: Flask, ann: Accounts) -> None:
    ann.add_email("ann@work.example")
    link = local_path(ann.outbox.last_link_to("ann@work.example"))
    token = link.rsplit("/", 1)[1]
    # Re-sign the same payload 25 hours in the past: past the 24-hour limit.
    payload = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="email-verification").loads(
        token
    )

    class SignerInThePast(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 25 * 3600

    stale = URLSafeTimedSerializer(
        app.config["SECRET_KEY"], salt="email-verification", signer=SignerInThePast
    ).dumps(payload)
    response = ann.client.get(f"/account/verify/{stale}")
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    assert not _emails(app)["ann@work.example"].is_verified


def test_a_forged_link_is_refused(app: Flask, ann: Accounts) -> None:
    ann.add_email("ann@work.example")
    link = local_path(ann.outbox.last_link_to("ann@work.example"))
    response = ann.client.get(link[:-4] + "abcd")
    assert response.status_code == 400
    assert "not valid" in response.get_data(as_text=True)
    assert not _emails(app)["ann@work.example"].is_verified


def test_the_same_address_in_another_case_is_one_address(ann: Accounts) -> None:
    response = ann.add_email("ANN@Example.ORG")
    assert response.status_code == 409
    assert "already on your account" in response.get_data(as_text=True)


def test_adding_an_address_held_elsewhere_looks_like_adding_a_free_one(
    app: Flask, ann: Accounts
) -> None:
    ann.create("bob@example.org", name="Bob")
    held = ann.add_email("Bob@example.org")
    free = ann.add_email("nobody@example.org")
    # The same answer for both: otherwise the form tells anyone which addresses have accounts.
    assert held.status_code == free.status_code == 302
    bob_mail = [m for m in ann.outbox.messages() if m["To"] == "Bob@example.org"]
    assert len(bob_mail) == 1
    body = bob_mail[0].get_payload(decode=True).decode()
    assert "already verified on another Backpack account" in body
    assert "http" not in body  # the owner is told; there is nothing to click
    emails = _emails(app)
    assert emails["bob@example.org"].is_verified  # Bob keeps his address
    assert not emails["Bob@example.org"].is_verified


def test_an_address_is_verified_on_at_most_one_account(
    app: Flask, app_factory: object, accounts: Accounts, outbox: Outbox
) -> None:
    # Two accounts both add the same address; only the first to verify gets it.
    accounts.create("ann@example.org")
    accounts.create("bob@example.org", name="Bob")
    accounts.login("ann@example.org")
    accounts.add_email("shared@example.org")
    ann_link = local_path(outbox.last_link_to("shared@example.org"))
    accounts.logout()
    accounts.login("bob@example.org")
    accounts.add_email("shared@example.org")
    bob_link = local_path(outbox.last_link_to("shared@example.org"))
    assert post_form(accounts.client, bob_link, {}).status_code == 302
    accounts.logout()
    accounts.login("ann@example.org")
    refused = post_form(accounts.client, ann_link, {})
    assert refused.status_code == 409
    assert "already verified on another account" in refused.get_data(as_text=True)
    with app.app_context():
        verified = db.session.scalars(
            sa.select(EmailAddress).where(
                EmailAddress.normalised == "shared@example.org",
                EmailAddress.verified_at.is_not(None),
            )
        ).all()
        assert len(verified) == 1


def test_a_malformed_address_is_refused(ann: Accounts) -> None:
    response = ann.add_email("ann at example dot org")
    assert response.status_code == 400
    assert "not a valid email address" in response.get_data(as_text=True)


def test_primary_can_move_to_another_verified_address(app: Flask, ann: Accounts) -> None:
    ann.add_email("ann@work.example")
    ann.verify_latest("ann@work.example")
    assert _action(ann, app, "ann@work.example", "primary").status_code == 302
    emails = _emails(app)
    assert emails["ann@work.example"].is_primary
    assert not emails["ann@example.org"].is_primary


def test_an_unverified_address_cannot_be_primary(app: Flask, ann: Accounts) -> None:
    ann.add_email("ann@work.example")
    response = _action(ann, app, "ann@work.example", "primary")
    assert response.status_code == 409
    assert _emails(app)["ann@example.org"].is_primary


def test_removing_the_primary_address_is_refused(app: Flask, ann: Accounts) -> None:
    ann.add_email("ann@work.example")
    ann.verify_latest("ann@work.example")
    response = _action(ann, app, "ann@example.org", "remove")
    assert response.status_code == 409
    assert "Make another address primary" in response.get_data(as_text=True)
    assert "ann@example.org" in _emails(app)


def test_removing_the_last_verified_address_is_refused(app: Flask, accounts: Accounts) -> None:
    # Only reachable if the data has no primary, e.g. after an import: the rule still holds.
    user_id = accounts.create("ann@example.org")
    accounts.login("ann@example.org")
    accounts.add_email("ann@work.example")
    with app.app_context():
        from backpack.services import emails as email_service
        from backpack.services.errors import AddressRemovalRefused

        rows = {
            e.address: e
            for e in db.session.scalars(sa.select(EmailAddress).filter_by(user_id=user_id))
        }
        rows["ann@example.org"].is_primary = False
        db.session.flush()
        with pytest.raises(AddressRemovalRefused, match="last verified address"):
            email_service.remove_email(rows["ann@example.org"])
        db.session.rollback()


def test_an_unverified_address_can_be_removed(app: Flask, ann: Accounts) -> None:
    ann.add_email("ann@work.example")
    assert _action(ann, app, "ann@work.example", "remove").status_code == 302
    assert "ann@work.example" not in _emails(app)


def test_another_users_address_cannot_be_touched(app: Flask, ann: Accounts) -> None:
    ann.create("bob@example.org", name="Bob")
    bob_email_id = _emails(app)["bob@example.org"].id
    for action in ("remove", "primary", "resend"):
        response = post_form(
            ann.client, "/account/", {}, action=f"/account/emails/{bob_email_id}/{action}"
        )
        assert response.status_code == 404
    assert "bob@example.org" in _emails(app)


def test_verification_mail_names_the_address_and_the_time_limit(ann: Accounts) -> None:
    ann.add_email("ann@work.example")
    message = ann.outbox.messages()[-1]
    body = message.get_payload(decode=True).decode()
    assert message["To"] == "ann@work.example"
    assert "ann@work.example" in body
    assert re.search(r"for 24 hours", body)


def test_an_address_gets_few_verification_mails_however_often_it_is_re_added(
    app_factory: Callable[..., Flask],
) -> None:
    app = app_factory(RATELIMIT_ENABLED=True, RATELIMIT_EMAIL_SEND="100 per minute")
    helper = Accounts(app, app.test_client(), Outbox(Path(app.config["MAIL_OUTBOX_DIR"])))
    helper.create("ann@example.org")
    helper.login("ann@example.org")
    statuses = []
    for _ in range(4):
        statuses.append(helper.add_email("victim@example.net").status_code)
        email_id = _emails(app).get("victim@example.net")
        if email_id is not None:
            post_form(
                helper.client, "/account/", {}, action=f"/account/emails/{email_id.id}/remove"
            )
    assert statuses == [302, 302, 302, 429]
    assert len(helper.outbox.links_to("victim@example.net")) == 3


def test_the_verification_mail_names_the_account_asking(ann: Accounts) -> None:
    ann.add_email("ann@work.example")
    body = ann.outbox.messages()[-1].get_payload(decode=True).decode()
    assert "The Backpack account “Ann” asks to add ann@work.example" in body


def test_opening_a_link_verifies_nothing_until_its_owner_confirms(
    app: Flask, ann: Accounts
) -> None:
    ann.add_email("ann@work.example")
    link = local_path(ann.outbox.last_link_to("ann@work.example"))
    # What a mail scanner does: it follows the link, logged out, and reads the page.
    scanner = app.test_client()
    page = scanner.get(link)
    assert page.status_code == 200
    assert "Verify ann@work.example" in page.text
    assert not _emails(app)["ann@work.example"].is_verified
    # Ann, logged in, presses the button.
    page = ann.client.get(link)
    assert "Press the button" in page.text
    assert ann.verify_latest("ann@work.example").status_code == 302
    assert _emails(app)["ann@work.example"].is_verified


def test_a_logged_out_owner_confirms_with_her_password_and_is_logged_in(
    app: Flask, ann: Accounts
) -> None:
    ann.add_email("ann@work.example")
    ann.logout()
    link = local_path(ann.outbox.last_link_to("ann@work.example"))
    wrong = post_form(ann.client, link, {"password": "not her password at all"})
    assert wrong.status_code == 401
    assert "not the password of the account" in wrong.text
    assert not _emails(app)["ann@work.example"].is_verified
    assert ann.verify_latest("ann@work.example").headers["Location"] == "/account/"
    assert _emails(app)["ann@work.example"].is_verified
    assert "ann@work.example" in ann.client.get("/account/").text  # logged in on the way


def test_another_account_cannot_verify_her_address_with_her_link(app: Flask, ann: Accounts) -> None:
    ann.add_email("ann@work.example")
    link = local_path(ann.outbox.last_link_to("ann@work.example"))
    ann.logout()
    ann.create("bob@example.org", name="Bob")
    ann.login("bob@example.org")
    refused = ann.client.get(link)
    assert refused.status_code == 403
    assert "another account" in refused.text
    token = csrf_token(ann.client, "/account/")
    assert ann.client.post(link, data={"csrf_token": token}).status_code == 403
    assert not _emails(app)["ann@work.example"].is_verified


def test_two_accounts_verifying_one_address_at_once_get_a_clear_answer(
    app: Flask, ann: Accounts, monkeypatch: pytest.MonkeyPatch
) -> None:
    from backpack.services import emails

    ann.add_email("shared@example.org")
    bob = Accounts(app, app.test_client(), ann.outbox)
    bob.create("bob@example.org", name="Bob")
    bob.login("bob@example.org")
    bob.add_email("shared@example.org")
    anns_link, bobs_link = map(local_path, ann.outbox.links_to("shared@example.org"))
    assert post_form(ann.client, anns_link, {}).status_code == 302
    # Bob's request checked before Ann's verification was committed, then writes after it.
    monkeypatch.setattr(emails, "find_verified", lambda address: None)
    response = post_form(bob.client, bobs_link, {})
    assert response.status_code == 409
    assert "already verified on another account" in response.text
