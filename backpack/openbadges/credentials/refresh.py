"""`refreshService` of type `1EdTechCredentialRefresh`: asking the issuer for a newer copy.

After the credential's proof checks out, its refresh URL is fetched once; what comes back
is verified in full, as any credential handed in, and kept instead of the original only if
it is valid, is the same credential (issuer and id) and is newer (a later `validFrom`).
Any failure keeps the original, with a warning that says why (ob3-host.md A.10).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from backpack.openbadges.credentials.extract import Credential, as_list, read_credential
from backpack.openbadges.credentials.view import credential_key
from backpack.openbadges.errors import OpenBadgesError
from backpack.openbadges.issuer_resources import IssuerResources
from backpack.openbadges.report import VerificationReport
from backpack.openbadges.timestamps import parse_datetime

REFRESH_TYPE: Final = "1EdTechCredentialRefresh"
_ACCEPT: Final = "application/vc+ld+json, application/ld+json, application/json;q=0.9, */*;q=0.1"

Verifier = Callable[[Credential], VerificationReport]


def refresh_url(credential: Credential) -> str | None:
    """The URL of the credential's 1EdTechCredentialRefresh service, if it has one."""
    for service in as_list(credential.document.get("refreshService")):
        if isinstance(service, dict) and service.get("type") == REFRESH_TYPE:
            url = service.get("id")
            return url if isinstance(url, str) else None
    return None


def refreshed(
    credential: Credential,
    *,
    resources: IssuerResources,
    report: VerificationReport,
    verify: Verifier,
) -> tuple[Credential, VerificationReport] | None:
    """The newer copy and its report when the issuer serves a valid newer one, else None."""
    url = refresh_url(credential)
    if url is None:
        return None
    try:
        response = resources.get(url, "the refreshed credential", accept=_ACCEPT)
        newer = read_credential(response.content.decode("utf-8-sig", "replace"))
    except OpenBadgesError as error:
        _keep(report, f"the refresh service at {url} gave nothing usable: {error.message}")
        return None
    newer_report = verify(newer)
    if not newer_report.valid:
        reasons = "; ".join(message.message for message in newer_report.errors[:3])
        _keep(report, f"the copy from {url} does not verify: {reasons}")
        return None
    if credential_key(credential.document) != credential_key(newer.document):
        _keep(report, f"the copy from {url} is another credential (issuer or id differ)")
        return None
    before, after = parse_datetime(credential.issued), parse_datetime(newer.issued)
    if before is None or after is None or after <= before:
        return None  # the held copy is as new as the issuer's: nothing to say
    return newer, newer_report


def _keep(report: VerificationReport, reason: str) -> None:
    report.warn("refresh_failed", f"The credential was not refreshed, {reason}.")
