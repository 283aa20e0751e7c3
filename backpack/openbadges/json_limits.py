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
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ParseError(
            f"{source} is not valid JSON (line {error.lineno}, column {error.colno}).",
            code="not_json",
        ) from None
    except (ValueError, RecursionError):
        # A number too long to convert, or nesting the count above could not see.
        raise ParseError(f"{source} is not valid JSON.", code="not_json") from None
    if has_lone_surrogate(text, document):
        raise ParseError(
            f"{source} holds an unpaired UTF-16 surrogate (\\ud800-\\udfff), which is not text.",
            code="not_json",
        )
    if has_nul(text, document):
        raise ParseError(
            f"{source} holds a NUL character (\\u0000), which no database can store as text.",
            code="not_json",
        )
    return document


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def has_lone_surrogate(text: str, document: Any) -> bool:
    """Whether a decoded JSON document holds an unpaired surrogate, which is not UTF-8 text."""
    if not _SURROGATE_ESCAPE.search(text):
        return False  # the fast, usual answer: the text has no surrogate escapes at all
    try:
        json.dumps(document, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


_NUL_ESCAPE = re.compile(r"\\u0000")


def has_nul(text: str, document: Any) -> bool:
    """Whether a decoded JSON document holds U+0000 in a string or a key; PostgreSQL stores
    neither in text nor in JSONB."""
    if not _NUL_ESCAPE.search(text):
        return False  # the fast, usual answer (raw NULs are not valid JSON at all)
    waiting = [document]
    while waiting:  # without recursion: the document may be deep
        item = waiting.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            waiting.extend(item)
            waiting.extend(item.values())
        elif isinstance(item, list):
            waiting.extend(item)
    return False


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
