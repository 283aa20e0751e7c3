"""The exact text of each member of a JSON array in a page, as the other backpack sent it.

A credential is kept verbatim (its proof may sign the very bytes, and what arrives must
equal what left), so a page's credentials are cut out of the page's text rather than
serialised again from the parsed page.
"""

from __future__ import annotations

import json
import re

_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def array_members(text: str, key: str) -> list[str] | None:
    """The text of each member of the array under `key` in the top-level object `text`
    (the last one, when the key repeats, as parsing takes), or None when the text is not
    such an object."""
    try:
        return _members(text, key)
    except (ValueError, IndexError):
        return None


def _members(text: str, key: str) -> list[str] | None:
    at = _skip(text, 0)
    if text[at] != "{":
        return None
    at = _skip(text, at + 1)
    found: list[str] | None = None
    while text[at] != "}":
        name, at = _DECODER.raw_decode(text, at)
        at = _skip(text, at)
        if text[at] != ":":
            return None
        at = _skip(text, at + 1)
        if name == key and text[at] == "[":
            found, at = _array(text, at)
        else:
            _, at = _DECODER.raw_decode(text, at)
        at = _skip(text, at)
        if text[at] == ",":
            at = _skip(text, at + 1)
        elif text[at] != "}":
            return None
    return found


def _array(text: str, at: int) -> tuple[list[str], int]:
    position = _skip(text, at + 1)
    members: list[str] = []
    while text[position] != "]":
        _, end = _DECODER.raw_decode(text, position)
        members.append(text[position:end])
        position = _skip(text, end)
        if text[position] == ",":
            position = _skip(text, position + 1)
        elif text[position] != "]":
            raise ValueError("not an array")
    return members, position + 1


def _skip(text: str, at: int) -> int:
    match = _SPACE.match(text, at)
    return match.end() if match else at
