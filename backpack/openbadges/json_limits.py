"""JSON from strangers: parsed only after its nesting depth is known to be sane."""

from __future__ import annotations

import json
import re
from typing import Any, Final

from backpack.openbadges.errors import ParseError

MAX_JSON_DEPTH: Final = 64
_JSON_TOKEN: Final = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}"]', re.DOTALL)


def decode_json(data: bytes | str, *, source: str = "the document") -> Any:
    """Parse UTF-8 JSON, refusing text nested deeper than MAX_JSON_DEPTH levels."""
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        raise ParseError(f"{source} is not UTF-8 text.", code="not_json") from None
    # Checked before json.loads, which would recurse once per level of hostile input.
    if nests_deeper_than(text, MAX_JSON_DEPTH):
        raise ParseError(
            f"{source} nests JSON deeper than {MAX_JSON_DEPTH} levels.", code="json_too_deep"
        )
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ParseError(
            f"{source} is not valid JSON (line {error.lineno}, column {error.colno}).",
            code="not_json",
        ) from None
    except (ValueError, RecursionError):
        # A number too long to convert, or nesting the count above could not see.
        raise ParseError(f"{source} is not valid JSON.", code="not_json") from None


def nests_deeper_than(text: str, limit: int) -> bool:
    """Whether JSON text nests arrays and objects more than `limit` deep."""
    # Counted on the brackets outside strings, without recursion, so that deep input is
    # refused before json.loads could hit the interpreter's recursion limit.
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for match in _JSON_TOKEN.finditer(text):
        piece = match.group()
        if piece in ("[", "{"):
            depth += 1
            if depth > limit:
                return True
        elif piece in ("]", "}"):
            depth -= 1
        elif piece == '"':
            return False  # an unterminated string: json.loads refuses the text at once
    return False
