"""Login sessions: one row per log-in, so that logging out ends it for every copy of the cookie.

Flask keeps its session in a signed cookie, and a signed cookie stays good for as long as
the key signs it: logging out only deletes the browser's copy, and a copy taken before
(from a shared computer, a proxy log, malware) would still open the account. So what
Flask-Login keeps in the cookie is a login session's id and a random secret, and the
session lives only as long as its row: the row goes on log-out, when the owner ends it from
another device, on a password change or reset (every row of the account; the browser that
changed it is logged in again under a new one), and on expiry.
"""

from __future__ import annotations

import hmac
import re
import secrets
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from backpack.extensions import db
from backpack.models import LoginSession, User
from backpack.models.base import MAX_ID, utcnow
from backpack.models.oauth import token_digest
from backpack.services.app_context import settings

# "<row id>.<secret>": what Flask-Login keeps in the session and the remember-me cookie.
SESSION_ID = re.compile(r"([1-9][0-9]{0,17})\.([A-Za-z0-9_-]{43})")
USER_AGENT_MAX = 200


def start(user: User, *, remembered: bool, user_agent: str = "") -> str:
    """Open a login session for `user` and return its id (for Flask-Login's cookie).

    A remembered session lasts as long as the remember-me cookie; any other one
    LOGIN_SESSION_LIFETIME, however long the browser stays open.
    """
    now = utcnow()
    lifetime = settings().login_lifetime(remembered=remembered)
    # Expired rows of every account go now (by the expires_at index), so that accounts
    # that never come back do not keep theirs; nothing else ever visits them.
    db.session.execute(sa.delete(LoginSession).where(LoginSession.expires_at <= now))
    secret = secrets.token_urlsafe(32)
    row = LoginSession(
        user_id=user.id,
        secret_digest=token_digest(secret),
        remembered=remembered,
        user_agent=_printable(user_agent)[:USER_AGENT_MAX],
        created_at=now,
        expires_at=now + lifetime,
    )
    db.session.add(row)
    db.session.flush()
    user.login_session_id = f"{row.id}.{secret}"
    return user.login_session_id


def user_for(session_id: str) -> User | None:
    """The user of a login session id, if that session is still open (one query)."""
    row = _row(session_id)
    if row is None:
        return None
    user = row.user
    user.login_session_id = session_id
    return user


def remembered(session_id: str | None) -> bool:
    """Whether the login session with this id was opened with "keep me logged in"."""
    row = _row(session_id or "")
    return row is not None and row.remembered


def end(session_id: str | None) -> None:
    """End the login session with this id (log-out); an unknown or ended one is ignored."""
    row = _row(session_id or "")
    if row is not None:
        db.session.delete(row)
        db.session.flush()


def end_one(user: User, login_session_id: int) -> bool:
    """End one of the user's own sessions, by row id; False if it is not theirs or is gone."""
    query = sa.delete(LoginSession).where(
        LoginSession.id == login_session_id, LoginSession.user_id == user.id
    )
    return _deleted(query) > 0


def end_all(user: User, *, but: str | None = None) -> int:
    """End every session of the user, but the one with id `but`; how many ended."""
    query = sa.delete(LoginSession).where(LoginSession.user_id == user.id)
    kept = current_row_id(but)
    if kept is not None:
        query = query.where(LoginSession.id != kept)
    return _deleted(query)


def open_sessions(user: User) -> list[LoginSession]:
    """The user's sessions that have not expired, newest first."""
    return list(
        db.session.scalars(
            sa.select(LoginSession)
            .where(LoginSession.user_id == user.id, LoginSession.expires_at > utcnow())
            .order_by(LoginSession.created_at.desc(), LoginSession.id.desc())
        )
    )


def current_row_id(session_id: str | None) -> int | None:
    """The row id a login session id names (not checked against the database)."""
    parsed = _parsed(session_id or "")
    return parsed[0] if parsed else None


def _row(session_id: str) -> LoginSession | None:
    parsed = _parsed(session_id)
    if parsed is None:
        return None  # also every id from before login sessions ("<user id>:<nonce>")
    row_id, secret = parsed
    row = db.session.get(LoginSession, row_id, options=[joinedload(LoginSession.user)])
    if row is None or not hmac.compare_digest(row.secret_digest, token_digest(secret)):
        return None
    if row.expires_at <= utcnow():
        return None
    return row


def _parsed(session_id: str) -> tuple[int, str] | None:
    match = SESSION_ID.fullmatch(session_id)
    if match is None or int(match[1]) > MAX_ID:
        return None
    return int(match[1]), match[2]


def _deleted(query: sa.Delete) -> int:
    result = cast("sa.CursorResult[Any]", db.session.execute(query))
    return int(result.rowcount or 0)


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else " " for c in text).strip()
