"""Verifying a badge of any version and any form into a `VerificationReport`.

The input is badge JSON, a signed badge (JWS), a URL, or a baked PNG or SVG image; an Open
Badges 3.0 credential in any of these forms goes to `credentials.verify`. Hosted
badges are checked against the copy their issuer hosts, which is then the one trusted
(Open Badges 2.0, "HostedBadge verification"); signed badges against a key their issuer
vouches for. Then, for both: the linked BadgeClass and issuer, the data rules, the hosting
scope, revocation, dates and the recipient. Every problem becomes a message in the report;
bad input never raises.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from backpack.openbadges.badge_image import check_badge_image
from backpack.openbadges.baking import unbake
from backpack.openbadges.budget import TimeBudget
from backpack.openbadges.credentials.extract import is_credential_text, read_credential
from backpack.openbadges.credentials.verify import verify_credential
from backpack.openbadges.document_cache import IssuerDocumentCache
from backpack.openbadges.errors import FetchError, OpenBadgesError, ParseError
from backpack.openbadges.hosting_scope import check_hosting_scope
from backpack.openbadges.http_exchange import FetchResponse
from backpack.openbadges.images import sniff_image_type
from backpack.openbadges.issuer_resources import BADGE_ACCEPT, IssuerResources, record_unavailable
from backpack.openbadges.normalise import normalise_assertion, same_award, verification_kind
from backpack.openbadges.parse import (
    ParsedBadge,
    Version,
    detect_input_form,
    detect_version,
    load_json,
    parse_badge_text,
    require_assertion,
)
from backpack.openbadges.recipient import RecipientCandidates, check_recipient
from backpack.openbadges.report import VerificationReport, summarise
from backpack.openbadges.revocation import check_revocation_list, revocation_message
from backpack.openbadges.safe_fetcher import Fetcher
from backpack.openbadges.signed_verification import verify_signature
from backpack.openbadges.upgrades import upgrade_node
from backpack.openbadges.validation import check_dates, is_http_url, validate_badge

logger = logging.getLogger(__name__)

_HOSTED = "the hosted assertion"


def verify_badge(
    data: str | bytes,
    *,
    recipients: RecipientCandidates | None = None,
    fetcher: Fetcher,
    now: datetime | None = None,
    hosted_url: str | None = None,
    documents: IssuerDocumentCache | None = None,
    already_held: bool = False,
) -> VerificationReport:
    """Verify badge JSON, JWS, a URL or a baked image; a plain recipient list means emails.

    `hosted_url` is where a 0.5 assertion, which names no URL of its own, is hosted (the
    URL it was fetched or pushed from, Mozilla's `endpoint`). `documents` keeps issuer
    profiles, badge classes and keys across verifications for a short time.
    `already_held` says the badge is in a backpack already (re-verification), which keeps a
    copy of its BadgeClass image: a problem with that image is then only a warning.
    """
    report = VerificationReport()
    resources = IssuerResources(fetcher, report, documents)
    run = _Verification(report, resources, recipients, now, already_held=already_held)
    try:
        with (
            TimeBudget(fetcher.verification_seconds, "The verification"),
            fetcher.keeping_one_slot(),
        ):
            run.verify_input(data, hosted_url)
    except OpenBadgesError as error:
        report.error(error.code, error.message)
    except Exception:
        # A bug must not turn someone's upload into a server error; it is logged to be fixed.
        logger.exception("Badge verification failed unexpectedly")
        report.error("internal_error", "The badge could not be verified because of an error here.")
    return report


# Why a hosted badge with no URL of its own cannot be checked; a 0.5 assertion never holds
# one (it was known by the address it was fetched from), so it says how to add it instead.
_NO_HOSTED_URL = {
    "": "The badge does not say where its issuer hosts it.",
    "0.5": (
        "An Open Badges 0.5 badge does not say where its issuer hosts it, so pasted on its"
        " own it cannot be checked: add it by that URL, or upload its baked image."
    ),
}


class _Verification:
    def __init__(
        self,
        report: VerificationReport,
        resources: IssuerResources,
        recipients: RecipientCandidates | None,
        now: datetime | None,
        *,
        already_held: bool,
    ) -> None:
        self.report = report
        self.already_held = already_held
        self.resources = resources
        self.recipients = recipients
        self.now = now or datetime.now(UTC)

    def verify_input(self, data: str | bytes, hosted_url: str | None) -> None:
        if isinstance(data, bytes):
            if sniff_image_type(data) is not None:
                return self.verify_image(data)
            try:
                data = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise ParseError(
                    "This is neither a badge image nor badge text.", code="unrecognised_input"
                ) from None
        if data.lstrip().startswith("<"):
            return self.verify_image(data.encode("utf-8"))  # SVG markup handed in as text
        return self.verify_text(data, known_url=hosted_url, from_image=False)

    def verify_image(self, data: bytes) -> None:
        baked = unbake(data)
        self.report.baked_text = baked.text
        # An SVG's verify attribute names where a baked 0.5 assertion is hosted.
        url = baked.verify_attribute if is_http_url(baked.verify_attribute) else None
        if baked.unreadable_body:
            self.report.warn(
                "baked_json_unreadable",
                f"The badge JSON baked into this image is malformed; it was verified at its "
                f"hosted URL {baked.text} instead.",
            )
        self.verify_text(baked.text, known_url=url, from_image=True)

    def verify_text(self, text: str, *, known_url: str | None, from_image: bool) -> None:
        if is_credential_text(text):
            return self.verify_credential_text(text)
        parsed = parse_badge_text(text)
        if parsed.form == "url":
            self.verify_url(parsed.text, allow_image=not from_image)
        elif parsed.form == "jws":
            self.verify_signed(parsed)
        else:
            self.verify_json(parsed, known_url=known_url)

    def verify_url(self, url: str, *, allow_image: bool) -> None:
        try:
            response = self.resources.get(url, "the badge", accept=BADGE_ACCEPT, gone_ok=True)
        except FetchError as error:
            record_unavailable(error, self.report)  # undecided when the issuer is down
            return
        if response.status == 410:
            self.report.source_url = response.url
            return self.revoke(_revocation_reason(response), local=None, version=None)
        if sniff_image_type(response.content) in ("png", "svg") and allow_image:
            return self.verify_image(response.content)
        text = response.content.decode("utf-8-sig", "replace")
        if is_credential_text(text):
            self.report.source_url = response.url
            return self.verify_credential_text(text)
        if _form_of(text) == "jws":
            return self.verify_signed(parse_badge_text(text))
        try:
            document = load_json(text)
        except ParseError as error:
            served = response.content_type or "no content type"
            raise ParseError(
                f"{url} serves no badge JSON ({served}): {error.message}", code=error.code
            ) from None
        self.verify_hosted_copy(document, url=url, response=response, local=None)

    def verify_credential_text(self, text: str) -> None:
        self.report.version = "3.0"
        self.report.credential_text = text
        verify_credential(
            read_credential(text),
            resources=self.resources,
            report=self.report,
            recipients=self.recipients,
            now=self.now,
        )

    def verify_json(self, parsed: ParsedBadge, *, known_url: str | None) -> None:
        assert parsed.document is not None
        assert parsed.version is not None
        version = self.report.version = parsed.version
        local = upgrade_node(
            parsed.document, version, kind="Assertion", url=known_url if version == "0.5" else None
        )
        if verification_kind(local) == "signed":
            self.report.verification_kind = "signed"
            self.report.error(
                "signature_required",
                "This is a signed badge without its signature: add the baked image or the "
                "signed text (JWS) instead.",
            )
            return self.conclude(local, version, fetch_links=False)
        self.report.verification_kind = "hosted"
        url = local.get("id") if is_http_url(local.get("id")) else None
        if url is None:
            self.report.error("no_hosted_url", _NO_HOSTED_URL.get(version, _NO_HOSTED_URL[""]))
            return self.conclude(local, version, fetch_links=False)
        try:
            response = self.resources.get(url, _HOSTED, gone_ok=True)
            if response.status == 410:
                self.report.source_url = response.url
                return self.revoke(_revocation_reason(response), local=local, version=version)
            hosted = load_json(response.content)
        except OpenBadgesError as error:
            if isinstance(error, FetchError):
                record_unavailable(error, self.report)
            else:
                self.report.error(error.code, f"The hosted assertion at {url}: {error.message}")
            return self.conclude(local, version, fetch_links=False)
        self.verify_hosted_copy(
            hosted, url=url, response=response, local=local, local_version=version
        )

    def verify_hosted_copy(
        self,
        document: Any,
        *,
        url: str,
        response: FetchResponse,
        local: dict[str, Any] | None,
        local_version: Version | None = None,
    ) -> None:
        self.report.verification_kind = "hosted"
        if _is_revocation_notice(document):
            # {"id": ..., "revoked": true}: all a 2.0 issuer has to keep of a revoked badge.
            self.report.source_url = url
            return self.revoke(document.get("revocationReason"), local=local, version=local_version)
        assertion = require_assertion(document)
        version = self.report.version = detect_version(assertion)
        node = upgrade_node(assertion, version, kind="Assertion", url=url)
        declared = node.get("id")
        if declared not in (url, response.url):
            if not is_http_url(declared):
                self.report.error(
                    "id_mismatch",
                    f"The assertion hosted at {url} declares the id {declared}, not its own URL.",
                )
                if local is not None and local_version is not None:
                    self.conclude(local, local_version, fetch_links=False)
                return
            self.report.warn(
                "id_differs",
                f"The assertion fetched from {url} declares its id as {declared}; that was "
                "fetched instead.",
            )
            try:
                node = self.resources.node(str(declared), "Assertion", _HOSTED)
            except FetchError as error:
                record_unavailable(error, self.report)
                if local is not None and local_version is not None:
                    self.conclude(local, local_version, fetch_links=False)
                return
        # The assertion is known by its id from here on (it may be the redirected URL).
        url = str(declared) if is_http_url(declared) else url
        self.report.source_url = url
        if local is not None and not same_award(local, node):
            self.report.error(
                "hosted_mismatch",
                f"The badge differs from the copy its issuer hosts at {url} (another recipient "
                "or badge); the hosted copy is the one checked.",
            )
        if node.get("revoked") is True or str(node.get("revoked")).lower() == "true":
            self.report.revoked = True
            self.report.error("revoked", revocation_message(node.get("revocationReason")))
        self.conclude(node, version, hosted_url=url)

    def verify_signed(self, parsed: ParsedBadge) -> None:
        assert parsed.document is not None
        assert parsed.version is not None
        version = self.report.version = parsed.version
        self.report.verification_kind = "signed"
        node = upgrade_node(parsed.document, version, kind="Assertion")
        if verification_kind(node) == "hosted":
            self.report.error(
                "invalid_property", "The signed badge says it is to be verified as a hosted badge."
            )
        self.conclude(node, version, token=parsed.text)

    def revoke(self, reason: Any, *, local: dict[str, Any] | None, version: Version | None) -> None:
        self.report.revoked = True
        self.report.error("revoked", revocation_message(reason))
        if local is not None and version is not None:
            self.conclude(local, version, fetch_links=False)

    def conclude(
        self,
        node: dict[str, Any],
        version: Version,
        *,
        fetch_links: bool = True,
        hosted_url: str | None = None,
        token: str | None = None,
    ) -> None:
        badge_class, issuer = self.linked_documents(node) if fetch_links else (None, None)
        assertion = normalise_assertion(node, badge_class=badge_class, issuer=issuer)
        self.report.assertion = assertion
        validate_badge(assertion, version, self.report)
        if badge_class is not None:
            self.report.badge_image = check_badge_image(
                assertion["badge"].get("image"),
                version,
                self.resources,
                self.report,
                already_held=self.already_held,
            )
        full_issuer = assertion["badge"].get("issuer", {})
        if hosted_url is not None and "name" in full_issuer:
            check_hosting_scope(hosted_url, full_issuer, self.report)
        if token is not None and verify_signature(
            token, assertion, version, self.resources, self.report
        ):
            check_revocation_list(assertion, full_issuer, self.resources, self.report)
        check_dates(assertion, self.now, self.report)
        self.match_recipient(assertion)
        self.report.badge = summarise(assertion)

    def linked_documents(
        self, node: Mapping[str, Any]
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        badge_class = self.linked(node.get("badge"), "BadgeClass", "the BadgeClass")
        issuer_ref = badge_class.get("issuer") if badge_class is not None else None
        return badge_class, self.linked(issuer_ref, "Issuer", "the issuer profile")

    def linked(self, reference: Any, kind: Any, what: str) -> dict[str, Any] | None:
        if isinstance(reference, dict):
            return reference  # embedded
        if not isinstance(reference, str):
            return None
        try:
            return self.resources.node(reference, kind, what)
        except FetchError as error:
            record_unavailable(error, self.report)
        except OpenBadgesError as error:
            self.report.error(error.code, f"{what.capitalize()} at {reference}: {error.message}")
        return None

    def match_recipient(self, assertion: Mapping[str, Any]) -> None:
        if self.recipients is not None:
            check_recipient(assertion.get("recipient"), self.recipients, self.report)


def _form_of(text: str) -> str | None:
    try:
        return detect_input_form(text)[0]
    except ParseError:
        return None


def _revocation_reason(response: FetchResponse) -> Any:
    try:
        body = load_json(response.content) if response.content.strip() else None
    except ParseError:
        return None
    return body.get("revocationReason") if isinstance(body, dict) else None


def _is_revocation_notice(document: Any) -> bool:
    if not isinstance(document, dict) or "recipient" in document:
        return False
    return document.get("revoked") is True or str(document.get("revoked")).lower() == "true"
