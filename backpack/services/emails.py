"""Email addresses on accounts: adding, verifying by a mailed link, primary, removal."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from limits import parse_many

from backpack.database.bulk_rows import among, insert_rows_returning_ids
from backpack.extensions import db
from backpack.links import external_url
from backpack.models import EmailAddress, User
from backpack.models.accounts import new_nonce
from backpack.models.base import utcnow
from backpack.services import badges, link_tokens, rate_budgets
from backpack.services.app_context import settings
from backpack.services.errors import (
    AddressRemovalRefused,
    AddressTaken,
    BadToken,
    InvalidAddress,
    NotVerified,
    SendTooSoon,
    ServiceError,
    WrongAccount,
)
from backpack.services.outgoing_mail import send_mail

# The least time between two verification mails to one address row, whoever asks, and the
# most mails one address receives, whatever account asks.
RESEND_INTERVAL = timedelta(seconds=60)
ADDRESS_MAIL_LIMIT = "3 per hour;10 per day"


def normalise_address(address: str) -> str:
    """The form every lookup uses: `Ann@Example.org` and `ann@example.org` are one address."""
    return address.strip().casefold()


def clean_address(address: str) -> str:
    """Check an address's syntax and return it as typed, trimmed; raise InvalidAddress."""
    address = address.strip()
    if len(address) > 254:
        raise InvalidAddress("That email address is too long.")
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidAddress(f"That is not a valid email address: {exc}") from exc
    return address


# Room for the longest address the column holds; a longer one is no address anyone types.
IMPORTED_ADDRESS_MAX = 320


def clean_imported_address(address: str) -> str:
    """An address another backpack stored, taken as it stored it, trimmed; InvalidAddress
    only when it is no address at all (empty, no `@`, too long, or with control characters).

    Mozilla Backpack's check was unanchored, so it stored addresses such as
    `ivy..dots@example.org` that `clean_address` refuses; their owners logged in with them,
    so an import keeps them (only new addresses typed here are held to `clean_address`).
    """
    address = address.strip()
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        raise InvalidAddress(f"“{address}” is not an email address: it has no name@domain.")
    if len(address) > IMPORTED_ADDRESS_MAX:
        raise InvalidAddress("That email address is too long.")
    if any(ord(char) < 32 or ord(char) == 127 for char in address):
        raise InvalidAddress("That email address holds control characters.")
    return address


def find_verified(address: str) -> EmailAddress | None:
    """The verified address matching this one on any account."""
    return db.session.scalar(
        sa.select(EmailAddress).where(
            EmailAddress.normalised == normalise_address(address),
            EmailAddress.verified_at.is_not(None),
        )
    )


def accounts_holding(address: str) -> list[User]:
    """The account with this address verified; or else every account holding it unverified."""
    verified = find_verified(address)
    if verified is not None:
        return [verified.user]
    return list(
        db.session.scalars(
            sa.select(User)
            .join(EmailAddress, EmailAddress.user_id == User.id)
            .where(EmailAddress.normalised == normalise_address(address))
            .order_by(User.id)
        )
    )


def get_address(user: User, email_id: int) -> EmailAddress | None:
    """One of the user's addresses by its id, or None (never another user's)."""
    email = db.session.get(EmailAddress, email_id)
    if email is None or email.user_id != user.id:
        return None
    return email


def holds_address(user: User, address: str) -> bool:
    """Whether the account holds this address already, verified or not."""
    return normalise_address(address) in {e.normalised for e in user.emails}


def add_email(user: User, address: str, *, send: bool = True) -> EmailAddress:
    """Add an unverified address to an account and mail it a verification link.

    An address verified on another account is added all the same, and its mail tells the
    owner so instead of carrying a link: answering "taken" here would let anyone find out
    which addresses have accounts. Without a mail (imports, the CLI) it is refused."""
    address = clean_address(address)
    normalised = normalise_address(address)
    if any(e.normalised == normalised for e in user.emails):
        raise AddressTaken("That address is already on your account.")
    if not send and find_verified(address) is not None:
        raise AddressTaken("That address is already verified on another account.")
    email = EmailAddress(address=address, normalised=normalised)
    user.emails.append(email)
    db.session.flush()
    if send:
        send_verification(email)
    return email


def add_verified_email(user: User, address: str) -> EmailAddress:
    """Add an address that is verified already (accounts made by an operator or an import)."""
    email = add_email(user, address, send=False)
    mark_verified(email)
    return email


def send_verification(email: EmailAddress) -> None:
    """Mail a new single-use verification link; earlier links stop working.

    The mail limits are counted first, whatever the address: the answer and its cost are
    the same for an address held elsewhere, which gets a notice instead of a link."""
    if email.is_verified:
        raise NotVerified("That address is verified already.")
    now = utcnow()
    if email.verification_sent_at and now - email.verification_sent_at < RESEND_INTERVAL:
        wait = int((RESEND_INTERVAL - (now - email.verification_sent_at)).total_seconds()) + 1
        raise SendTooSoon(f"A link was sent moments ago. Wait {wait} seconds to ask again.")
    _spend_mail_budget(email)
    email.verification_nonce = new_nonce()
    email.verification_sent_at = now
    db.session.flush()
    # Name the account, so that someone who did not ask can see it is not theirs.
    account = email.user.display_name
    holder = find_verified(email.address)
    if holder is not None and holder.user_id != email.user_id:
        send_mail(
            email.address,
            "Someone asked to add your address to a Backpack account",
            f"The Backpack account “{account}” asks to add {email.address} to it. This "
            "address is already verified on another Backpack account, so it cannot be "
            "added there and nothing has changed. If that other account is yours and you "
            "want to move the address, remove it there first, then ask again. If you did "
            "not ask for this, ignore this mail.",
        )
        return
    token = link_tokens.make_token(
        link_tokens.EMAIL_VERIFICATION,
        {"email": email.id, "nonce": email.verification_nonce},
    )
    link = external_url("account.verify_email", token=token)
    hours = settings().email_verification_max_age // 3600
    send_mail(
        email.address,
        "Verify your email address for Backpack",
        f"The Backpack account “{account}” asks to add {email.address} to it. If that is "
        f"your account, open this link to verify the address:\n\n{link}\n\n"
        f"The link works once, for {hours} hours. If it is not your account, ignore this mail: "
        "the address is not added without the link.",
        link=link,
    )


def _spend_mail_budget(email: EmailAddress) -> None:
    """Count one verification mail against the account's and the address's limits.

    Every route that sends one (pages, APIs) passes here, so no route can mail-bomb an
    address; the counts live in the rate-limit store (memory, or Redis when configured),
    and the per-address count survives removing and re-adding the address.
    """
    config = settings()
    if not config.ratelimit_enabled:
        return
    budgets = [
        (item, f"account:{email.user_id}") for item in parse_many(config.ratelimit_email_send)
    ] + [(item, f"address:{email.normalised}") for item in parse_many(ADDRESS_MAIL_LIMIT)]
    if not rate_budgets.spend(budgets, "verification-mail"):
        raise SendTooSoon(
            "Too many verification mails were sent for this account or address. "
            "Wait a while and try again."
        )


def address_for_link(token: str) -> EmailAddress:
    """The address a verification link would verify, while the link still works."""
    payload = link_tokens.read_token(
        link_tokens.EMAIL_VERIFICATION,
        token,
        max_age=settings().email_verification_max_age,
    )
    email = db.session.get(EmailAddress, payload.get("email"))
    if email is None:
        raise BadToken("This link is for an address that has been removed.")
    nonce = payload.get("nonce")
    if email.is_verified or not nonce or nonce != email.verification_nonce:
        raise BadToken("This link has been used already or replaced by a newer one.")
    return email


def address_for_resend(token: str, *, max_age: int) -> EmailAddress:
    """The address a refused log-in offered to send a new link to, while that offer works."""
    payload = link_tokens.read_token(link_tokens.LOGIN_RESEND, token, max_age=max_age)
    email = db.session.get(EmailAddress, payload.get("email"))
    if email is None:
        raise BadToken("That address is no longer on the account.")
    return email


def verify_email(token: str, user: User) -> EmailAddress:
    """Verify the address a link names, for the account that asked for it.

    Opening the link does not do it: a mail scanner that follows every link would verify
    an address for whoever added it. The account's owner confirms, logged in."""
    email = address_for_link(token)
    if email.user_id != user.id:
        raise WrongAccount(
            "This link verifies an address for another account. Log out, then open it again."
        )
    taken = AddressTaken(
        f"{email.address} is already verified on another account, so it cannot be "
        "verified on this one."
    )
    holder = find_verified(email.address)
    if holder is not None and holder.user_id != email.user_id:
        raise taken
    try:
        # Another account may verify the same address between that check and this write:
        # the unique index decides, and the loser gets the same answer as if it came second.
        with db.session.begin_nested():
            mark_verified(email)
    except sa.exc.IntegrityError:
        raise taken from None
    return email


def mark_verified(email: EmailAddress) -> None:
    """Record an address as verified; an account's first verified address becomes primary."""
    email.verified_at = utcnow()
    email.verification_nonce = None
    user = email.user
    if user.primary_email is None:
        email.is_primary = True
    db.session.flush()
    # Badges sent to this address waited as pending; now they join the backpack.
    badges.release_pending(email)


def set_primary(email: EmailAddress) -> None:
    """Make a verified address the one mail goes to."""
    if not email.is_verified:
        raise NotVerified("Verify this address before making it primary.")
    for other in email.user.emails:
        if other.is_primary and other is not email:
            other.is_primary = False
    # Clear the old primary first: the one-primary index is checked row by row.
    db.session.flush()
    email.is_primary = True
    db.session.flush()


def remove_email(email: EmailAddress) -> None:
    """Remove an address, unless it is the primary or the last verified one."""
    if email.is_primary:
        raise AddressRemovalRefused("Make another address primary before removing this one.")
    verified = [e for e in email.user.emails if e.is_verified]
    if email.is_verified and len(verified) <= 1:
        raise AddressRemovalRefused("You cannot remove your last verified address.")
    email.user.emails.remove(email)
    db.session.flush()


@dataclass
class HeldAddresses:
    """The addresses an account holds: normalised address to whether it is verified, and
    to the address as it was typed (the spelling issuers hashed)."""

    verified: dict[str, bool] = field(default_factory=dict)
    has_primary: bool = False
    typed: dict[str, str] = field(default_factory=dict)


def held_addresses(user_ids: Iterable[int]) -> dict[int, HeldAddresses]:
    """The addresses of many accounts in one query (imports)."""
    held: dict[int, HeldAddresses] = {}
    wanted = sorted(set(user_ids))
    if not wanted:
        return held
    rows = db.session.execute(
        sa.select(
            EmailAddress.user_id,
            EmailAddress.normalised,
            EmailAddress.verified_at.is_not(None),
            EmailAddress.is_primary,
            EmailAddress.address,
        ).where(among(EmailAddress.user_id, wanted))
    )
    for user_id, normalised, verified, primary, typed in rows:
        account = held.setdefault(user_id, HeldAddresses())
        account.verified[normalised] = bool(verified)
        account.typed[normalised] = typed
        account.has_primary = account.has_primary or bool(primary)
    return held


def verified_among(normalised: Iterable[str]) -> set[str]:
    """Which of these normalised addresses are verified on some account (one query)."""
    wanted = sorted(set(normalised))
    if not wanted:
        return set()
    return set(
        db.session.scalars(
            sa.select(EmailAddress.normalised).where(
                among(EmailAddress.normalised, wanted), EmailAddress.verified_at.is_not(None)
            )
        )
    )


@dataclass(frozen=True)
class NewAddress:
    """An address an import adds to an account, verified or not."""

    user_id: int
    address: str
    verified: bool


def clean_addresses(
    addresses: Iterable[str],
) -> tuple[list[tuple[str, str] | ServiceError], set[str]]:
    """`clean_imported_address` for many (imports): each address as stored and normalised,
    or why it was refused; and which of them are verified on some account already (one
    query)."""
    cleaned: list[tuple[str, str] | ServiceError] = []
    for address in addresses:
        try:
            typed = clean_imported_address(address)
        except ServiceError as exc:
            cleaned.append(exc)
        else:
            cleaned.append((typed, normalise_address(typed)))
    taken = verified_among(c[1] for c in cleaned if not isinstance(c, ServiceError))
    return cleaned, taken


def import_addresses(addresses: Sequence[NewAddress]) -> list[int | ServiceError | None]:
    """`add_email` (then `mark_verified` when verified) for many addresses, mailing nothing,
    each taken as the other backpack stored it (`clean_imported_address`).

    For each: the new row's id; None when the account holds the address already; or the
    error `add_email` would raise. A few statements in all, whatever the count.
    """
    held = held_addresses(a.user_id for a in addresses)
    cleaned, taken = clean_addresses(new.address for new in addresses)
    results: list[int | ServiceError | None] = []
    rows: list[dict[str, object]] = []
    verified_now: list[tuple[int, str]] = []
    now = utcnow()
    for new, outcome in zip(addresses, cleaned, strict=True):
        if isinstance(outcome, ServiceError):
            results.append(outcome)
            continue
        user_id, (address, normalised) = new.user_id, outcome
        account = held.setdefault(user_id, HeldAddresses())
        if normalised in account.verified:
            results.append(None)
            continue
        if normalised in taken:
            results.append(AddressTaken("That address is already verified on another account."))
            continue
        primary = new.verified and not account.has_primary
        account.verified[normalised] = new.verified
        account.has_primary = account.has_primary or primary
        if new.verified:
            taken.add(normalised)
            verified_now.append((user_id, normalised))
        results.append(len(rows))  # replaced by the row's id below
        rows.append(
            {
                "user_id": user_id,
                "address": address,
                "normalised": normalised,
                "verified_at": now if new.verified else None,
                "is_primary": primary,
            }
        )
    if not rows:
        return results
    ids = insert_rows_returning_ids(EmailAddress, rows)
    # Badges sent to a newly verified address waited as pending; now they join the backpack.
    badges.release_pending_many(verified_now)
    return [ids[r] if isinstance(r, int) else r for r in results]
