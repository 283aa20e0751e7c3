"""The issuer documents one verification needs, fetched once each and checked on arrival.

A hosted assertion, its BadgeClass, the issuer profile, keys and revocation lists are all
fetched through one `FetchCache`, so a document two parts of a badge point at is fetched
once. HTTP errors become `FetchError`s with report codes (`not_found`, `http_error`,
`server_error`); a document that declares an id other than its URL is fetched again from
that id, once, as the reference verifier does. A lasting document's upgraded node is worked
out once while the document cache keeps it, and each verification gets its own copy.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from typing import Any, Final, TypeVar
from urllib.parse import urlsplit

from backpack.openbadges.codes import TRANSIENT_CODES
from backpack.openbadges.document_cache import IssuerDocumentCache
from backpack.openbadges.errors import FetchError, ParseError
from backpack.openbadges.http_exchange import DEFAULT_ACCEPT, FetchResponse
from backpack.openbadges.parse import detect_version, load_json
from backpack.openbadges.report import VerificationReport
from backpack.openbadges.safe_fetcher import Fetcher
from backpack.openbadges.upgrades import NodeKind, upgrade_node
from backpack.openbadges.validation import is_http_url

JSON_ACCEPT: Final = "application/ld+json, application/json;q=0.9, */*;q=0.1"
BADGE_ACCEPT: Final = "application/ld+json, application/json, image/png, image/svg+xml;q=0.9"
Derived = TypeVar("Derived")


class IssuerResources:
    """Fetches the documents a badge links to, recording redirects and failures in a report."""

    def __init__(
        self,
        fetcher: Fetcher,
        report: VerificationReport,
        documents: IssuerDocumentCache | None = None,
    ) -> None:
        self._cache = FetchCache(fetcher)
        self._report = report
        self._documents = documents

    def get(
        self,
        url: str,
        what: str,
        *,
        accept: str = JSON_ACCEPT,
        gone_ok: bool = False,
        lasting: bool = False,
    ) -> FetchResponse:
        """GET an issuer URL; an HTTP error (410 too, unless `gone_ok`) raises FetchError.

        `lasting` documents (profiles, badge classes, keys) may come from, and go to, the
        cache shared across verifications; assertions and revocation lists never do.
        """
        try:
            response = self._fetch(url, accept, lasting)
        except FetchError as error:
            raise FetchError(
                f"{_capital(what)} could not be fetched: {error.message}", code=error.code
            ) from None
        status = response.status
        if status in (404, 410) and not (status == 410 and gone_ok):
            raise FetchError(
                f"{_capital(what)} at {url} does not exist (HTTP {status}).", code="not_found"
            )
        if status >= 500:
            raise FetchError(
                f"The issuer's server failed (HTTP {status}) to serve {what} at {url}; "
                "it may work again later.",
                code="server_error",
            )
        if status >= 300 and status != 410:
            raise FetchError(
                f"{_capital(what)} at {url} could not be fetched (HTTP {status}).",
                code="http_error",
            )
        if response.url != url:
            self._report.warn(
                "redirected", f"{_capital(what)} at {url} is served from {response.url}."
            )
        if url.lower().startswith("http://"):
            self._report.warn(
                "insecure_url",
                f"Documents from {urlsplit(url).netloc} are served over plain http, so they "
                "could have been altered on the way.",
            )
        return response

    def _fetch(self, url: str, accept: str, lasting: bool) -> FetchResponse:
        if not lasting or self._documents is None:
            return self._cache.get(url, accept=accept)
        kept = self._documents.get(url, accept)
        if kept is not None:
            return kept
        conditional = self._documents.validators(url, accept)
        response = self._documents.put(
            url, accept, self._cache.get(url, accept=accept, conditional=conditional)
        )
        if response.status == 304:  # the kept copy was dropped meanwhile: ask outright
            response = self._documents.put(url, accept, self._cache.get(url, accept=accept))
        return response

    def json_document(
        self, url: str, what: str, *, gone_ok: bool = False, lasting: bool = False
    ) -> tuple[Any, FetchResponse]:
        """Fetch a JSON document; return it parsed, with the response."""
        response = self.get(url, what, gone_ok=gone_ok, lasting=lasting)
        try:
            return load_json(response.content), response
        except ParseError as error:
            raise ParseError(
                f"{_capital(what)} at {url}: {error.message}", code=error.code
            ) from None

    def node(self, url: str, kind: NodeKind, what: str) -> dict[str, Any]:
        """Fetch a BadgeClass, issuer, key or list and return it upgraded to a 2.0 node."""
        node, declared = self._upgraded(url, kind, what)
        if declared is None:
            return node
        self._report.warn(
            "id_differs",
            f"{_capital(what)} fetched from {url} declares its id as {declared}; that was "
            "fetched instead.",
        )
        node, again = self._upgraded(declared, kind, what)
        if again is not None:
            raise FetchError(
                f"{_capital(what)} at {declared} declares yet another id, {again}.",
                code="id_mismatch",
            )
        return node

    def derived(
        self,
        url: str,
        accept: str,
        response: FetchResponse,
        name: str,
        compute: Callable[[FetchResponse], Derived],
    ) -> Derived:
        """`compute(response)`, kept with a lasting document while the cache keeps it.

        The value may be shared with other verifications: never change it.
        """
        if self._documents is None:
            return compute(response)
        return self._documents.derived(url, accept, response, name, compute)

    def _upgraded(self, url: str, kind: NodeKind, what: str) -> tuple[dict[str, Any], str | None]:
        # Returns the node, and the other http(s) id it declares if it declares one.
        lasting = kind != "Assertion"
        response = self.get(url, what, lasting=lasting)

        def upgrade(response: FetchResponse) -> dict[str, Any]:
            try:
                document = load_json(response.content)
            except ParseError as error:
                raise ParseError(
                    f"{_capital(what)} at {url}: {error.message}", code=error.code
                ) from None
            if not isinstance(document, dict):
                raise FetchError(
                    f"{_capital(what)} at {url} is not a JSON object.", code="not_json"
                )
            return upgrade_node(document, detect_version(document), kind=kind, url=url)

        if lasting:
            node = _copied(self.derived(url, JSON_ACCEPT, response, f"node:{kind}", upgrade))
        else:
            node = upgrade(response)
        declared = node.get("id")
        if declared in (url, response.url) or not is_http_url(declared):
            return node, None
        return node, str(declared)


def record_unavailable(error: FetchError, report: VerificationReport) -> None:
    """Report a document that could not be fetched, flagging transient failures."""
    report.error(error.code, error.message)
    if error.code in TRANSIENT_CODES:
        report.unverifiable = True


def _copied(value: Any) -> Any:
    # A JSON value's own copy: about a tenth of what parsing and upgrading it again costs.
    if type(value) is dict:
        return {key: _copied(item) for key, item in value.items()}
    if type(value) is list:
        return [_copied(item) for item in value]
    return value


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


class FetchCache:
    """Memoises GETs by URL for one verification run, so each document is fetched once."""

    def __init__(self, fetcher: Fetcher) -> None:
        self.fetcher = fetcher
        self._lock = threading.Lock()
        self._results: dict[
            tuple[str, str, tuple[tuple[str, str], ...]], Future[FetchResponse]
        ] = {}

    def get(
        self,
        url: str,
        *,
        accept: str = DEFAULT_ACCEPT,
        conditional: Mapping[str, str] | None = None,
    ) -> FetchResponse:
        """The response for a URL, fetched at most once (errors are remembered too)."""
        key = (url, accept, tuple(sorted((conditional or {}).items())))
        with self._lock:
            result = self._results.get(key)
            fetch_here = result is None
            if result is None:
                result = self._results[key] = Future()
        if fetch_here:
            try:
                result.set_result(self.fetcher.get(url, accept=accept, conditional=conditional))
            except FetchError as error:
                result.set_exception(error)
            except BaseException as error:
                # An unexpected failure is not an answer worth remembering.
                with self._lock:
                    del self._results[key]
                result.set_exception(error)
        return result.result()
