"""Logging in and out in the browser: each log-in is a login session of its own.

Flask-Login keeps the login session's id in its cookies (services/login_sessions), so
these two are the only ways in and out; never call flask_login.login_user directly.
"""

from __future__ import annotations

from flask import current_app, request, session
from flask_login import current_user, login_user, logout_user
from flask_login.config import COOKIE_NAME
from flask_login.utils import decode_cookie

from backpack.extensions import db
from backpack.models import User
from backpack.services import login_sessions


def log_in(user: User, *, remember: bool = False) -> None:
    """Open a login session for `user` in this browser (commits).

    The Flask session starts empty: nothing planted in it before the log-in (a CSRF token
    an attacker knows, say) carries over into the logged-in session.
    """
    login_sessions.start(user, remembered=remember, user_agent=request.user_agent.string)
    db.session.commit()
    session.clear()
    login_user(user, remember=remember)


def log_out() -> None:
    """End this browser's login session, for every copy of its cookies too (commits)."""
    if current_user.is_authenticated:
        login_sessions.end(current_user.login_session_id)
        db.session.commit()
    session.clear()
    logout_user()  # after clear(): it asks for the remember-me cookie to be deleted


def load_user(session_id: str) -> User | None:
    """Flask-Login's user loader: the user of an open login session, else None.

    For an ended session the id is dropped from the Flask session, and a remember-me cookie
    naming it is deleted, so the browser stops presenting a dead session on every request.
    """
    user = login_sessions.user_for(session_id)
    if user is None:
        session.pop("_user_id", None)
        session.pop("_fresh", None)
        cookie = request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME))
        if cookie is not None and decode_cookie(cookie) == session_id:
            session["_remember"] = "clear"
    return user
