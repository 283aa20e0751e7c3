"""Mozilla Backpack's stored records (mozilla-backpack.md section 1) made into what the
services take: texts, times, accounts, badges, collections. RecordRefused when unreadable.

Accounts come over as Mozilla treated them (mozilla-backpack.md section 1.1):

- The primary address (`user.email`) is the account's own, verified and primary here,
  whatever `email_is_verified` says. Mozilla added that flag in November 2017 as 0 for every
  account and never read it: log-in, password reset and badge matching trusted the primary.
  So whoever logged in there with an address and password logs in here with the same pair
  (the bcrypt hash is kept), resets the password by mail (how a Persona user, whose
  `password` is NULL, sets one), and finds the badges Mozilla showed accepted; a new sign-up
  with the address is refused as taken. No confirmation mail is sent for these addresses:
  Mozilla never asked their owners for one, and the reset mail already proves the mailbox
  to anyone who claims it. The report counts them (`unconfirmed_primaries_trusted`).
- Additional addresses keep Mozilla's flag, which Mozilla did check before matching them:
  an unconfirmed one comes over unverified, and its badges wait as pending.
- Addresses are taken as Mozilla stored them (`emails.clean_imported_address`): Mozilla's
  check was unanchored and accepted `ivy..dots@example.org`, and its owner logged in with it.
  Only new addresses typed here are held to the strict check.
- A badge Mozilla showed stays its Mozilla owner's, accepted, even when its address
  (`awarded_to_email_address`) is verified on another account here, which this one then
  can never verify; the report counts them (`badges_address_on_another_account`).
"""

from __future__ import annotations

import base64
import binascii
import html
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from backpack.services import accounts, collections
from backpack.services.bulk_intake import UncheckedBadge
from importers.pipeline import RecordRefused
from importers.report import ADDRESS_ELSEWHERE, UNCONFIRMED_PRIMARY

Row = Mapping[str, Any]
# Who checked a badge on its `validated_on` date, as the badge's page names it.
MOZILLA_BACKPACK = "Mozilla Backpack"


def stored_text(value: object) -> str:
    """A stored text as a string; RecordRefused when it is not UTF-8, or holds a NUL
    character (which PostgreSQL cannot store, and which no address, hash or link holds)."""
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            raise RecordRefused("one of its stored texts is not UTF-8") from None
    text = "" if value is None else str(value)
    if "\x00" in text:
        raise RecordRefused("one of its stored texts holds a NUL character")
    return text


def stored_words(value: object) -> str:
    """A stored name or story: NUL characters, which carry nothing there, are dropped."""
    if isinstance(value, str):
        value = value.replace("\x00", "")
    elif isinstance(value, bytes):
        value = value.replace(b"\x00", b"")
    return stored_text(value)


def typed_name(value: object) -> str:
    """A name someone typed into a Mozilla form. Some versions stored these HTML-escaped
    (mozilla-backpack.md 1.1): it is unescaped once, so `&amp;lt;` comes back as the `&lt;`
    that was typed."""
    return html.unescape(stored_words(value)).strip()


def mozilla_time(value: object) -> datetime | None:
    """A Mozilla time (milliseconds since 1970); None when absent or out of any calendar."""
    if isinstance(value, int) and value > 0:
        try:
            return datetime.fromtimestamp(value / 1000, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    return None


def account_of(row: Row) -> accounts.ImportedAccount:
    parts = (typed_name(row[k]) for k in ("first_name", "last_name"))
    name = " ".join(parts).strip()
    return accounts.ImportedAccount(
        stored_text(row["email"]),
        stored_text(row["password"]),  # NULL (a Persona user who never set one): reset by mail
        name=name,
        # The account's own address, whatever `email_is_verified` says (module docstring).
        verified=True,
        created_at=mozilla_time(row["created_at"]),
    )


def account_marks(row: Row) -> tuple[str, ...]:
    """The special cases the report counts for an imported account."""
    return () if row["email_is_verified"] else (UNCONFIRMED_PRIMARY,)


def unchecked_badge(row: Row, user_id: int) -> UncheckedBadge:
    """What the intake needs of a stored Mozilla badge; RecordRefused if unreadable."""
    body = stored_text(row["body"])
    signature = stored_text(row["signature"])
    image = None
    if row["image_data"]:
        try:
            image = base64.b64decode(row["image_data"], validate=False)
        except (binascii.Error, ValueError):
            image = None  # a badge is never refused for its picture
    validated = row["validated_on"]
    if isinstance(validated, datetime) and validated.tzinfo is None:
        validated = validated.replace(tzinfo=UTC)
    return UncheckedBadge(
        user_id,
        signature or body,
        described_by=body if signature else None,
        hosted_url=stored_text(row["endpoint"]) or None,
        image=image,
        checked_at=validated if isinstance(validated, datetime) else None,
        awarded_to=stored_address(row["awarded_to_email_address"]),
        checked_by=MOZILLA_BACKPACK,
    )


def stored_address(value: object) -> str | None:
    """A stored address, or None when it is none or unreadable (it only adds a match)."""
    try:
        return stored_text(value) or None
    except RecordRefused:
        return None


def badge_marks(address_elsewhere: bool) -> tuple[str, ...]:
    return (ADDRESS_ELSEWHERE,) if address_elsewhere else ()


def json_field(value: object, kind: type, what: str) -> Any:
    if value is None or value == b"" or value == "":
        return kind()
    try:
        document = json.loads(value if isinstance(value, str | bytes) else str(value))
    except (ValueError, UnicodeDecodeError):
        raise RecordRefused(f"its {what} are not JSON") from None
    if not isinstance(document, kind):
        raise RecordRefused(f"its {what} are not a JSON {kind.__name__}")
    return document


def _group_texts(row: Row) -> tuple[str, str]:
    """A group's collection name and description (its portfolio's title, subtitle, preamble).

    The name is unescaped as every typed name is. Portfolio texts were stored as typed
    (`createOrUpdate` saves the form as it came and escapes only when showing it), so they
    are taken as they are."""
    parts = (stored_words(row[k]).strip() for k in ("title", "subtitle", "preamble"))
    description = "\n\n".join(p for p in parts if p)[:2000]
    return typed_name(row["name"])[:100] or "Untitled collection", description


def collection_of(
    row: Row,
    owner: int,
    listed: list[Any],
    stories: dict[str, Any],
    found: tuple[Mapping[str, int], Mapping[int, int]],
) -> tuple[collections.ImportedCollection, int]:
    """The collection a group becomes, and how many of its badges were deleted or not
    imported. `found` is our badge id for each imported Mozilla badge id (as text), and the
    owner of each of ours.

    Every member stays in its place with its story, pending or not: until it is accepted,
    visitors do not see it, and then it appears where Mozilla showed it. Badge ids of other
    users are left out, as Mozilla's own query left them out."""
    ours, owned = found
    members = [ours[str(m)] for m in listed if owned.get(ours.get(str(m), 0)) == owner]
    told = {
        ours[str(m)]: story[:5000]
        for m, story in stories.items()
        if str(m) in ours and isinstance(story, str) and story.strip()
    }
    name, description = _group_texts(row)
    missing = sum(1 for m in listed if str(m) not in ours)
    wanted = collections.ImportedCollection(
        owner, name, description, members, told, published=bool(row["public"])
    )
    return wanted, missing
