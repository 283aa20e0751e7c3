"""The ways to pass on a public page: LinkedIn's "add to profile" for one badge, e-mail and
the common social sites by plain links (their share pages; no script of theirs on ours), and
a QR code of the link, drawn here as SVG (segno)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote, urlencode

import segno

from backpack.links import external_url
from backpack.models import Badge, BadgeShare

LINKEDIN_ADD_TO_PROFILE = "https://www.linkedin.com/profile/add"
# QR: medium error correction survives a smudged print; 4 modules of white border is what
# readers expect; 8 pixels a module keeps it sharp when shown smaller.
QR_ERROR = "m"
QR_BORDER = 4
QR_SCALE = 8


@dataclass(frozen=True)
class ShareLink:
    """One place to share a page at: its name and the plain link that opens it."""

    site: str
    url: str


@dataclass(frozen=True)
class ShareLinks:
    """Everything the sharing tools offer for one public page."""

    page_url: str
    title: str
    email: str
    sites: list[ShareLink] = field(default_factory=list)
    linkedin_profile: str | None = None


def share_links(page_url: str, title: str, *, badge: Badge | None = None) -> ShareLinks:
    """The share links of a public page; a single badge also gets LinkedIn's add-to-profile."""
    text = f"{title}: {page_url}"
    return ShareLinks(
        page_url=page_url,
        title=title,
        email="mailto:?" + _mailto_query(title, f"{title}\n\n{page_url}\n"),
        sites=[
            ShareLink(
                "LinkedIn", _url("https://www.linkedin.com/sharing/share-offsite/", url=page_url)
            ),
            ShareLink("Facebook", _url("https://www.facebook.com/sharer/sharer.php", u=page_url)),
            ShareLink("X", _url("https://x.com/intent/post", text=title, url=page_url)),
            ShareLink("Bluesky", _url("https://bsky.app/intent/compose", text=text)),
            ShareLink("WhatsApp", _url("https://wa.me/", text=text)),
        ],
        linkedin_profile=linkedin_add_to_profile(badge, page_url) if badge else None,
    )


def badge_share_links(badge: Badge, share: BadgeShare | None) -> ShareLinks | None:
    """The sharing tools of a shared badge (None while it is private)."""
    if share is None:
        return None
    page = external_url("public.badge_page", token=share.share_token)
    return share_links(page, badge.name, badge=badge)


def linkedin_add_to_profile(badge: Badge, page_url: str) -> str:
    """LinkedIn's "Add licence or certification" form, filled in with the badge: its name,
    its issuer, when it was issued and expires, and the public page as the credential."""
    params: dict[str, str | int] = {
        "startTask": "CERTIFICATION_NAME",
        "name": badge.name,
        "organizationName": badge.issuer_name,
    }
    params.update(_year_month("issue", badge.issued_on))
    params.update(_year_month("expiration", badge.expires_at))
    params.update({"certUrl": page_url, "certId": page_url})
    return _url(LINKEDIN_ADD_TO_PROFILE, **params)


def qr_svg(url: str) -> bytes:
    """A QR code of the link as a standalone SVG document, black on white."""
    code = segno.make(url, error=QR_ERROR, micro=False)
    out = io.BytesIO()
    code.save(
        out,
        kind="svg",
        scale=QR_SCALE,
        border=QR_BORDER,
        dark="#000",
        light="#fff",
        title=f"QR code of {url}",
    )
    return out.getvalue()


def _year_month(prefix: str, when: datetime | None) -> dict[str, int]:
    return {f"{prefix}Year": when.year, f"{prefix}Month": when.month} if when else {}


def _url(base: str, **params: str | int) -> str:
    return base + "?" + urlencode(params, quote_via=quote)


def _mailto_query(subject: str, body: str) -> str:
    # RFC 6068: spaces as %20, never "+", which mail programs would show as it is.
    return urlencode({"subject": subject, "body": body}, quote_via=quote)
