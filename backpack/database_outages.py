"""Database outages answered as a 503 the client may retry, in every page's and API's shape."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Flask, current_app, g
from werkzeug.exceptions import ServiceUnavailable
from werkzeug.wrappers import Response

from backpack.extensions import db, login_manager

# What the driver raises while the database restarts, fails over or refuses connections
# (the pool's pre-ping replaces dead connections, so these end once it is back), and the
# pool's own time-out when every connection is busy.
DATABASE_OUTAGES: tuple[type[Exception], ...] = (
    sa.exc.OperationalError,
    sa.exc.InterfaceError,
    sa.exc.TimeoutError,
)
DATABASE_RETRY_SECONDS = 30


class DatabaseUnavailable(ServiceUnavailable):
    """The database cannot be reached: a 503 the client may retry, not the server's bug."""

    description = (
        "The database is not reachable right now, so nothing was read or changed. "
        "Try again in a minute."
    )


def database_unavailable(error: Exception) -> Response:
    """A database outage answered as a 503 with Retry-After, in the shape of the API (or
    page) that met it: each shape's own handler of HTTP errors renders it."""
    try:
        db.session.rollback()
    except sa.exc.SQLAlchemyError:
        db.session.close()  # the connection is gone already; the pool replaces it
    if "_login_user" not in g:
        # The page's menu asks who is logged in, which needs the database: it shows the
        # page as to a visitor instead of failing again inside this handler.
        login_manager._update_request_context_with_user()
    current_app.logger.error("The database is unavailable: %s", error, exc_info=error)
    response = current_app.make_response(current_app.handle_http_exception(DatabaseUnavailable()))
    response.headers["Retry-After"] = str(DATABASE_RETRY_SECONDS)
    return response


def answer_database_outages(scope: Flask | Blueprint) -> None:
    """Answer database outages with a 503 (a blueprint with its own catch-all handler of
    `Exception` needs this too, since Flask asks the blueprint's handlers first)."""
    for outage in DATABASE_OUTAGES:
        scope.register_error_handler(outage, database_unavailable)
