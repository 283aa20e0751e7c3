"""A visitor's "Verify now" on a public page: a fresh check, or when one can be made again."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from math import ceil

from flask import current_app, render_template, url_for

from backpack.extensions import db
from backpack.models import Badge
from backpack.models.base import utcnow
from backpack.openbadges import OpenBadgesError
from backpack.services import badges, public_pages
from backpack.services.errors import ServiceError
from backpack.web import public_render
from backpack.web.badge_presenter import view_badge
from backpack.web.page_cache import page_cache

log = logging.getLogger(__name__)


def check_for_visitor(badge: Badge, token: str) -> datetime | None:
    """Verify a published badge again, unless it was checked a short while ago; return
    None once checked, else when it may be checked again.

    The pause per badge (PUBLIC_VERIFY_INTERVAL), the per-visitor and the overall rate limit
    together keep visitors from turning this button against an issuer's server.
    """
    interval = timedelta(seconds=int(current_app.config["PUBLIC_VERIFY_INTERVAL"]))
    if not public_pages.claim_visitor_check(badge, interval):
        return badge.last_verified_at + interval
    # The claim is committed first, so other visitors see it while the issuer is asked.
    db.session.commit()
    try:
        badges.reverify_badge(badge)
    except (ServiceError, OpenBadgesError) as exc:
        db.session.rollback()
        log.info("Visitor check of badge %s failed: %s", badge.id, exc.message)
        return utcnow() + interval  # the claim stands: the issuer is not asked again at once
    db.session.commit()
    # The visitor is sent back to the page at once: let it show the new verdict.
    page_cache().forget(token)
    return None


def check_later_page(badge: Badge, kind: str, token: str, next_check: datetime) -> str:
    """Why nothing happened: when the badge was last checked, and when it can be again."""
    wait = max(0, ceil((next_check - utcnow()).total_seconds() / 60))
    back = url_for(f"public.{kind}_page", token=token)
    return render_template(
        "public/check_later.html",
        title="Checked a short while ago",
        description="When this badge was last checked with its issuer.",
        badge_name=view_badge(badge).name,
        checked_at=None if badge.is_unchecked else badge.last_verified_at,
        next_check=next_check,
        minutes=wait,
        back_url=back + (f"#badge-{badge.id}" if kind == "collection" else ""),
        **public_render.page_links(kind, token),
    )
