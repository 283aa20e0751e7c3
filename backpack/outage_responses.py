"""Database outages answered as a 503 the client may retry, in every page's and API's shape.

Which errors are outages, and ending the transaction one broke, are the database
plumbing's (`backpack.database.outages`); this module is how HTTP answers them, below web,
api and oauth, which all use it."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, g
from werkzeug.exceptions import ServiceUnavailable
from werkzeug.wrappers import Response

from backpack.database.outages import DATABASE_OUTAGES, end_broken_transaction
from backpack.extensions import login_manager

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
    end_broken_transaction()
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
