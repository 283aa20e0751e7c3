"""Checking a BadgeClass's image: it must exist and be a PNG or SVG within the image limits.

The reference verifier and Badgr refuse a badge whose class image answers 404 or is not an
image, so a new badge is refused here too. The image is fetched through the issuer
resources (the safe fetcher, and the cache of lasting issuer documents), or decoded from a
`data:` URI, and then checked by content with the limits baked images have. A badge the
backpack already holds keeps the copy it stored when it arrived: for it every problem with
the image is a warning, never a downgrade.
"""

from __future__ import annotations

from typing import Any, Final

from backpack.openbadges.codes import TRANSIENT_CODES
from backpack.openbadges.errors import FetchError, ImageError
from backpack.openbadges.http_exchange import FetchResponse
from backpack.openbadges.images import ImageInfo, decode_data_uri, inspect_image
from backpack.openbadges.issuer_resources import IssuerResources, record_unavailable
from backpack.openbadges.report import VerificationReport
from backpack.openbadges.validation import is_http_url

IMAGE_ACCEPT: Final = "image/png, image/svg+xml;q=0.9, image/*;q=0.5"
# Open Badges 2.0 allows only these; 0.5 and 1.x only said an image "should" be a PNG.
SPEC_KINDS: Final = frozenset({"png", "svg"})
_WHAT: Final = "the BadgeClass image"


def check_badge_image(
    reference: Any,
    version: str | None,
    resources: IssuerResources,
    report: VerificationReport,
    *,
    already_held: bool = False,
) -> bytes | None:
    """Fetch or decode a BadgeClass image and check it; return its bytes when it is usable.

    Problems go into the report: errors for a new badge (`badge_image_missing`,
    `badge_image_invalid`, or a transient fetch code that leaves it unverifiable), the
    warning `badge_image_unavailable` for one `already_held`.
    """
    if not isinstance(reference, str):
        return None  # a missing or malformed image property is a validation error already
    problems = _Problems(report, reference, already_held=already_held)
    try:
        found = _image(reference, resources)
        if found is None:
            return None
        data, info = found
    except FetchError as error:
        problems.unfetchable(error)
        return None
    except ImageError as error:
        problems.unusable(error.message)
        return None
    if info.kind not in SPEC_KINDS:
        kind = info.kind.upper()
        if version == "2.0":
            problems.unusable(f"It is a {kind} image; Open Badges 2.0 allows only PNG or SVG.")
            return None
        report.warn(
            "badge_image_format",
            f"The BadgeClass image {problems.shown} is a {kind} image, not a PNG or SVG.",
        )
    return data


def _image(reference: str, resources: IssuerResources) -> tuple[bytes, ImageInfo] | None:
    if reference.lower().startswith("data:"):
        data = decode_data_uri(reference)
        if data is None:
            raise ImageError("The data: URI cannot be decoded.", code="not_an_image")
        return data, inspect_image(data)
    if not is_http_url(reference):
        return None  # not a URL: validation reports it
    # An image changes as rarely as the BadgeClass naming it, and is content-addressed
    # once stored, so it is kept with the lasting issuer documents, and so is what it is.
    response = resources.get(reference, _WHAT, accept=IMAGE_ACCEPT, lasting=True)
    info = resources.derived(reference, IMAGE_ACCEPT, response, "image", _inspected)
    return response.content, info


def _inspected(response: FetchResponse) -> ImageInfo:
    return inspect_image(response.content)


class _Problems:
    """Reports what is wrong with one image, as a new or an already held badge needs it."""

    def __init__(self, report: VerificationReport, reference: str, *, already_held: bool) -> None:
        self.report = report
        self.already_held = already_held
        inline = reference.lower().startswith("data:")
        self.shown = "given as a data: URI" if inline else f"at {reference}"

    def unfetchable(self, error: FetchError) -> None:
        if self.already_held:
            return self._held(error.message)
        if error.code in TRANSIENT_CODES:
            # The issuer may be back tomorrow: undecided, like any other issuer document.
            return record_unavailable(error, self.report)
        too_large = error.code == "response_too_large"
        code = "badge_image_invalid" if too_large else "badge_image_missing"
        self.report.error(code, error.message)

    def unusable(self, reason: str) -> None:
        message = f"The BadgeClass image {self.shown} is not a usable badge image: {reason}"
        if self.already_held:
            return self._held(message)
        self.report.error("badge_image_invalid", message)

    def _held(self, message: str) -> None:
        self.report.warn(
            "badge_image_unavailable",
            f"{message} The copy the backpack kept when the badge arrived is shown instead.",
        )
