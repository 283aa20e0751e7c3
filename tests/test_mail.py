"""Mail goes out by SMTP when MAIL_SERVER is set, and to the outbox folder when not."""

from __future__ import annotations

import email
import logging
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from tests.conftest import TEST_PASSWORD, Outbox, post_form
from tests.support.smtp_sink import SmtpSink


def test_verification_mail_goes_out_by_smtp_when_configured(
    app_factory: Callable[..., Flask],
) -> None:
    with SmtpSink() as sink:
        app = app_factory(
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=sink.port,
            MAIL_USE_TLS=False,
            MAIL_SENDER="Backpack <backpack@example.org>",
        )
        response = post_form(
            app.test_client(),
            "/signup",
            {"email": "ann@example.org", "password": TEST_PASSWORD, "confirm": TEST_PASSWORD},
        )
        assert response.status_code == 302
    [sent] = sink.messages
    assert sent["rcpt"] == ["ann@example.org"]
    message = email.message_from_bytes(sent["data"])
    assert message["From"] == "Backpack <backpack@example.org>"
    assert message["Subject"] == "Verify your email address for Backpack"
    assert "http://backpack.test/account/verify/" in message.get_payload(decode=True).decode()
    assert not Path(app.config["MAIL_OUTBOX_DIR"]).exists(), "nothing goes to the outbox"


def test_without_smtp_mail_is_saved_as_eml_and_its_link_logged(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="backpack.services.outgoing_mail"):
        post_form(
            app.test_client(),
            "/signup",
            {"email": "ann@example.org", "password": TEST_PASSWORD, "confirm": TEST_PASSWORD},
        )
    [saved] = list(Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"))
    assert saved.name.endswith("ann@example.org.eml")
    assert "http://backpack.test/account/verify/" in caplog.text


def test_outside_development_the_log_never_holds_a_live_link(
    app_factory: Callable[..., Flask], caplog: pytest.LogCaptureFixture
) -> None:
    from backpack.services.outgoing_mail import send_mail

    app = app_factory(TESTING=False, ENVIRONMENT="production", BASE_URL="https://backpack.test")
    link = "https://backpack.test/password/reset/secret-token"
    with (
        caplog.at_level(logging.WARNING, logger="backpack.services.outgoing_mail"),
        app.app_context(),
    ):
        send_mail("ann@example.org", "Reset", f"Open {link}", link=link)
    assert "secret-token" not in caplog.text
    assert "not logged outside development" in caplog.text


def test_the_saved_verification_mail_reads_as_written_with_its_link_whole(app: Flask) -> None:
    post_form(
        app.test_client(),
        "/signup",
        {"email": "ann@example.org", "password": TEST_PASSWORD, "confirm": TEST_PASSWORD},
    )
    [saved] = list(Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"))
    raw = saved.read_text("utf-8")
    assert re.search(r"^Content-Transfer-Encoding: [78]bit$", raw, re.MULTILINE)
    assert "If that is your account, open this link to verify the address:" in raw
    assert "=3D" not in raw  # no quoted-printable
    [link] = re.findall(r"http://backpack\.test/account/verify/\S+", raw)
    assert len(link) > 76  # long enough that quoted-printable would have cut it
    assert link in Outbox(saved.parent).links_to("ann@example.org")


def test_a_mail_with_accents_is_saved_as_utf8_text(app: Flask) -> None:
    from backpack.services.outgoing_mail import send_mail

    with app.app_context():
        send_mail("zoe@example.org", "Bonjour", "Bonjour Zoë, voici le lien.")
    [saved] = list(Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"))
    raw = saved.read_text("utf-8")
    assert "Content-Transfer-Encoding: 8bit" in raw
    assert "Bonjour Zoë, voici le lien." in raw
