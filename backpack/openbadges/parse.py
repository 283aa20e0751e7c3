"""Reading badge input: which form it has (JSON, JWS, URL) and which Open Badges version.

Versions are told apart as the reference verifier does (openbadges-specs.md section 1.0):
a 1.1 @context names `v1`, a 2.0 one `v2`; without @context a string `recipient` means 0.5,
anything else 1.0. Mozilla Backpack stored bodies (mozilla-backpack.md section 5) are 1.0
assertions flattened around their BadgeClass and issuer; they are read as 1.0. Open Badges
3.0 credentials are recognised here and refused as assertions: `verify_badge` hands them to
the credentials package (`credentials.extract`, `credentials.verify`) before this module.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from backpack.openbadges.errors import ParseError
from backpack.openbadges.json_limits import decode_json
from backpack.openbadges.signing import allowed_algorithm, decode_jws

# Badge JSON is a few kilobytes; 4 MiB leaves room for data: URI images inside it.
MAX_INPUT_BYTES: Final = 4 * 1024 * 1024

Version = Literal["0.5", "1.0", "1.1", "2.0"]
InputForm = Literal["json", "jws", "url"]

# Three base64url parts; some early issuers padded them with "=".
_JWS: Final = re.compile(r"^[A-Za-z0-9_-]+={0,2}\.[A-Za-z0-9_-]*={0,2}\.[A-Za-z0-9_-]*={0,2}$")
# A JSON string (linear to match: no two ways to split it), a bracket, or a stray quote.
_WHITESPACE: Final = re.compile(r"\s+")
_HTTP_URL: Final = re.compile(r"^https?://[^\s/?#]+\S*$", re.IGNORECASE)

V1_CONTEXT_MARKERS: Final = ("/openbadges/v1", "openbadgespec.org/v1/", "openbadges.org/1.1/")
V3_CONTEXT_MARKERS: Final = ("www.w3.org/2018/credentials", "www.w3.org/ns/credentials")
V3_TYPES: Final = frozenset(
    {"VerifiableCredential", "OpenBadgeCredential", "AchievementCredential"}
)


@dataclass(frozen=True)
class ParsedBadge:
    """Badge input as read: its form, and for JSON or JWS the assertion and its version."""

    form: InputForm
    text: str
    document: dict[str, Any] | None = None
    version: Version | None = None

    @property
    def url(self) -> str | None:
        """The URL the input is, when it is one."""
        return self.text if self.form == "url" else None


def parse_badge_text(text: str) -> ParsedBadge:
    """Read badge text (JSON, compact JWS or URL); fetch nothing and verify nothing.

    JSON that only points at a hosted assertion (`hosted_reference`) is read as its URL.
    """
    form, cleaned = detect_input_form(text)
    if form == "url":
        return ParsedBadge("url", cleaned)
    signed = decode_jws(cleaned) if form == "jws" else None
    document = load_json(signed.payload if signed else cleaned)
    reference = hosted_reference(document) if signed is None else None
    if reference is not None:
        return ParsedBadge("url", reference)
    # What the payload is comes first: a 3.0 credential gets the 3.0 answer whatever its
    # algorithm (ES256K, say), and which algorithms are accepted depends on the version.
    assertion = require_assertion(document)
    version = detect_version(assertion)
    if signed is not None:
        allowed_algorithm(signed.algorithm, legacy=version != "2.0")
    return ParsedBadge(form, cleaned, assertion, version)


def detect_input_form(text: str) -> tuple[InputForm, str]:
    """Return the form of badge text and the text stripped of what does not belong to it."""
    if len(text) > MAX_INPUT_BYTES:
        raise ParseError(_too_large_message(), code="input_too_large")
    stripped = text.strip().lstrip("\ufeff")
    if stripped.startswith(("{", "[")):
        return "json", stripped
    if re.match(r"^https?://\S+$", stripped, re.IGNORECASE):
        return "url", stripped
    # Baked signatures are sometimes wrapped over several lines.
    compact = _WHITESPACE.sub("", stripped)
    if _JWS.match(compact):
        return "jws", compact
    if re.match(r"^[a-z][a-z0-9+.-]*:", stripped, re.IGNORECASE) and " " not in stripped:
        raise ParseError(
            "Only http and https URLs can point at a badge.", code="unrecognised_input"
        )
    raise ParseError(
        "This is not a badge: expected badge JSON, a signed badge (JWS), a URL or a badge image.",
        code="unrecognised_input",
    )


def hosted_reference(document: Any) -> str | None:
    """The URL of a hosted assertion that a JSON document only points at, else None.

    Badgr's UI handed earners `{"@context", "type": "Assertion", "id"}` and nothing more;
    badgecheck and Badgr verify what is hosted at that id, and so does this library.
    """
    if not isinstance(document, dict) or "recipient" in document or "badge" in document:
        return None
    kinds = document.get("type")
    if "Assertion" not in (kinds if isinstance(kinds, list) else [kinds]):
        return None
    url = document.get("id")
    return url if isinstance(url, str) and _HTTP_URL.match(url) else None


def load_json(data: str | bytes) -> Any:
    """Parse JSON text, refusing oversized or too deeply nested input."""
    if len(data) > MAX_INPUT_BYTES:
        raise ParseError(_too_large_message(), code="input_too_large")
    return decode_json(data, source="The badge JSON")


def require_assertion(document: Any) -> dict[str, Any]:
    """Return a JSON document that looks like an assertion of some version, or refuse it."""
    if not isinstance(document, dict):
        raise ParseError("The JSON is not an object, so it is not a badge.", code="not_a_badge")
    if is_v3_credential(document):
        raise _v3_not_supported()
    if "recipient" not in document and "badge" not in document:
        kind = document.get("type")
        what = f" (it describes a {kind})" if isinstance(kind, str) and kind else ""
        raise ParseError(
            f"This is not a badge assertion awarded to someone{what}.", code="not_a_badge"
        )
    return document


def detect_version(document: Mapping[str, Any]) -> Version:
    """Return the Open Badges version of an assertion, BadgeClass or issuer document."""
    if is_v3_credential(document):
        raise _v3_not_supported()
    context = document.get("@context")
    if context is None:
        if is_mozilla_normalised(document):
            return "1.0"
        # A bare recipient string with an embedded badge is 0.5; with a badge URL it is a
        # malformed 1.0 assertion, and validation says so.
        is_0_5 = isinstance(document.get("recipient"), str) and not isinstance(
            document.get("badge"), str
        )
        return "0.5" if is_0_5 else "1.0"
    urls = [c for c in (context if isinstance(context, list) else [context]) if isinstance(c, str)]
    if any(marker in url for url in urls for marker in V1_CONTEXT_MARKERS):
        return "1.1"
    return "2.0"


def is_mozilla_normalised(document: Mapping[str, Any]) -> bool:
    """Return True for a 1.0 assertion as the Mozilla Backpack stored it (flattened)."""
    badge = document.get("badge")
    return "_originalRecipient" in document or (isinstance(badge, dict) and "_location" in badge)


def is_v3_credential(document: Mapping[str, Any]) -> bool:
    """Return True for an Open Badges 3.0 / Verifiable Credential document or VC-JWT claims."""
    if isinstance(document.get("vc"), dict):
        return True
    context = document.get("@context")
    urls = [c for c in (context if isinstance(context, list) else [context]) if isinstance(c, str)]
    if any(marker in url for url in urls for marker in V3_CONTEXT_MARKERS):
        return True
    kinds = document.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return any(isinstance(k, str) and k in V3_TYPES for k in kinds)


def _v3_not_supported() -> ParseError:
    return ParseError(
        "This is an Open Badges 3.0 credential, not an assertion of an earlier version; "
        "it is read and verified as a credential.",
        code="unsupported_version",
    )


def _too_large_message() -> str:
    return f"The input is larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB."
