"""The endpoints another backpack's discovery names, and the one-host rule they obey."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Endpoints:
    """What a discovery document says, checked to stay on the API's own host."""

    api_base: str
    registration: str
    authorization: str
    token: str
    revocation: str | None = None
    kind: str = "ob3"  # or "badge-connect"
    scope: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "registration": self.registration,
            "authorization": self.authorization,
            "token": self.token,
            "revocation": self.revocation,
            "scope": self.scope,
        }


def same_host(url: str, root: str) -> bool:
    """Whether a URL is on the scheme, host and port of another."""
    a, b = urlsplit(url), urlsplit(root)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)
