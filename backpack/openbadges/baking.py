"""Bake badges into PNG and SVG images, and read them back out (reference section 2)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from backpack.openbadges.errors import BakingError, OpenBadgesError
from backpack.openbadges.images import inspect_image, sniff_image_type
from backpack.openbadges.json_limits import decode_json
from backpack.openbadges.png_baking import BADGE_KEYWORDS, bake_png, unbake_png
from backpack.openbadges.png_baking import find_baked_badge as find_png_badge
from backpack.openbadges.svg_baking import bake_svg, unbake_svg
from backpack.openbadges.svg_baking import find_baked_badge as find_svg_badge

# A compact JWS: three base64url parts (padding tolerated, as some early issuers padded).
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+={0,2}\.[A-Za-z0-9_-]+={0,2}\.[A-Za-z0-9_-]*={0,2}")
_HTTP_URL = re.compile(r"https?://\S+", re.IGNORECASE)


@dataclass(frozen=True)
class BakedPayload:
    """The badge found in an image: the JSON, JWS or URL text exactly as baked."""

    text: str
    image_kind: Literal["png", "svg"]
    keyword: str
    # The SVG element's verify attribute (a JWS or hosted URL), which may sit beside a body.
    verify_attribute: str | None = None
    # An SVG's malformed JSON body, passed over for its verify URL (then `text`).
    unreadable_body: str | None = None


def unbake(data: bytes) -> BakedPayload:
    """The badge baked into a PNG or SVG image; ImageError or BakingError otherwise."""
    info = inspect_image(data)
    if info.kind == "png":
        png_badge = find_png_badge(data)
        if png_badge is not None:
            return BakedPayload(png_badge.text, "png", png_badge.keyword)
    elif info.kind == "svg":
        svg_badge = find_svg_badge(data)
        if svg_badge is not None:
            return BakedPayload(
                svg_badge.text,
                "svg",
                svg_badge.keyword,
                svg_badge.verify,
                svg_badge.unreadable_body,
            )
    else:
        raise BakingError(
            f"A {info.kind.upper()} image cannot hold a badge; only PNG and SVG can.",
            code="no_badge_in_image",
        )
    raise BakingError("The image holds no badge.", code="no_badge_in_image")


def bake(image: bytes, payload: str, *, keyword: str = "openbadges") -> bytes:
    """The image with the badge (JSON, JWS or hosted URL) baked in, replacing any other."""
    if keyword not in BADGE_KEYWORDS:
        raise ValueError(f"keyword must be one of {BADGE_KEYWORDS}, not {keyword!r}")
    kind = sniff_image_type(image)
    if kind not in ("png", "svg"):
        raise BakingError(
            "Only PNG and SVG images can carry a baked badge.", code="unbakeable_image_type"
        )
    text = payload.strip()
    verify, body = _svg_verify_and_body(text, keyword)
    inspect_image(image)
    if kind == "png":
        return bake_png(image, text, keyword=keyword)
    return bake_svg(image, keyword=keyword, verify=verify, body=body)


def without_badge(image: bytes) -> bytes:
    """The image with every baked badge taken out (a badge may name its recipient), for
    showing to people it was not awarded to; ImageError if it is not a readable image."""
    kind = inspect_image(image).kind
    if kind == "png":
        return unbake_png(image)
    if kind == "svg":
        return unbake_svg(image)
    return image


def _svg_verify_and_body(text: str, keyword: str) -> tuple[str | None, str | None]:
    # Signed badges and hosted URLs go in the verify attribute alone; JSON goes in the
    # body, with verify naming where the issuer hosts it (reference section 2.1).
    if _COMPACT_JWS.fullmatch(text) or _HTTP_URL.fullmatch(text):
        return text, None
    if text.startswith("{"):
        try:
            document = decode_json(text, source="The badge")
        except OpenBadgesError:
            document = None
        if isinstance(document, Mapping):
            # A 3.0 credential with an embedded proof carries no verify attribute.
            return (_hosted_url(document) if keyword == "openbadges" else None), text
    raise BakingError(
        "Only badge JSON, a signed badge (JWS) or a hosted badge URL can be baked.",
        code="unrecognised_input",
    )


def _hosted_url(assertion: Mapping[str, object]) -> str | None:
    verify = assertion.get("verify") or assertion.get("verification")
    candidates = [assertion.get("id"), verify.get("url") if isinstance(verify, Mapping) else None]
    for candidate in candidates:
        if isinstance(candidate, str) and _HTTP_URL.fullmatch(candidate):
            return candidate
    return None
