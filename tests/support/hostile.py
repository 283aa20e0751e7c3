"""Hostile input for the route walker: path segments, parameter values, bodies and headers.

Text values are str (a lone surrogate among them, sent as the bytes a careless client
would send) or bytes (not UTF-8 at all). Nothing here names a public host: a value that
is a URL points at a refused address, so no test ever reaches the network.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import quote_from_bytes

HUGE = 2**63
TOO_LONG = "A" * 5000

# Values for query parameters and form fields (and, percent-encoded, for path segments).
TEXT: tuple[str | bytes, ...] = (
    str(HUGE),
    str(-HUGE - 1),
    "9" * 400,
    "-1",
    "0",
    "1e999",
    "",
    "a\x00b",
    "\ud800",
    b"\xff\xfe\xc3(",
    "ünïcødé ☃ \U0001d54f \u202e\ufeff",
    "../../../etc/passwd",
    TOO_LONG,
    "' OR 1=1; --<script>alert(1)</script>\"><img src=x onerror=alert(1)>{{7*7}}",
    "!!!not-base64===",
    "eyJhbGciOiJub25lIn0.eyJ9.",
    "javascript:alert(1)",
    "http://127.0.0.1:1/badge.json",
    "9999-12-31T23:59:59-00:01",
    "0001-01-01T00:00:00+00:01",
)

# The values a database may refuse where SQLite stores them, for the shorter PostgreSQL walk.
STORAGE_TEXT: tuple[str | bytes, ...] = (
    str(HUGE),
    "a\x00b",
    "9" * 400,
    "\ud800",
    str(-HUGE - 1),
    b"\xff\xfe\xc3(",
    TOO_LONG,
    "9999-12-31T23:59:59-00:01",
)

# Path segments, already as they stand in a URL: each TEXT value percent-encoded, and
# spellings a percent-encoder would never produce.
RAW_SEGMENTS: tuple[str, ...] = (
    "%00",
    "%2500",
    "%",
    "%zz",
    "..%2F..%2F",
    "../..",
    "1;2",
    ".json",
    "A" * 64,
    "A" * 65,
    "%ED%A0%80",
)

# Whole JSON bodies that are not what any endpoint wants.
JSON_BODIES: tuple[bytes, ...] = (
    b"",
    b"null",
    b"[]",
    b'"text"',
    b"1" + b"0" * 5000,
    b"1e999",
    b"[" * 100_000,
    b'{"a":' * 5000 + b"1" + b"}" * 5000,
    b'{"name": "\\u0000", "badge": "\\u0000"}',
    b'{"name": "\\ud800", "badge": "\\udfff"}',
    b"\xff\xfe{\x00",
    b'{"a": 1, ',
)

# Values of the wrong type for every key of a JSON object.
JSON_VALUES: tuple[object, ...] = (
    None,
    True,
    HUGE * HUGE,
    -HUGE,
    1.5e308,
    [],
    {},
    [[[[[]]]]],
    {"$gt": ""},
    TOO_LONG,
    "9999-12-31T23:59:59-00:01",
    "http://127.0.0.1:1/",
)

# Uploaded files that claim to be an image and an archive and are not quite, two at a time.
FILES: tuple[tuple[bytes, bytes], ...] = (
    (b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\xff" * 40, b"PK\x03\x04" + b"\x00" * 60),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><!DOCTYPE x [<!ENTITY a 'b'>]>", b""),
)

# Headers that do not mean what they say, a few at a time.
HEADERS: tuple[dict[str, str], ...] = (
    {"Authorization": "Bearer", "Content-Type": "multipart/form-data"},
    {"Authorization": "Bearer " + TOO_LONG, "Accept": "application/ld+json;q=abc, */*;q=2"},
    {
        "Authorization": "Bearer !!!",
        "Content-Type": "application/json; charset=utf-16",
        "Origin": "null",
    },
    {"Authorization": "Basic %%%", "X-Forwarded-For": "::::,999.1.1.1"},
    {
        "Authorization": "Basic " + base64.b64encode(b"\xff:\xfe").decode(),
        "Content-Type": "application/x-www-form-urlencoded; charset=nonsense",
    },
    {
        "Authorization": "Digest username=x",
        "If-Modified-Since": "Mon, 99 Foo 99999 99:99:99 GMT",
        "Range": "bytes=9-1",
    },
)


def url_encoded(value: str | bytes) -> str:
    """A value percent-encoded as a client would put it in a URL or form body."""
    raw = value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")
    return quote_from_bytes(raw, safe="")


def json_object(names: tuple[str, ...], shift: int) -> bytes:
    """A JSON object giving every name a wrong-typed value, each name a different one."""
    document = {name: JSON_VALUES[(i + shift) % len(JSON_VALUES)] for i, name in enumerate(names)}
    return json.dumps(document).encode()
