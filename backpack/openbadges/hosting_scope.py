"""Whether a hosted assertion lives where its issuer allows (Open Badges 2.0 "HostedBadge").

By default an assertion must be hosted on the same host (and port) as its issuer's id. An
issuer may instead declare `verification.allowedOrigins` (host names) and
`verification.startsWith` (URL prefixes). Without this check anyone could host an
assertion that claims a famous issuer's BadgeClass.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from backpack.openbadges.report import VerificationReport
from backpack.openbadges.validation import is_http_url

_DEFAULT_PORTS = {"http": 80, "https": 443}


def check_hosting_scope(
    assertion_id: str, issuer: Mapping[str, Any], report: VerificationReport
) -> None:
    """Report a hosted assertion URL outside its issuer's verification policy."""
    issuer_id = issuer.get("id")
    policy = issuer.get("verification")
    policy = policy if isinstance(policy, dict) else {}
    starts_with = [p for p in _as_list(policy.get("startsWith")) if isinstance(p, str)]
    if starts_with and not any(assertion_id.startswith(prefix) for prefix in starts_with):
        report.error(
            "outside_issuer_scope",
            f"The assertion {assertion_id} is not under any URL its issuer allows "
            f"({', '.join(starts_with)}).",
        )
        return
    declared = [o for o in _as_list(policy.get("allowedOrigins")) if isinstance(o, str)]
    if not declared and not is_http_url(issuer_id):
        said = (
            "The issuer has no id"
            if issuer_id is None
            else f"The issuer's id {issuer_id} is not a web address"
        )
        report.warn(
            "issuer_not_http", f"{said}, so where its badges may be hosted cannot be checked."
        )
        return
    allowed = {_host(origin) for origin in declared} if declared else {authority(str(issuer_id))}
    if authority(assertion_id) not in allowed:
        report.error(
            "outside_issuer_scope",
            f"The assertion is hosted at {urlsplit(assertion_id).netloc or assertion_id}, but "
            f"its issuer only hosts badges at {', '.join(sorted(allowed))}.",
        )


def authority(url: str) -> str:
    """Return the host of a URL, with its port unless it is the scheme's default."""
    try:
        parts = urlsplit(url)
        host, port = (parts.hostname or "").lower(), parts.port
    except ValueError:
        return ""
    if port is None or port == _DEFAULT_PORTS.get(parts.scheme.lower()):
        return host
    return f"{host}:{port}"


def _host(origin: str) -> str:
    # allowedOrigins holds host names ("example.org", "example.org:8443"); a full origin
    # ("https://example.org") is accepted too.
    origin = origin.strip()
    if "://" in origin:
        return authority(origin)
    host = authority(f"//{origin}")
    return host.rsplit(":", 1)[0] if host.endswith((":80", ":443")) else host


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
