"""`flask --app wsgi badges verify|reverify`: verification from the command line and cron."""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import click
from flask.cli import AppGroup

from backpack.extensions import db
from backpack.models.base import utcnow
from backpack.openbadges import VerificationReport, sniff_image_type, verify_badge
from backpack.plurals import counted
from backpack.services import badges as badge_service
from backpack.services import batch_verification
from backpack.services.app_fetcher import app_fetcher

badges = AppGroup("badges", help="Verify badges.")
DURATION = re.compile(r"^(\d+)\s*([smhdw])$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
MAX_INPUT_BYTES = 16 * 1024 * 1024
# DESIGN section 4: 3 means undecided because an issuer (or a document it serves) was down.
_EXIT_CODES = {"valid": 0, "invalid": 1, "unverifiable": 3}
_HEADLINES = {"valid": "VALID", "invalid": "NOT VALID", "unverifiable": "UNVERIFIABLE"}


def read_input(value: str) -> str | bytes:
    """A badge input from the command line: a URL as given, or a file's bytes or text."""
    if value.lower().startswith(("http://", "https://")):
        return value
    path = Path(value)
    if not path.is_file():
        raise click.UsageError(f"{value} is neither an http(s) URL nor a readable file.")
    if path.stat().st_size > MAX_INPUT_BYTES:
        raise click.UsageError(f"{value} is larger than {MAX_INPUT_BYTES // (1024 * 1024)} MB.")
    data = path.read_bytes()
    if sniff_image_type(data):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data  # the verifier reports what it is not


@badges.command("verify")
@click.argument("badge_input", metavar="INPUT")
@click.option(
    "--recipient",
    "recipients",
    multiple=True,
    metavar="EMAIL",
    help="An address the badge should be awarded to (repeatable).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
def verify_command(badge_input: str, recipients: tuple[str, ...], as_json: bool) -> None:
    """Verify a badge: INPUT is a file (PNG, SVG, JSON, JWS, JWT) or a URL.

    Exit 0 if valid, 1 if not, 3 if it could not be decided (an issuer unreachable).
    """
    data = read_input(badge_input)
    report = verify_badge(
        data, recipients={"email": list(recipients)} if recipients else None, fetcher=app_fetcher()
    )
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        for line in describe_report(report, recipients_given=bool(recipients)):
            click.echo(line)
    sys.exit(_EXIT_CODES[report.status])


def describe_report(report: VerificationReport, *, recipients_given: bool) -> list[str]:
    """The report for a person: every unknown said in words, never as `None`."""
    summary = report.badge
    name = summary.name if summary and summary.name else "a badge with no name"
    version = f"Open Badges {report.version}" if report.version else "Open Badges version unknown"
    lines = [f"{_HEADLINES[report.status]}: {name} ({version})"]
    if summary and (summary.issuer_name or summary.issued_on):
        issuer = summary.issuer_name or "an unnamed issuer"
        lines.append(f"  issued by {issuer} on {summary.issued_on or 'an unknown date'}")
    if summary and summary.expires:
        lines.append(f"  expires on {summary.expires}")
    if report.version == "3.0":
        lines.extend(_credential_lines(report))
    if report.recipient_matched is not None:
        lines.append(f"  recipient matched: {'yes' if report.recipient_matched else 'no'}")
    elif recipients_given:
        lines.append("  recipient not checked: the badge could not be read far enough")
    else:
        lines.append("  recipient not checked (give --recipient EMAIL to check it)")
    lines.extend(f"  error {m.code}: {m.message}" for m in report.errors)
    lines.extend(f"  warning {m.code}: {m.message}" for m in report.warnings)
    return lines


def _credential_lines(report: VerificationReport) -> list[str]:
    # What an Open Badges 3.0 credential adds: the proof that verified it, and its status.
    proof = report.proof
    if proof is None:
        lines = ["  proof: none verified"]
    else:
        suite = f" ({proof.cryptosuite})" if proof.cryptosuite else ""
        key = f", key {proof.verification_method}" if proof.verification_method else ""
        lines = [f"  proof: {proof.type}{suite}{key}"]
    if report.credential_status is not None:
        lines.append(f"  status: {report.credential_status}")
    return lines


def parse_duration(value: str) -> timedelta:
    """`7d`, `12h`, `30m`, `2w` or `90s` as a time span."""
    match = DURATION.match(value.strip().lower())
    if not match:
        raise click.BadParameter("use a number and a unit, such as 7d, 12h or 30m")
    return timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


@badges.command("reverify")
@click.option(
    "--older-than",
    default="7d",
    show_default=True,
    help="Re-verify badges last checked longer ago than this (e.g. 7d, 12h).",
)
def reverify_command(older_than: str) -> None:
    """Verify stored badges again, to catch revocation and expiry; safe to run from cron."""
    cutoff = utcnow() - parse_duration(older_than)
    verdicts: Counter[str] = Counter()
    changed = 0
    ids = [badge.id for badge in badge_service.badges_due_for_reverification(cutoff)]
    # Different issuers' fetches overlap (REVERIFY_WORKERS at once, two per issuer).
    for done in batch_verification.reverify_many(ids):
        db.session.commit()  # one badge at a time: an interruption loses nothing done
        verdicts[done.after] += 1
        changed += done.before != done.after
    parts = ", ".join(f"{count} {verdict}" for verdict, count in sorted(verdicts.items()))
    click.echo(
        f"Re-verified {counted(len(ids), 'badge')} last checked before {cutoff:%Y-%m-%d %H:%M} UTC"
        f"{': ' + parts if parts else ''}; {changed} changed."
    )
