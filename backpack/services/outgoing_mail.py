"""Outgoing mail: SMTP when MAIL_SERVER is set, otherwise .eml files in the outbox folder."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from flask import current_app

from backpack.config import is_development
from backpack.models.base import utcnow

log = logging.getLogger(__name__)


def send_mail(to: str, subject: str, body: str, *, link: str | None = None) -> None:
    """Send a plain-text message; `link` is the URL in it, logged when mail stays local."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="backpack.local")
    # Plain text as it is (7bit, or 8bit UTF-8), never quoted-printable: a saved message
    # reads as written, and no soft line break cuts its link. SMTP allows lines of 998.
    message.set_content(body, cte="7bit" if body.isascii() else "8bit")
    if config["MAIL_SERVER"]:
        _send_smtp(message)
        return
    path = _write_to_outbox(message, Path(config["MAIL_OUTBOX_DIR"]))
    # A developer clicks the logged link; in production a live reset link in a log is a leak.
    shown = link if is_development(current_app) else "(not logged outside development)"
    log.warning("Mail to %s saved to %s (no MAIL_SERVER set). Link: %s", to, path, shown or "-")


def _send_smtp(message: EmailMessage) -> None:
    config = current_app.config
    with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=30) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message)


def _write_to_outbox(message: EmailMessage, outbox: Path) -> Path:
    outbox.mkdir(parents=True, exist_ok=True)
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
    recipient = "".join(c if c.isalnum() or c in "@.-_" else "_" for c in message["To"])
    path = outbox / f"{stamp}-{recipient}.eml"
    path.write_bytes(bytes(message))
    return path
