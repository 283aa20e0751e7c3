"""Origins of other sites, validated strictly enough to be named in a response header."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

# A DNS host name as it travels (IDNA already applied): labels of letters, digits, hyphens.
_HOST_NAME = re.compile(
    r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$"
)


def web_origin(url: object, *, schemes: tuple[str, ...] = ("http", "https")) -> str | None:
    """`scheme://host[:port]` of a URL, rebuilt from checked parts; None if anything is odd.

    The origin goes into Content-Security-Policy and CORS headers, so it is rebuilt from
    the host name and port rather than copied from the URL, where `;` or spaces could
    smuggle in directives of their own.
    """
    if not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname
    if parts.scheme not in schemes or not host or parts.username or parts.password:
        return None
    if not _HOST_NAME.match(host):
        try:
            host = f"[{ipaddress.IPv6Address(host)}]"
        except ValueError:
            return None
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")
