"""The other backpack, read through the app's one safe fetcher within a pull's caps."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from backpack.openbadges import Fetcher, OpenBadgesError
from importers.pipeline import SourceUnreadable

JSON_TYPES = ("application/json", "application/ld+json", "application/vc+ld+json")


class PullStopped(SourceUnreadable):
    """The remote backpack cannot be read (or not within the caps): the pull ends, with
    this reason, before anything is stored."""


class PullAnswered(PullStopped):
    """The remote answered with an error of the client's making (HTTP 4xx); `oauth_error`
    is the OAuth error code the answer gave (RFC 6749 5.2: `invalid_grant`...), if any."""

    def __init__(self, message: str, *, oauth_error: str | None = None) -> None:
        super().__init__(message)
        self.oauth_error = oauth_error


class PullUnauthorized(PullAnswered):
    """The remote refused the token a request carried (HTTP 401)."""


class PullRefused(PullAnswered):
    """The remote answered that the request itself is wrong (HTTP 4xx other than 401, 408
    and 429): asking again the same way will not help, unlike a server that is down."""


@dataclass(frozen=True)
class PullLimits:
    """How much of a remote one pull reads at most."""

    pages: int = 50
    items: int = 2000
    total_bytes: int = 50 * 1024 * 1024


@dataclass
class Remote:
    """Requests to one remote backpack, counted against the pull's caps."""

    fetcher: Fetcher
    limits: PullLimits = field(default_factory=PullLimits)
    pages: int = 0
    received: int = 0

    def get_json(self, url: str, *, token: str | None = None) -> tuple[Any, dict[str, str]]:
        """GET a JSON document (a page): its body and lower-cased headers."""
        headers = {"Authorization": f"Bearer {token}"} if token else None
        return self._json("GET", url, None, headers)

    def get_json_text(
        self, url: str, *, token: str | None = None
    ) -> tuple[Any, dict[str, str], str]:
        """GET a JSON page: its body parsed, its lower-cased headers, and its text as
        received (to keep what the page holds verbatim)."""
        headers = {"Authorization": f"Bearer {token}"} if token else None
        response = self._response("GET", url, None, headers)
        text = response.content.decode("utf-8", errors="replace")
        return self._parsed(url, response), dict(response.headers), text

    def post_json(self, url: str, document: Any) -> tuple[Any, dict[str, str]]:
        """POST a JSON body and read the JSON answer."""
        body = json.dumps(document).encode()
        return self._json("POST", url, body, {"Content-Type": "application/json"})

    def post_form(
        self, url: str, body: bytes, *, authorization: str | None = None
    ) -> tuple[Any, dict[str, str]]:
        """POST a form (an OAuth token request) and read the JSON answer."""
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if authorization:
            headers["Authorization"] = authorization
        return self._json("POST", url, body, headers)

    def _json(
        self, method: str, url: str, body: bytes | None, headers: dict[str, str] | None
    ) -> tuple[Any, dict[str, str]]:
        response = self._response(method, url, body, headers)
        return self._parsed(url, response), dict(response.headers)

    def _response(
        self, method: str, url: str, body: bytes | None, headers: dict[str, str] | None
    ) -> Any:
        """The answer to one request, within the caps, a JSON answer or PullStopped."""
        self.pages += 1
        if self.pages > self.limits.pages:
            raise PullStopped(
                f"The other backpack needed more than {self.limits.pages} requests; the pull"
                " stopped there (an endless list?)."
            )
        try:
            response = self.fetcher.request(method, url, body=body, headers=headers)
        except OpenBadgesError as exc:
            raise PullStopped(f"{_host(url)} could not be read: {exc.message}") from exc
        self.received += len(response.content)
        if self.received > self.limits.total_bytes:
            raise PullStopped(
                f"The other backpack sent more than {self.limits.total_bytes} bytes;"
                " the pull stopped."
            )
        if response.status in (301, 302, 303, 307, 308):
            raise PullStopped(f"{url} answered a redirect where an answer was expected.")
        if response.status >= 400:
            raise _error_answer(url, response)
        if response.content_type not in JSON_TYPES and not response.content_type.endswith("+json"):
            shown = response.content_type or "nothing"
            raise PullStopped(f"{url} answered {shown} where JSON was expected.")
        return response

    @staticmethod
    def _parsed(url: str, response: Any) -> Any:
        try:
            return response.json()
        except OpenBadgesError as exc:
            raise PullStopped(f"{url} did not answer readable JSON: {exc.message}") from exc


def _error_answer(url: str, response: Any) -> PullStopped:
    """The PullStopped an HTTP error answer makes: PullUnauthorized for a 401, PullRefused
    for another 4xx but 408 and 429 (the request itself is wrong), else a plain one; with
    what the answer says of itself (OAuth, Badge Connect or 3.0 shapes), briefly."""
    try:
        body = response.json()
    except OpenBadgesError:
        body = None
    body = body if isinstance(body, dict) else {}
    status = body.get("status")
    said = next(
        (
            ": " + " ".join(text.split())[:200]
            for text in (
                body.get("error_description"),
                body.get("error"),
                body.get("imsx_description"),
                status.get("error") if isinstance(status, dict) else None,
            )
            if isinstance(text, str) and text.strip()
        ),
        "",
    )
    message = f"{url} answered HTTP {response.status}{said}."
    error = body.get("error")
    oauth_error = error if isinstance(error, str) else None
    if response.status == 401:
        return PullUnauthorized(message, oauth_error=oauth_error)
    if response.status < 500 and response.status not in (408, 429):
        return PullRefused(message, oauth_error=oauth_error)
    return PullStopped(message)


def _host(url: str) -> str:
    return urlsplit(url).hostname or url
