"""Error pages: every error gets a page that says what happened, never a traceback."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from backpack.extensions import db

RATE_LIMITED_MESSAGE = "Too many attempts in a short time. Wait a little and try again."


API_ERRORS_KEY = "backpack.api_error_responders"


def register_api_errors(
    app: Flask, prefix: str, respond: Callable[[HTTPException], ResponseReturnValue]
) -> None:
    """Answer HTTP errors under a path prefix in that API's own error shape.

    A blueprint's handlers see only errors raised inside its views; an id past the route
    converter's range, or a wrong method, fails in routing, before any blueprint is chosen.
    """
    app.extensions.setdefault(API_ERRORS_KEY, {})[prefix] = respond


def init_error_pages(app: Flask) -> None:
    """Register the HTML error handlers."""

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
        return render_template("error.html", title=error.name, message=error.description), status

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> tuple[str, int]:
        db.session.rollback()
        app.logger.exception("Unhandled error")
        return render_template(
            "error.html",
            title="Something went wrong",
            message="The server hit an error. It is logged; please try again later.",
        ), 500
