"""What an address the earner gave speaks, asked of the address itself."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from backpack.openbadges import FetchError
from importers.pull.displayer import displayer_base
from importers.pull.remote import PullStopped, Remote

OB3_DISCOVERY = "/ims/ob/v3p0/discovery"
BADGE_CONNECT_MANIFEST = "/.well-known/badgeconnect.json"


@dataclass(frozen=True)
class Spoken:
    """The API found at an address: its kind and the base to call it on."""

    kind: str  # "ob3", "badge-connect" (base: scheme and host), "displayer" (the API's)
    base: str


def normalise_address(address: str) -> str:
    """An http(s) address from what the earner typed, or PullStopped."""
    text = address.strip()
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PullStopped("Give the address of the other backpack, such as https://example.org.")
    return text.rstrip("/")


def discover(remote: Remote, address: str) -> Spoken:
    """Ask the address which API it speaks: the 3.0 API's discovery, a Badge Connect
    manifest, else the Displayer API at the address (or under /displayer).

    PullStopped at once when the host cannot be reached at all, rather than a Displayer
    pull that could only fail later in the background."""
    text = normalise_address(address)
    parts = urlsplit(text)
    root = f"{parts.scheme}://{parts.netloc}"
    if "/displayer" in parts.path or parts.path.endswith("/api"):
        return Spoken("displayer", displayer_base(text))
    try:
        if _answers(remote, root + OB3_DISCOVERY):
            return Spoken("ob3", root)
    except PullStopped as exc:
        # Unreached, not merely without the 3.0 API: said now, with what may be wrong.
        guessed = "://" not in address
        hint = " If it is served over plain http, give its address with http://." if guessed else ""
        raise PullStopped(f"{exc.message.rstrip('.')}.{hint}") from exc
    if _answers(remote, root + BADGE_CONNECT_MANIFEST):
        return Spoken("badge-connect", root)
    return Spoken("displayer", displayer_base(text))


def _answers(remote: Remote, url: str) -> bool:
    """Whether the URL serves JSON; PullStopped when its host could not be reached."""
    try:
        remote.get_json(url)
    except PullStopped as exc:
        if isinstance(exc.__cause__, FetchError):  # no answer at all, or refused here
            raise
        return False
    return True
