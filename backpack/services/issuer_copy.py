"""After a check the issuer answered, a badge shows what the issuer serves now.

A badge is stored with the badge class and issuer it arrived with: for an import, what
Mozilla (or a baked image, or an export) kept years ago, and often only the badge class's
URL. Once a check has fetched the issuer's own documents, those are the truth: the badge
points to the badge class and issuer rows made from them (shared, like every other, by IRI
and content), so its name, issuer and picture are the issuer's current ones.

The rows the badge pointed to before are left for `badges.delete_orphans` to remove once
nothing uses them; other badges may still point to them.
"""

from __future__ import annotations

from backpack.models import Badge
from backpack.openbadges import VerificationReport
from backpack.services.badge_catalogue import store_badge_class
from backpack.services.badge_columns import parse_time
from backpack.services.images import image_from_reference

# Errors a check may find and still speak for the issuer: it answered for this very badge,
# saying it has expired or is revoked. Any other error (a forgery, another recipient, a
# hosted copy of another award) says nothing the badge should take from the documents.
ANSWERED_ERRORS = frozenset({"expired", "revoked"})


def issuer_answered(report: VerificationReport) -> bool:
    """Whether the check reached the issuer and its documents describe this badge."""
    return (
        report.assertion is not None
        and not report.unverifiable
        and all(error.code in ANSWERED_ERRORS for error in report.errors)
    )


def adopt_issuer_copy(badge: Badge, report: VerificationReport) -> None:
    """Point the badge at the badge class, issuer and image the check fetched, and keep the
    assertion as its issuer serves it. The verbatim payload is never changed."""
    assertion = report.assertion
    assert assertion is not None
    badge_class = store_badge_class(assertion.get("badge") or {}, image=report.badge_image)
    own_image = assertion.get("image")
    kept_own_image = own_image is not None and own_image == (badge.assertion or {}).get("image")
    if not (kept_own_image and badge.image is not None):
        # An award's own picture is fetched when it is new; else the badge class's is shown,
        # and the last picture stays when neither can be had (the issuer's image is gone).
        badge.image = image_from_reference(own_image) or badge_class.image or badge.image
    badge.badge_class = badge_class
    badge.assertion = assertion
    badge.issued_on = parse_time(assertion.get("issuedOn")) or badge.issued_on
    badge.expires_at = parse_time(assertion.get("expires"))
