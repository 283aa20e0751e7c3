"""The bodies of public pages: HTML, JSON-LD and the embeddable widget, built from what
services.public_pages allows visitors to see.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import render_template, url_for
from markupsafe import escape

from backpack.links import external_url
from backpack.models import Badge
from backpack.models.badges import UNCHECKED
from backpack.openbadges import V2_CONTEXT
from backpack.services import public_credentials
from backpack.services.public_pages import PublicBadge, PublicCollection, public_assertion
from backpack.web.badge_presenter import BadgeView, view_badge
from backpack.web.share_links import share_links

JSON_LD = "application/ld+json"
HTML = "text/html; charset=utf-8"

# How visitors read each verdict: only "valid" is ever shown as verified.
PUBLIC_VERDICTS = {
    "valid": ("Verified", "tag-ok", "The issuer confirms this badge was awarded to its owner."),
    UNCHECKED: (
        "Not checked yet",
        "tag-wait",
        "This badge was imported and has not been checked with its issuer yet.",
    ),
    "expired": ("Expired", "tag-wait", "The badge was genuine, but it has expired."),
    "unverifiable": (
        "Not verified",
        "tag-wait",
        "The issuer could not be reached at the last check, so this badge is not verified.",
    ),
    "revoked": ("Revoked", "tag-bad", "The issuer has revoked this badge."),
    "invalid": ("Not valid", "tag-bad", "The last check found a problem with this badge."),
}
UNKNOWN_VERDICT = ("Not verified", "tag-wait", "This badge has not been verified.")


@dataclass(frozen=True)
class PublicCard:
    """One badge as a public page or widget draws it."""

    badge_id: int
    view: BadgeView
    verdict: tuple[str, str, str]
    verification: str
    checked_at: datetime
    issued_on: datetime | None
    expires_at: datetime | None
    story: str
    image_url: str | None
    verify_url: str
    hosted_url: str | None
    # A 3.0 credential as issued, plain or baked: (label, URL) pairs; none when withheld.
    downloads: tuple[tuple[str, str], ...] = ()


def _image_url(badge: Badge, token: str, in_collection: bool, *, absolute: bool) -> str | None:
    if badge.badge_class.image_id is None:
        return None
    # Pages link within the site relatively (the cached page then suits any host name);
    # OpenGraph and the Displayer need absolute URLs.
    link = external_url if absolute else url_for
    if in_collection:
        return link("public.collection_image", token=token, badge_id=badge.id)
    return link("public.badge_image", token=token)


def _card(badge: Badge, story: str, token: str, *, in_collection: bool) -> PublicCard:
    if in_collection:
        verify_url = url_for("public.verify_collection_badge", token=token, badge_id=badge.id)
    else:
        verify_url = url_for("public.verify_badge", token=token)
    view = view_badge(badge)
    return PublicCard(
        badge_id=badge.id,
        view=view,
        verdict=PUBLIC_VERDICTS.get(badge.verification, UNKNOWN_VERDICT),
        verification=badge.verification,
        checked_at=badge.last_verified_at,
        issued_on=badge.issued_on,
        expires_at=badge.expires_at,
        story=story,
        image_url=_image_url(badge, token, in_collection, absolute=False),
        verify_url=verify_url,
        hosted_url=view.hosted_url if badge.verification_kind == "hosted" else None,
        downloads=_downloads(badge, token, in_collection),
    )


DOWNLOAD_LABELS = {
    "json": "Credential (JSON)",
    "jws": "Credential (VC-JWT)",
    "png": "Baked PNG image",
    "svg": "Baked SVG image",
}


def _downloads(badge: Badge, token: str, in_collection: bool) -> tuple[tuple[str, str], ...]:
    if not public_credentials.is_credential(badge):
        return ()
    if in_collection:
        return tuple(
            (
                DOWNLOAD_LABELS[fmt],
                url_for(
                    "credential_files.collection_credential",
                    token=token,
                    badge_id=badge.id,
                    fmt=fmt,
                ),
            )
            for fmt in public_credentials.download_formats(badge)
        )
    return tuple(
        (DOWNLOAD_LABELS[fmt], url_for("credential_files.badge_credential", token=token, fmt=fmt))
        for fmt in public_credentials.download_formats(badge)
    )


def public_document(badge: Badge) -> dict[str, Any] | str:
    """A badge in public JSON: a 2.0 assertion as visitors may read it, a 3.0 credential as
    it was issued (JSON, or the VC-JWT string) or a note that it is withheld."""
    if public_credentials.is_credential(badge):
        return public_credentials.public_entry(badge)
    return public_assertion(badge)


def page_links(kind: str, token: str) -> dict[str, str]:
    """The public page's own URL and its alternates (JSON-LD, widget, oEmbed), absolute."""
    page = external_url(f"public.{kind}_page", token=token)
    return {
        "page_url": page,
        "json_url": external_url(f"public.{kind}_json", token=token),
        "embed_url": external_url(f"public.{kind}_embed", token=token),
        "oembed_url": external_url("public.oembed", url=page, format="json"),
    }


def collection_html(token: str, page: PublicCollection, *, embed: bool = False) -> bytes:
    """The public page (or the widget) of a published collection."""
    cards = [_card(i.badge, i.story, token, in_collection=True) for i in page.items]
    template = "public/embed.html" if embed else "public/collection.html"
    return render_template(
        template,
        title=page.collection.name,
        description=page.collection.description,
        owner_name=page.owner_name,
        cards=cards,
        og_image=next(
            (
                _image_url(i.badge, token, True, absolute=True)
                for i in page.items
                if i.badge.badge_class.image_id is not None
            ),
            None,
        ),
        **page_links("collection", token),
    ).encode()


def badge_html(token: str, page: PublicBadge, *, embed: bool = False) -> bytes:
    """The public page (or the widget) of a badge shared on its own."""
    card = _card(page.badge, "", token, in_collection=False)
    template = "public/embed.html" if embed else "public/badge.html"
    links = page_links("badge", token)
    return render_template(
        template,
        title=card.view.name,
        description=card.view.description,
        owner_name=page.owner_name,
        cards=[card],
        card=card,
        og_image=_image_url(page.badge, token, False, absolute=True),
        share=share_links(links["page_url"], card.view.name),
        **links,
    ).encode()


def _check(badge: Badge) -> dict[str, Any]:
    return {
        "assertion": (badge.assertion or {}).get("id"),
        "status": badge.verification,
        "verified": badge.verification == "valid",
        # An unchecked badge's date is its source's check, not one of ours.
        "checkedAt": None if badge.is_unchecked else badge.last_verified_at.isoformat(),
    }


def collection_json(token: str, page: PublicCollection) -> bytes:
    """The collection as JSON-LD: its badges (2.0 assertions, 3.0 credentials as issued) and
    each one's last check."""
    document: dict[str, Any] = {
        "@context": V2_CONTEXT,
        "type": "Collection",
        "id": external_url("public.collection_page", token=token),
        "name": page.collection.name,
        "description": page.collection.description,
    }
    if page.owner_name:
        document["owner"] = {"name": page.owner_name}
    document["badges"] = [public_document(item.badge) for item in page.items]
    document["verificationResults"] = [_check(item.badge) for item in page.items]
    return json.dumps(document, ensure_ascii=False, sort_keys=False).encode()


def badge_json(page: PublicBadge) -> bytes:
    """The shared badge's Open Badges 2.0 assertion (revoked ones say so), or its 3.0
    credential as issued."""
    return json.dumps(public_document(page.badge), ensure_ascii=False).encode()


WIDGET_SIZES = {"collection": (560, 480), "badge": (360, 420)}


def embed_code(kind: str, token: str, title: str) -> str:
    """The HTML an owner pastes into another site to show the widget."""
    width, height = WIDGET_SIZES[kind]
    return iframe_html(external_url(f"public.{kind}_embed", token=token), title, width, height)


def iframe_html(src: str, title: str, width: int, height: int) -> str:
    """The <iframe> that embeds a widget in another site."""
    return (
        f'<iframe src="{escape(src)}" width="{width}" height="{height}" '
        f'title="{escape(title)}" loading="lazy" style="border:0"></iframe>'
    )
