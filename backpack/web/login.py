"""Logging in and out in the browser: each log-in is a login session of its own.

Flask-Login keeps the login session's id in its cookies (services/login_sessions), so
these two are the only ways in and out; never call flask_login.login_user directly.
"""

from __future__ import annotations

from flask import request
from flask_login import current_user, login_user, logout_user

from backpack.extensions import db
from backpack.models import User
from backpack.services import login_sessions


def log_in(user: User, *, remember: bool = False) -> None:
    """Open a login session for `user` in this browser (commits)."""
    login_sessions.start(user, remembered=remember, user_agent=request.user_agent.string)
    db.session.commit()
    login_user(user, remember=remember)


def log_out() -> None:
    """End this browser's login session, for every copy of its cookies too (commits)."""
    if current_user.is_authenticated:
        login_sessions.end(current_user.login_session_id)
        db.session.commit()
    logout_user()
