"""How requests are read: proxies trusted, ids bounded, JSON strict."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from backpack.models.base import MAX_ID
from backpack.openbadges.json_limits import has_lone_surrogate


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
    """JSON request bodies, refusing text no database can store (unpaired surrogates)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        document = super().loads(s, **kwargs)
        text = s if isinstance(s, str) else s.decode("utf-8", "replace")
        if has_lone_surrogate(text, document):
            raise ValueError("the JSON holds an unpaired UTF-16 surrogate")
        return document


def init_request_parsing(app: Flask) -> None:
    """Install the converter, the JSON provider and, behind proxies, ProxyFix."""
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.json = StrictJSONProvider(app)
    hops = int(app.config["TRUSTED_PROXIES"])
    if hops > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0, x_prefix=0
        )
