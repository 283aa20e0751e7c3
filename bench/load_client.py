"""bench/load.py's clients: browser-like visitors and issuer platforms, over loopback only.

Each visitor has its own source address in 127.0.0.0/8 (Linux routes the whole block to
loopback), so the server's per-address limits see many people, as they would in production,
not one load generator. Cookies are kept by hand: only their names and values matter here.
"""

from __future__ import annotations

import http.client
import itertools
import json
import re
import secrets
import socket
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode, urlsplit

# Far above any request's budget on the server (REQUEST_SECONDS, 30 s by default), so that a
# timeout here means the server held a request longer than it promises to.
TIMEOUT_SECONDS = 45.0
_addresses = itertools.count(1)
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def next_source_address() -> str:
    """A loopback address no visitor of this run has used (127.1.0.1, 127.1.0.2, ...)."""
    number = next(_addresses)
    return f"127.{1 + number // 65025 % 254}.{number // 255 % 255}.{1 + number % 254}"


@dataclass(frozen=True)
class Answer:
    """One request's outcome: its status (0 when it failed before one came) and time."""

    status: int
    seconds: float
    body: bytes = b""
    failure: str = ""  # "timeout" or the socket error's name, when status is 0


class Visitor:
    """One person's browser: a source address, its cookies and a keep-alive connection."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.cookies: dict[str, str] = {}
        self.source = next_source_address()
        self._connection: http.client.HTTPConnection | None = None

    def become_someone_else(self) -> None:
        """A new person at this keyboard: a new address, no cookies, a new connection."""
        self.close()
        self.cookies.clear()
        self.source = next_source_address()

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        anonymous: bool = False,
    ) -> Answer:
        """Send one request (with this visitor's cookies unless `anonymous`) and time it."""
        sent = dict(headers or {})
        if self.cookies and not anonymous:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.perf_counter()
        try:
            if self._connection is None:
                self._connection = http.client.HTTPConnection(
                    self.host, self.port, timeout=TIMEOUT_SECONDS, source_address=(self.source, 0)
                )
            self._connection.request(method, path, body=body, headers=sent)
            response = self._connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.close()
            failure = "timeout" if isinstance(error, socket.timeout) else type(error).__name__
            return Answer(0, time.perf_counter() - started, failure=failure)
        seconds = time.perf_counter() - started
        if not anonymous:
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    if morsel.value and morsel["max-age"] != "0":
                        self.cookies[name] = morsel.value
                    else:
                        self.cookies.pop(name, None)
        if response.will_close:
            self.close()
        return Answer(response.status, seconds, data)

    def csrf_token(self, path: str) -> str | None:
        """The CSRF token of the form on a page (untimed: the form is not what is measured)."""
        answer = self.request("GET", path)
        match = _CSRF.search(answer.body.decode("utf-8", "replace"))
        return match.group(1) if match else None

    def post_form(self, path: str, fields: dict[str, str]) -> Answer:
        body = urlencode(fields).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return self.request("POST", path, body=body, headers=headers)

    def post_file(self, path: str, fields: dict[str, str], name: str, data: bytes) -> Answer:
        """A multipart form with one file, as a browser sends an upload."""
        boundary = secrets.token_hex(16)
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
            .encode()
            for key, value in fields.items()
        ]  # fmt: skip
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="badge.png"\r\nContent-Type: image/png\r\n\r\n'.encode()
            + data
            + f"\r\n--{boundary}--\r\n".encode()
        )
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        return self.request("POST", path, body=b"".join(parts), headers=headers)

    def push(self, token: str, assertion: dict[str, Any]) -> Answer:
        """An issuer platform's Badge Connect push of a hosted assertion."""
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        body = json.dumps({"assertion": assertion}).encode()
        return self.request(
            "POST", "/ims/ob/v2p1/assertions", body=body, headers=headers, anonymous=True
        )
