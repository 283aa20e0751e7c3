"""Accounts: sign-up, log-in, passwords and their reset, deletion."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from backpack.database.bulk_rows import among, insert_rows, insert_rows_returning_ids
from backpack.extensions import db
from backpack.links import external_url
from backpack.models import EmailAddress, User
from backpack.models.base import utcnow
from backpack.services import badges, emails, link_tokens, login_sessions, remote_grants
from backpack.services.app_context import settings
from backpack.services.errors import AddressTaken, BadToken, ServiceError, WrongPassword
from backpack.services.outgoing_mail import send_mail
from backpack.services.passwords import (
    BCRYPT_PREFIXES,
    check_password,
    check_password_strength,
    hash_password,
)

# Accounts whose password a log-in with an unverified address tries.
UNVERIFIED_LOGIN_TRIES = 3


def _check_strength(password: str, email: str = "") -> None:
    check_password_strength(password, min_length=settings().password_min_length, email=email)


def new_account_problems(email: str, password: str) -> list[ServiceError]:
    """Every reason to refuse a sign-up with this address and password, not only the first."""
    problems: list[ServiceError] = []
    address = email
    try:
        address = emails.clean_address(email)
        if emails.find_verified(address) is not None:
            raise AddressTaken(
                "An account already uses that address. Log in, or reset the password."
            )
    except ServiceError as exc:
        problems.append(exc)
    try:
        _check_strength(password, address)
    except ServiceError as exc:
        problems.append(exc)
    return problems


def create_account(email: str, password: str, *, name: str = "", verified: bool = False) -> User:
    """Create an account with one address; mail it a verification link unless `verified`."""
    problems = new_account_problems(email, password)
    if problems:
        raise problems[0]
    address = emails.clean_address(email)
    user = User(name=name.strip()[:200], password_hash=hash_password(password))
    db.session.add(user)
    db.session.flush()
    if verified:
        emails.add_verified_email(user, address)
    else:
        emails.add_email(user, address)
    return user


def _kept_hash(password_hash: str) -> str:
    return (password_hash if password_hash.startswith(BCRYPT_PREFIXES) else "!")[:255]


@dataclass(frozen=True)
class ImportedAccount:
    """An account brought over from another backpack, keeping its password hash and its
    address as that backpack stored it (`emails.clean_imported_address`).

    Only bcrypt hashes (`$2a$`, `$2b$`, `$2y$`) are kept: the login checks them and re-hashes
    to Argon2 on the first success. Anything else leaves an unusable password to reset.
    """

    email: str
    password_hash: str
    name: str = ""
    verified: bool = False
    created_at: datetime | None = None


def import_accounts(accounts: Sequence[ImportedAccount]) -> list[int | ServiceError]:
    """Create these accounts (`ImportedAccount`): each new user's id, or why it was refused.

    A few statements in all, whatever the count (a Mozilla instance holds a million).
    """
    cleaned, taken = emails.clean_addresses(account.email for account in accounts)
    results: list[int | ServiceError] = []
    users: list[dict[str, object]] = []
    addresses: list[dict[str, object]] = []
    now = utcnow()
    for account, outcome in zip(accounts, cleaned, strict=True):
        if isinstance(outcome, ServiceError):
            results.append(outcome)
            continue
        address, normalised = outcome
        if normalised in taken:
            results.append(AddressTaken(f"An account already uses {address}."))
            continue
        if account.verified:
            taken.add(normalised)
        results.append(len(users))  # replaced by the user's id below
        users.append(
            {
                "name": account.name.strip()[:200],
                "password_hash": _kept_hash(account.password_hash),
                "created_at": account.created_at or now,
            }
        )
        addresses.append(
            {
                "address": address,
                "normalised": normalised,
                "verified_at": now if account.verified else None,
                "is_primary": account.verified,
            }
        )
    if not users:
        return results
    ids = insert_rows_returning_ids(User, users)
    for user_id, address_row in zip(ids, addresses, strict=True):
        address_row["user_id"] = user_id
    insert_rows(EmailAddress, addresses)
    return [ids[r] if isinstance(r, int) else r for r in results]


def get_user(user_id: int) -> User | None:
    """The account with this id, or None (deleted since, say, an import or a job began)."""
    return db.session.get(User, user_id)


def existing_user_ids(user_ids: Sequence[int]) -> set[int]:
    """Of these ids, those whose accounts still exist (one query)."""
    if not user_ids:
        return set()
    return set(db.session.scalars(sa.select(User.id).where(among(User.id, user_ids))))


@dataclass(frozen=True)
class LoginAttempt:
    """What a log-in found: the account, or an unverified address of the account whose
    password was given (so only its owner learns that it waits for verification)."""

    user: User | None = None
    unverified: EmailAddress | None = None


def attempt_login(address: str, password: str) -> LoginAttempt:
    """Log in with a verified address and the password, or say which address to verify."""
    email = emails.find_verified(address)
    if email is None:
        return LoginAttempt(unverified=_unverified_of(address, password))
    user = email.user
    matches, needs_rehash = check_password(user.password_hash, password)
    if not matches:
        return LoginAttempt()
    if needs_rehash:
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    db.session.flush()
    return LoginAttempt(user=user)


def authenticate(address: str, password: str) -> User | None:
    """The account whose verified address and password these are, or None."""
    return attempt_login(address, password).user


def _unverified_of(address: str, password: str) -> EmailAddress | None:
    # Only a few accounts are tried, newest first: anyone may add any address to their own
    # account, and each try costs a hash. With none to try, hash anyway, so that an address
    # nobody holds takes as long as a wrong password.
    held = list(
        db.session.scalars(
            sa.select(EmailAddress)
            .where(
                EmailAddress.normalised == emails.normalise_address(address),
                EmailAddress.verified_at.is_(None),
            )
            .order_by(EmailAddress.id.desc())
            .limit(UNVERIFIED_LOGIN_TRIES)
        )
    )
    if not held:
        hash_password(password)
    for email in held:
        if check_password(email.user.password_hash, password)[0]:
            return email
    return None


def password_matches(user: User, password: str) -> bool:
    """Whether this is the account's password (to confirm a step before logging in)."""
    return check_password(user.password_hash, password)[0]


def change_password(user: User, current: str, new: str) -> None:
    """Replace the password after checking the current one; every login session ends.

    This one too: a copy of its cookie may be why the password is changed. The view logs
    the browser in again under a new session.
    """
    problems = password_change_problems(user, current, new)
    if problems:
        raise problems[0]
    _set_password(user, new)


def password_change_problems(user: User, current: str, new: str) -> list[ServiceError]:
    """Every reason to refuse a password change, not only the first."""
    problems: list[ServiceError] = []
    if not check_password(user.password_hash, current)[0]:
        problems.append(WrongPassword("Your current password is not correct."))
    primary = user.primary_email
    try:
        _check_strength(new, primary.address if primary else "")
    except ServiceError as exc:
        problems.append(exc)
    return problems


def _set_password(user: User, new: str) -> None:
    primary = user.primary_email
    _check_strength(new, primary.address if primary else "")
    user.password_hash = hash_password(new)
    # Whoever knew the old password may be logged in somewhere: every session ends.
    login_sessions.end_all(user)
    db.session.flush()


def _password_fingerprint(user: User) -> str:
    # Signed into reset links: once the password changes, the link stops working.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def request_password_reset(address: str) -> bool:
    """Mail a reset link if the address is verified on an account; say whether one was sent."""
    email = emails.find_verified(address)
    if email is None:
        return False
    user = email.user
    token = link_tokens.make_token(
        link_tokens.PASSWORD_RESET, {"user": user.id, "fp": _password_fingerprint(user)}
    )
    link = external_url("auth.reset_password", token=token)
    minutes = settings().password_reset_max_age // 60
    send_mail(
        email.address,
        "Reset your Backpack password",
        f"Open this link to choose a new password:\n\n{link}\n\n"
        f"It works once, for {minutes} minutes. If you did not ask for it, ignore this mail; "
        "your password stays as it is.",
        link=link,
    )
    return True


def user_for_reset_token(token: str) -> User:
    """The account a password-reset link is for, if the link is still good."""
    payload = link_tokens.read_token(
        link_tokens.PASSWORD_RESET, token, max_age=settings().password_reset_max_age
    )
    user = db.session.get(User, payload.get("user"))
    if user is None or payload.get("fp") != _password_fingerprint(user):
        raise BadToken("This link has been used already. Ask for a new one if you need it.")
    return user


def reset_password(token: str, new: str) -> User:
    """Set a new password through a reset link; the link then stops working."""
    user = user_for_reset_token(token)
    _set_password(user, new)
    return user


def delete_account(user: User, password: str) -> None:
    """Delete an account and everything it owns, after checking its password."""
    if not check_password(user.password_hash, password)[0]:
        raise WrongPassword("That password is not correct; nothing was deleted.")
    # The other backpacks this account pulled from are told its connections end: the
    # tokens held for them go with the account, so nothing here could end them later.
    remote_grants.revoke_all(user)
    # Rows of other tables go with the user through ON DELETE CASCADE foreign keys;
    # then images, badge classes and issuers that only this user's badges used go too.
    db.session.delete(user)
    db.session.flush()
    badges.delete_orphans()
