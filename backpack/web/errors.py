"""Error pages: every error gets a page that says what happened, never a traceback."""

from __future__ import annotations

import errno
from collections.abc import Callable

from flask import Flask, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, NotFound

from backpack.extensions import db
from backpack.openbadges import size_in_words
from backpack.outage_responses import answer_database_outages

RATE_LIMITED_MESSAGE = "Too many attempts in a short time. Wait a little and try again."
# A full disk (or quota): the operator must make room, which takes a while.
OUT_OF_ROOM_ERRNOS = (errno.ENOSPC, errno.EDQUOT)
OUT_OF_ROOM_RETRY_SECONDS = 600

API_ERRORS_KEY = "backpack.api_error_responders"


def register_api_errors(
    app: Flask, prefix: str, respond: Callable[[HTTPException], ResponseReturnValue]
) -> None:
    """Answer HTTP errors under a path prefix in that API's own error shape.

    A blueprint's handlers see only errors raised inside its views; an id past the route
    converter's range, or a wrong method, fails in routing, before any blueprint is chosen.
    """
    app.extensions.setdefault(API_ERRORS_KEY, {})[prefix] = respond


def is_out_of_room(error: OSError) -> bool:
    """Whether a write failed because the disk (or the quota) is full."""
    return error.errno in OUT_OF_ROOM_ERRNOS


def out_of_room_page(what_failed: str) -> tuple[str, int, dict[str, str]]:
    """A 503 page for work that found no room on the server's disk (nothing of it kept)."""
    message = (
        f"{what_failed}: the server has no room left on its disk right now, and kept"
        " nothing of it. Try again later."
    )
    page = render_template("error.html", title="No room on the server", message=message)
    return page, 503, {"Retry-After": str(OUT_OF_ROOM_RETRY_SECONDS)}


NOT_FOUND_MESSAGE = (
    "There is nothing here. The badge, collection or page this link led to may have been"
    " deleted or no longer be shared; check the link with whoever gave it to you."
)


def too_large_page(limit_bytes: int) -> tuple[str, int]:
    """A 413 page in words: Werkzeug's own ("The data value transmitted exceeds the capacity
    limit") names neither the limit nor what to do, and the form the file came from is lost."""
    message = (
        f"The file you sent is too large: this server accepts at most"
        f" {size_in_words(limit_bytes)} in one upload,"
        " and kept nothing of it. Go back and choose a smaller file."
    )
    return render_template("error.html", title="File too large", message=message), 413


def init_error_pages(app: Flask) -> None:
    """Register the HTML error handlers."""
    answer_database_outages(app)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int]:
        message = (
            "The form was missing its security token or the token had expired. "
            "Go back, reload the page and try again."
        )
        return render_template("error.html", title="Form expired", message=message), 400

    @app.errorhandler(429)
    def rate_limited(error: HTTPException) -> tuple[str, int]:
        return render_template("error.html", title="Slow down", message=RATE_LIMITED_MESSAGE), 429

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        responders: dict[str, Callable[[HTTPException], ResponseReturnValue]] = app.extensions.get(
            API_ERRORS_KEY, {}
        )
        for prefix, respond in responders.items():
            if request.path.startswith(prefix):
                return respond(error)
        status = error.code or 500
        if status == 413:
            return too_large_page(app.config["MAX_CONTENT_LENGTH"])
        message = error.description
        if isinstance(error, NotFound) and message == NotFound.description:
            message = NOT_FOUND_MESSAGE  # Werkzeug's own speaks of typing URLs by hand
        return render_template("error.html", title=error.name, message=message), status

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> tuple[str, int]:
        db.session.rollback()
        app.logger.exception("Unhandled error")
        return render_template(
            "error.html",
            title="Something went wrong",
            message="The server hit an error. It is logged; please try again later.",
        ), 500
