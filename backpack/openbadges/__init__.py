"""The Open Badges library: read, verify, bake and unbake badges of every version.

This package is the library's front door: the backpack (services, web pages, APIs,
importers, commands) imports what it uses from `backpack.openbadges`, never from the
modules behind it (an import-linter contract in pyproject.toml checks it), so that the
modules can be split or moved (Open Badges 3.0 lives in `credentials/`) without the app
noticing. The library imports nothing of the app.

    verify_badge        verify JSON, a JWS, a URL or a baked image into a report
    read_offline        read and match a stored badge without fetching (imports)
    badge_fingerprint   what identifies one award, however it arrives
    bake / unbake       put a badge into a PNG or SVG, or read it out
"""

from __future__ import annotations

from backpack.openbadges.badge_image import IMAGE_ACCEPT
from backpack.openbadges.baking import BakedPayload, bake, unbake, without_badge
from backpack.openbadges.budget import TimeBudget
from backpack.openbadges.canonical_v2 import V2_CONTEXT
from backpack.openbadges.codes import ERROR_CODES, TRANSIENT_CODES, WARNING_CODES
from backpack.openbadges.document_cache import IssuerDocumentCache
from backpack.openbadges.errors import (
    BakingError,
    FetchError,
    FetchRefused,
    ImageError,
    OpenBadgesError,
    ParseError,
    SignatureError,
)
from backpack.openbadges.fingerprint import badge_fingerprint
from backpack.openbadges.images import decode_data_uri, inspect_image, sniff_image_type
from backpack.openbadges.json_limits import decode_json
from backpack.openbadges.offline import read_offline
from backpack.openbadges.recipient import identity_hash
from backpack.openbadges.report import (
    BadgeSummary,
    Message,
    ProofSummary,
    VerificationReport,
    summarise,
)
from backpack.openbadges.safe_fetcher import Fetcher
from backpack.openbadges.sizes import size_in_words
from backpack.openbadges.timestamps import parse_datetime
from backpack.openbadges.verify import verify_badge
from backpack.openbadges.vouching import claimed_urls, issuer_id_of, voucher_of

__all__ = [
    "ERROR_CODES",
    "IMAGE_ACCEPT",
    "TRANSIENT_CODES",
    "V2_CONTEXT",
    "WARNING_CODES",
    "BadgeSummary",
    "BakedPayload",
    "BakingError",
    "FetchError",
    "FetchRefused",
    "Fetcher",
    "ImageError",
    "IssuerDocumentCache",
    "Message",
    "OpenBadgesError",
    "ParseError",
    "ProofSummary",
    "SignatureError",
    "TimeBudget",
    "VerificationReport",
    "badge_fingerprint",
    "bake",
    "claimed_urls",
    "decode_data_uri",
    "decode_json",
    "identity_hash",
    "inspect_image",
    "issuer_id_of",
    "parse_datetime",
    "read_offline",
    "size_in_words",
    "sniff_image_type",
    "summarise",
    "unbake",
    "verify_badge",
    "voucher_of",
    "without_badge",
]
