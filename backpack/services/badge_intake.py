"""The one way a badge enters a backpack: upload, URL, paste, push, import and pull alike.

Every route verifies the badge the same way, matches it to the earner's addresses, and
deduplicates it, so no route can store what another would refuse. Imports, which fetch
nothing, read badges offline in `unchecked_intake` (one at a time) and `bulk_intake`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from backpack.database.unique_rows import add_or_find
from backpack.extensions import db
from backpack.models import Badge, EmailAddress, Image, User
from backpack.openbadges import (
    TRANSIENT_CODES,
    Fetcher,
    OpenBadgesError,
    VerificationReport,
    badge_fingerprint,
    inspect_image,
    sniff_image_type,
    unbake,
    verify_badge,
)
from backpack.services.app_fetcher import app_fetcher, app_issuer_documents
from backpack.services.badge_catalogue import store_badge_class
from backpack.services.badge_columns import (
    VERIFIED_COPY_FIELDS,
    badge_columns,
    checked_now,
    parse_time,
    verdict,
)
from backpack.services.errors import ServiceError
from backpack.services.images import image_from_reference, store_image
from backpack.services.push_origin import origin_refusal

SOURCES = ("upload", "url", "paste", "push", "import", "pull")
# Verdicts a badge can be kept with: the truth is shown, and re-verification may change it.
KEPT_ERROR_CODES = frozenset({"expired"}) | TRANSIENT_CODES
# A BadgeClass image that is gone or broken: a new badge is refused, a held one is kept.
IMAGE_ERROR_CODES = frozenset({"badge_image_missing", "badge_image_invalid"})


class BadgeRefused(ServiceError):
    """A badge that cannot go into this backpack, with the verifier's code and reason."""

    status = 422

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Received:
    """What happened to a badge handed in."""

    badge: Badge
    created: bool  # False: the backpack held this badge already
    # Accepted as the source showed it, though its address is verified on another account.
    address_elsewhere: bool = False

    @property
    def pending(self) -> bool:
        return self.badge.status == "pending"


def receive_badge(
    user: User,
    data: str | bytes,
    *,
    source: str,
    origin: str | None = None,
    takes_credentials: bool = True,
) -> Received:
    """Verify a badge (image bytes, JSON, JWS or URL) and put it in the user's backpack.

    `origin` is the one site a Backpack Connect grant lets push: a badge that site does not
    answer for is refused (code `origin_mismatch`) before anything is stored. A route that
    carries Open Badges 2.0 only (`takes_credentials` False) refuses a 3.0 credential (code
    `credential_not_assertion`).
    """
    if source not in SOURCES:
        raise ValueError(f"unknown badge source {source!r}")
    if source == "upload" and isinstance(data, bytes):
        _refuse_unless_image(data)
    report = badge_verifier(user)(data)
    if not takes_credentials and report.version == "3.0":
        raise BadgeRefused(
            "credential_not_assertion",
            "This is an Open Badges 3.0 credential; this route carries Open Badges 2.0 "
            "assertions only.",
        )
    refusal = origin_refusal(origin, report) if origin and report.assertion else None
    if refusal is not None:
        raise BadgeRefused("origin_mismatch", refusal)
    return keep_verified(user, report, data, source=source)


def badge_verifier(
    user: User, fetcher: Fetcher | None = None
) -> Callable[[str | bytes], VerificationReport]:
    """Verification of badges handed in for `user` (with the app's fetcher unless another is
    given). It reads nothing from the database once made, so other threads may call it."""
    # As typed: issuers hashed that spelling, and the library tries its case variants.
    recipients = {"email": sorted(e.address for e in user.emails)}
    chosen, documents = fetcher or app_fetcher(), app_issuer_documents()

    def verify(data: str | bytes) -> VerificationReport:
        return verify_badge(data, recipients=recipients, fetcher=chosen, documents=documents)

    return verify


def keep_verified(
    user: User, report: VerificationReport, data: str | bytes, *, source: str
) -> Received:
    """Put a badge verified into `report` in the user's backpack, or say why it cannot be.

    `data` is what was handed in (kept verbatim as the badge's payload; a baked image as
    the text verification read out of it). An award the user holds already is not stored
    twice: the verified copy replaces one that could not be checked, and for Open Badges
    3.0 a copy with a newer `validFrom` replaces the older one (the spec's equality).
    """
    addresses = {e.normalised: e for e in user.emails}
    held = _held_despite_its_image(user, report)
    if held is not None:
        return Received(held, created=False)
    _refuse_unless_keepable(report)
    assert report.assertion is not None
    email = addresses.get((report.matched_identity or "").casefold())
    if email is None:
        raise BadgeRefused("recipient_mismatch", NOT_YOURS)

    fingerprint = badge_fingerprint(report.assertion)
    existing = find_held(user, fingerprint)
    original_image = (
        store_image(data) if isinstance(data, bytes) and sniff_image_type(data) else None
    )
    if existing is not None:
        if _replaces(existing, report):
            fresh = _new_badge(user, email, report, data, source, fingerprint, original_image)
            _take_verified_copy(existing, fresh)
        return Received(existing, created=False)

    badge = _new_badge(user, email, report, data, source, fingerprint, original_image)
    # The same badge may arrive through another request at the same moment (a push twice).
    stored, created = add_or_find(badge, lambda: find_held(user, fingerprint))
    return Received(stored, created=created)


def _replaces(existing: Badge, report: VerificationReport) -> bool:
    """Whether a verified copy of an award takes the place of the one held."""
    if verdict(report) != "valid":
        return False
    if existing.verification != "valid":
        # A copy that could not be checked (its issuer was down, or it was a forgery
        # claiming this award's id) gives way to one that verifies.
        return True
    if existing.version != "3.0" or report.version != "3.0" or report.assertion is None:
        return False
    # Open Badges 3.0 equality: of two equal credentials, the newer validFrom wins (an
    # issuer re-issues a credential with the same id to update it).
    newer = parse_time(report.assertion.get("issuedOn"))
    return newer is not None and (existing.issued_on is None or newer > existing.issued_on)


@dataclass(frozen=True)
class Preview:
    """An offered badge as verified for its earner, before they accept it."""

    report: VerificationReport
    held: bool  # the earner has this badge already


def preview_badge(user: User, data: str) -> Preview:
    """Verify an offered badge (JSON, JWS or URL) for `user` without storing anything.

    Verified as intake verifies (the same fetcher and issuer-document cache), matched to the
    user's verified addresses only, as Mozilla's issuer preview did. Raises BadgeRefused
    (every problem's message, joined) for a badge intake would refuse.
    """
    addresses = sorted(e.address for e in user.emails if e.is_verified)
    report = verify_badge(
        data,
        recipients={"email": addresses},
        fetcher=app_fetcher(),
        documents=app_issuer_documents(),
    )
    if report.assertion is None or any(m.code not in KEPT_ERROR_CODES for m in report.errors):
        code = report.errors[0].code if report.errors else "not_a_badge"
        raise BadgeRefused(code, "; ".join(m.message for m in report.errors) or "not a valid badge")
    return Preview(report, held=find_held(user, badge_fingerprint(report.assertion)) is not None)


NOT_YOURS = (
    "This badge was awarded to someone else: its recipient is none of the addresses on your "
    "account. If it was sent to another address of yours, add that address first."
)


def _take_verified_copy(existing: Badge, fresh: Badge) -> None:
    for field in VERIFIED_COPY_FIELDS:
        setattr(existing, field, getattr(fresh, field))
    if existing.status == "pending" and fresh.status == "accepted":
        existing.status = "accepted"
    db.session.flush()


def _refuse_unless_image(data: bytes) -> None:
    try:
        inspect_image(data)
    except OpenBadgesError as exc:
        raise BadgeRefused(exc.code, exc.message) from exc


def _held_despite_its_image(user: User, report: VerificationReport) -> Badge | None:
    """The user's copy of a badge handed in again after its class image vanished.

    A new badge is refused for a missing image; one already held keeps its stored copy.
    """
    codes = {error.code for error in report.errors}
    if report.assertion is None or not codes & IMAGE_ERROR_CODES:
        return None
    if report.recipient_matched is False or codes - IMAGE_ERROR_CODES - KEPT_ERROR_CODES:
        return None
    return find_held(user, badge_fingerprint(report.assertion))


def _refuse_unless_keepable(report: VerificationReport) -> None:
    if report.assertion is None:
        first = report.errors[0] if report.errors else None
        raise BadgeRefused(
            first.code if first else "not_a_badge",
            first.message if first else "This is not an Open Badge.",
        )
    if report.recipient_matched is False:
        raise BadgeRefused("recipient_mismatch", NOT_YOURS)
    for error in report.errors:
        if error.code not in KEPT_ERROR_CODES:
            raise BadgeRefused(error.code, error.message)


def find_held(user: User, fingerprint: str) -> Badge | None:
    """The user's copy of the award with this fingerprint, if they hold it."""
    return db.session.scalar(
        sa.select(Badge).where(Badge.user_id == user.id, Badge.fingerprint == fingerprint)
    )


def _new_badge(
    user: User,
    email: EmailAddress,
    report: VerificationReport,
    data: str | bytes,
    source: str,
    fingerprint: str,
    original_image: Image | None,
) -> Badge:
    assertion = report.assertion or {}
    badge_class = store_badge_class(assertion.get("badge") or {}, image=report.badge_image)
    image = original_image or image_from_reference(assertion.get("image")) or badge_class.image
    payload = _payload(data, report)
    assertion_id = assertion.get("id")
    columns = badge_columns(
        report,
        payload=payload,
        recipient=email.normalised,
        fingerprint=fingerprint,
        accepted=email.is_verified,
        source=source,
        check=checked_now(report),
        assertion_iri=assertion_id if isinstance(assertion_id, str) else None,
    )
    return Badge(
        user_id=user.id,
        badge_class=badge_class,
        image=image,
        original_image=original_image,
        **columns.as_dict(),
    )


def _payload(data: str | bytes, report: VerificationReport) -> str:
    """What a badge keeps as received: the text handed in, or read out of an image once.

    An Open Badges 3.0 credential is kept exactly as issued (JSON or compact JWS), also when
    it came by URL or baked into an image; when its refresh service gave a newer copy that
    verified, that copy is the one kept.
    """
    if report.version == "3.0":
        kept = report.refreshed_original or report.credential_text
        if kept is not None:
            return kept
    if isinstance(data, str):
        return data
    if report.baked_text is not None:
        return report.baked_text
    if sniff_image_type(data) is not None:
        return unbake(data).text  # verification read it but did not say what it found
    return data.decode("utf-8-sig")
