"""Outgoing mail: SMTP when MAIL_SERVER is set, otherwise .eml files in the outbox folder."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from backpack.models.base import utcnow
from backpack.services.app_context import settings

log = logging.getLogger(__name__)


def send_mail(to: str, subject: str, body: str, *, link: str | None = None) -> None:
    """Send a plain-text message; `link` is the URL in it, logged when mail stays local."""
    config = settings()
    message = EmailMessage()
    message["From"] = config.mail_sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="backpack.local")
    # Plain text as it is (7bit, or 8bit UTF-8), never quoted-printable: a saved message
    # reads as written, and no soft line break cuts its link. SMTP allows lines of 998.
    message.set_content(body, cte="7bit" if body.isascii() else "8bit")
    if config.mail_server:
        _send_smtp(message, config.mail_server)
        return
    path = _write_to_outbox(message, Path(config.mail_outbox_dir))
    # A developer clicks the logged link; in production a live reset link in a log is a leak.
    shown = link if config.is_development else "(not logged outside development)"
    log.warning("Mail to %s saved to %s (no MAIL_SERVER set). Link: %s", to, path, shown or "-")


def _send_smtp(message: EmailMessage, server: str) -> None:
    config = settings()
    with smtplib.SMTP(server, config.mail_port, timeout=30) as smtp:
        if config.mail_use_tls:
            smtp.starttls()
        if config.mail_username:
            smtp.login(config.mail_username, config.mail_password or "")
        smtp.send_message(message)


def _write_to_outbox(message: EmailMessage, outbox: Path) -> Path:
    outbox.mkdir(parents=True, exist_ok=True)
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
    recipient = "".join(c if c.isalnum() or c in "@.-_" else "_" for c in message["To"])
    path = outbox / f"{stamp}-{recipient}.eml"
    path.write_bytes(bytes(message))
    return path
