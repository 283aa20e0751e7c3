"""Whether a badge pushed through a Backpack Connect grant comes from the grant's origin.

A grant lets one issuer site push badges for an earner; whatever form the badge takes
(hosted URL, assertion JSON, JWS with or without a key URL, baked image), the site that
answers for it after verification (`openbadges.vouching`) must be that site.
"""

from __future__ import annotations

from backpack.openbadges import VerificationReport, claimed_urls, issuer_id_of, voucher_of
from backpack.origins import web_origin

_DEFAULT_PORTS = {"http": ":80", "https": ":443"}


def origin_refusal(origin: str, report: VerificationReport) -> str | None:
    """Why a badge is not the grant origin's to push; None when it is."""
    voucher = voucher_of(report)
    if voucher is None and report.version == "3.0":
        # did:key (or a urn): a key is not a site, so no grant's origin can answer for it.
        return (
            f"The credential's issuer is {issuer_id_of(report) or 'not named'}, which has no "
            f"web site, so it cannot be shown to come from {origin}, the only site this "
            "connection lets push badges. The earner can add it on the backpack's Add a badge "
            "page instead."
        )
    if voucher is None:
        return (
            "The badge names no web address for its assertion, key or issuer, so it cannot be "
            f"shown to come from {origin}, the only site this connection lets push badges."
        )
    found = _origin(voucher.url)
    if found != _origin(origin):
        return (
            f"The badge's {voucher.role} is at {found or voucher.url}, but this connection lets "
            f"only {origin} push badges."
        )
    # A badge kept without being verified (its site is down) has not shown that its issuer
    # stands behind it: the issuer and badge class it claims must live on the grant's site.
    if report.unverifiable:
        for url in claimed_urls(report):
            site = _origin(url)
            if site != _origin(origin):
                return (
                    f"The badge could not be verified and claims an issuer at {site or url}, "
                    f"but this connection lets only {origin} push badges."
                )
    return None


def _origin(url: str) -> str | None:
    # "https://issuer.example:443" and "https://issuer.example" are one site.
    origin = web_origin(url)
    if origin is None:
        return None
    scheme = origin.split(":", 1)[0]
    default_port = _DEFAULT_PORTS.get(scheme, "")
    return origin.removesuffix(default_port) if default_port else origin
