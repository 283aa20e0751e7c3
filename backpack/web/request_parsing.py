"""How requests are read: proxies trusted, ids bounded, JSON strict."""

from __future__ import annotations

from io import BytesIO
from typing import IO, Any

from flask import Flask, Request, abort, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from backpack.models.base import MAX_ID
from backpack.openbadges import ParseError, decode_json


class BoundedIntegerConverter(IntegerConverter):
    """`<int:...>` in routes, where a number larger than any id can be means no such row.

    It becomes 0, an id no row has, so the view answers its own 404 in its own shape
    (HTML page or API error) and the database driver never sees a number it would
    overflow on. Refusing it in routing instead would let another rule claim the path
    (Werkzeug then answers 405 for the methods the refused rule lacked).
    """

    def to_python(self, value: str) -> int:
        number = int(super().to_python(value))
        return number if number <= MAX_ID else NO_SUCH_ID


# No table hands out id 0 (sequences start at 1).
NO_SUCH_ID = 0


class StrictJSONProvider(DefaultJSONProvider):
    """JSON request bodies, read as badge documents are (`decode_json`): UTF-8 only, nested
    at most MAX_JSON_DEPTH deep, and without text no database can store (unpaired
    surrogates, NUL characters). Refusals are ValueErrors, as Flask expects of `loads`."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return decode_json(s, source="The body")
        except ParseError as exc:
            raise ValueError(exc.message) from None


def refuse_nul_characters() -> None:
    """A path, form field or query parameter holding U+0000 is refused before any view reads it:
    PostgreSQL cannot store the character, and it has no place in anything typed."""
    fields = (
        key + value
        for values in (request.args, request.form)
        for key, value in values.items(multi=True)
    )
    if "\x00" in request.path or any("\x00" in field for field in fields):
        abort(400, description="The request holds a NUL character, which is not text.")


# Uploads to these paths are read in memory (bounded by MAX_CONTENT_LENGTH), never spooled
# to a temporary file: a wallet backup holds its owner's private keys.
IN_MEMORY_UPLOAD_PATHS = ("/account/import/backpack",)


class BackpackRequest(Request):
    """Flask's request, keeping some uploads off the disk."""

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        if self.path.startswith(IN_MEMORY_UPLOAD_PATHS):
            return BytesIO()
        return super()._get_file_stream(
            total_content_length, content_type, filename, content_length
        )


def init_request_parsing(app: Flask) -> None:
    """Install the request class, the converter, the JSON provider, the NUL guard and,
    behind proxies, ProxyFix."""
    app.request_class = BackpackRequest
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.json = StrictJSONProvider(app)
    app.before_request(refuse_nul_characters)
    hops = int(app.config["TRUSTED_PROXIES"])
    if hops > 0:
        # Flask's documented way to add WSGI middleware; mypy sees a method being replaced.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0, x_prefix=0
        )
