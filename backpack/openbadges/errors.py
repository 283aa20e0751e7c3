"""The exceptions of the Open Badges library: each carries a stable machine code."""

from __future__ import annotations


class OpenBadgesError(Exception):
    """A problem with badge input, with a stable `code` and a human `message`.

    Codes are lower_snake_case strings that callers (the CLI, the web pages, the APIs)
    show or map to HTTP statuses; they never change once published.
    """

    code = "invalid_badge"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message


class ImageError(OpenBadgesError):
    """A badge image that cannot be read safely (not an image, too big, a bomb, bad SVG)."""

    code = "invalid_image"


class BakingError(OpenBadgesError):
    """An image that holds no badge, or a badge that cannot be baked into an image."""

    code = "no_badge_in_image"


class FetchError(OpenBadgesError):
    """A foreign URL that could not be fetched (refused, unreachable, too big, too slow)."""

    code = "fetch_failed"


class FetchRefused(FetchError):
    """A URL the fetcher will not try: not http(s), or a private or loopback address."""

    code = "fetch_refused"


class ParseError(OpenBadgesError):
    """Input that is not a badge of any known version, or is malformed JSON or JWS."""

    code = "unparseable"


class SignatureError(OpenBadgesError):
    """A signed badge whose signature cannot be trusted: bad algorithm, key or signature."""

    code = "jws_invalid_signature"
