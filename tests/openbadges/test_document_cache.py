"""Issuer documents kept across verifications: profiles, classes and keys, never assertions."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator

import pytest

from backpack.openbadges.document_cache import IssuerDocumentCache, freshness
from backpack.openbadges.http_exchange import FetchResponse
from backpack.openbadges.issuer_resources import IssuerResources
from backpack.openbadges.report import VerificationReport
from backpack.openbadges.safe_fetcher import Fetcher
from backpack.openbadges.verify import verify_badge
from tests.support.http_server import LocalHTTPServer, RecordedRequest, Response
from tests.support.issuer import TestIssuer


def _response(status: int = 200, cache_control: str | None = None) -> FetchResponse:
    headers = {"cache-control": cache_control} if cache_control else {}
    return FetchResponse(
        url="https://issuer.example/i",
        status=status,
        headers=headers,
        content=b"{}",
        content_type="application/json",
    )


@pytest.fixture
def issuer() -> Iterator[TestIssuer]:
    with LocalHTTPServer() as server:
        yield TestIssuer(server)


def _paths(issuer: TestIssuer) -> list[str]:
    return [request.path for request in issuer.server.requests]


def test_a_second_badge_of_the_same_issuer_fetches_only_its_assertion(issuer: TestIssuer) -> None:
    documents = IssuerDocumentCache()
    fetcher = Fetcher(allow_private=True)
    first, second = issuer.award("ann@example.org"), issuer.award("bob@example.org")
    assert verify_badge(first["id"], fetcher=fetcher, documents=documents).valid
    before = len(issuer.server.requests)
    assert verify_badge(second["id"], fetcher=fetcher, documents=documents).valid
    assert _paths(issuer)[before:] == ["/assertions/2.json"]


def test_a_revocation_is_seen_at_once_with_the_cache_warm(issuer: TestIssuer) -> None:
    documents = IssuerDocumentCache()
    fetcher = Fetcher(allow_private=True)
    assertion = issuer.award("ann@example.org")
    assert verify_badge(assertion["id"], fetcher=fetcher, documents=documents).valid
    issuer.revoke(assertion)
    report = verify_badge(assertion["id"], fetcher=fetcher, documents=documents)
    assert report.revoked is True


def test_a_signed_badge_reuses_the_kept_key(issuer: TestIssuer) -> None:
    documents = IssuerDocumentCache()
    fetcher = Fetcher(allow_private=True)
    assert verify_badge(
        issuer.award_signed("ann@example.org"), fetcher=fetcher, documents=documents
    ).valid
    before = len(issuer.server.requests)
    assert verify_badge(
        issuer.award_signed("ann@example.org"), fetcher=fetcher, documents=documents
    ).valid
    assert "/key.json" not in _paths(issuer)[before:]


def test_kept_documents_expire() -> None:
    documents = IssuerDocumentCache(ttl=0.05)
    documents.put("https://issuer.example/i", "a", _response())
    assert documents.get("https://issuer.example/i", "a") is not None
    time.sleep(0.06)
    assert documents.get("https://issuer.example/i", "a") is None


def test_only_successful_cacheable_responses_are_kept() -> None:
    documents = IssuerDocumentCache()
    documents.put("https://issuer.example/404", "a", _response(404))
    documents.put("https://issuer.example/no-store", "a", _response(cache_control="no-store"))
    assert documents.get("https://issuer.example/404", "a") is None
    assert documents.get("https://issuer.example/no-store", "a") is None
    assert freshness(_response(cache_control="public, max-age=30"), 300) == 30
    assert freshness(_response(), 300) == 300


def test_the_cache_is_bounded() -> None:
    documents = IssuerDocumentCache(max_entries=2)
    for number in range(3):
        documents.put(f"https://issuer.example/{number}", "a", _response())
    assert documents.get("https://issuer.example/0", "a") is None
    assert documents.get("https://issuer.example/2", "a") is not None


def test_kept_images_are_bounded_by_their_total_size() -> None:
    documents = IssuerDocumentCache(max_bytes=1000)
    image = dataclasses.replace(_response(), content=b"\x89PNG" + b"\0" * 400)
    for number in range(3):
        documents.put(f"https://issuer.example/{number}.png", "image/png", image)
    assert documents.get("https://issuer.example/0.png", "image/png") is None
    assert documents.get("https://issuer.example/2.png", "image/png") is not None
    documents.put("https://issuer.example/huge.png", "image/png", dataclasses.replace(
        image, content=b"\0" * 1001
    ))  # fmt: skip
    assert documents.get("https://issuer.example/huge.png", "image/png") is None
    assert documents.get("https://issuer.example/2.png", "image/png") is not None


def _headed(**headers: str) -> FetchResponse:
    return dataclasses.replace(
        _response(), headers={k.replace("_", "-"): v for k, v in headers.items()}
    )


def test_freshness_is_what_the_issuer_states_to_shared_caches() -> None:
    # An issuer that says its profile is good for an hour is believed for an hour, not 300 s.
    assert freshness(_headed(cache_control="max-age=3600"), 300) == 3600
    assert freshness(_headed(cache_control="max-age=3600, s-maxage=60"), 300) == 60
    assert freshness(_headed(cache_control="max-age=3600", age="600"), 300) == 3000
    assert freshness(_headed(cache_control="max-age=9999999"), 300) == 24 * 3600
    assert freshness(_headed(cache_control="private, max-age=3600"), 300) == 0
    assert freshness(_headed(cache_control="no-cache"), 300) == 0
    assert (
        freshness(
            _headed(date="Thu, 03 Dec 2026 10:00:00 GMT", expires="Thu, 03 Dec 2026 10:02:00 GMT"),
            300,
        )
        == 120
    )
    assert freshness(_headed(date="Thu, 03 Dec 2026 10:00:00 GMT", expires="0"), 300) == 0
    # No stated lifetime: a tenth of the time since it last changed, at most the default.
    assert (
        freshness(
            _headed(
                date="Thu, 03 Dec 2026 10:00:00 GMT", last_modified="Thu, 03 Dec 2026 09:50:00 GMT"
            ),
            300,
        )
        == 60
    )
    assert freshness(_headed(), 300) == 300


def _issuer_profile_server(server: LocalHTTPServer, *, cache_control: str) -> list[str]:
    """Serve a profile with an ETag; answer 304 to a request that already has it."""
    seen: list[str] = []

    def profile(request: RecordedRequest) -> Response:
        tag = request.headers.get("if-none-match", "")
        seen.append(tag)
        headers = {"ETag": '"v1"', "Cache-Control": cache_control}
        if tag == '"v1"':
            return Response(304, b"", headers)
        return Response(
            200, b'{"id": "x", "name": "Kept"}', {**headers, "Content-Type": "application/json"}
        )

    server.route("/issuer.json", profile)
    return seen


@pytest.mark.parametrize("cache_control", ["max-age=0", "no-cache"])
def test_a_stale_profile_is_revalidated_and_a_304_reuses_the_kept_copy(cache_control: str) -> None:
    documents = IssuerDocumentCache()
    fetcher = Fetcher(allow_private=True)
    with LocalHTTPServer() as server:
        seen = _issuer_profile_server(server, cache_control=cache_control)
        url = server.url("/issuer.json")
        for _ in range(3):
            resources = IssuerResources(fetcher, VerificationReport(), documents)
            response = resources.get(url, "the issuer profile", lasting=True)
            assert response.status == 200
            assert response.content == b'{"id": "x", "name": "Kept"}'
    assert seen == ["", '"v1"', '"v1"']


def test_a_fresh_profile_is_not_asked_for_again() -> None:
    documents = IssuerDocumentCache()
    fetcher = Fetcher(allow_private=True)
    with LocalHTTPServer() as server:
        seen = _issuer_profile_server(server, cache_control="max-age=3600")
        for _ in range(3):
            resources = IssuerResources(fetcher, VerificationReport(), documents)
            resources.get(server.url("/issuer.json"), "the issuer profile", lasting=True)
    assert seen == [""]


def test_assertions_are_never_revalidated_from_the_cache() -> None:
    # What says whether an award still stands is fetched in full every time.
    documents = IssuerDocumentCache()
    fetcher = Fetcher(allow_private=True)
    with LocalHTTPServer() as server:
        seen = _issuer_profile_server(server, cache_control="max-age=3600")
        for _ in range(2):
            resources = IssuerResources(fetcher, VerificationReport(), documents)
            resources.get(server.url("/issuer.json"), "the hosted assertion")
    assert seen == ["", ""]


def test_what_is_worked_out_from_a_kept_document_is_worked_out_once() -> None:
    documents = IssuerDocumentCache()
    kept = _response()
    documents.put("https://issuer.example/i", "a", kept)
    calls: list[FetchResponse] = []

    def count(response: FetchResponse) -> int:
        calls.append(response)
        return len(calls)

    assert documents.derived("https://issuer.example/i", "a", kept, "n", count) == 1
    assert documents.derived("https://issuer.example/i", "a", kept, "n", count) == 1
    # A response that is not the kept one (a newer copy arrived) is worked out afresh.
    newer = dataclasses.replace(kept, content=b'{"new": 1}')
    assert documents.derived("https://issuer.example/i", "a", newer, "n", count) == 2
    documents.put("https://issuer.example/i", "a", newer)
    assert documents.derived("https://issuer.example/i", "a", newer, "n", count) == 3
    assert documents.derived("https://issuer.example/i", "a", newer, "n", count) == 3


def test_each_verification_gets_its_own_copy_of_a_kept_badge_class(issuer: TestIssuer) -> None:
    # The upgraded BadgeClass and profile are kept beside the cached documents; a report
    # that a caller changes, however deep, must not change what the next verification reads.
    documents = IssuerDocumentCache()
    fetcher = Fetcher(allow_private=True)
    issuer.server.serve_json(
        "/issuer.json",
        {**issuer.profile, "publicKey": [issuer.key_url, issuer.server.url("/old-key.json")]},
    )
    first = verify_badge(
        issuer.award("ann@example.org")["id"], fetcher=fetcher, documents=documents
    )
    _scribble_on(first.assertion)
    second = issuer.award("bob@example.org")["id"]
    kept = verify_badge(second, fetcher=fetcher, documents=documents)
    fresh = verify_badge(second, fetcher=fetcher)
    assert kept.valid
    assert kept.assertion == fresh.assertion


def _scribble_on(value: object) -> None:
    if isinstance(value, dict):
        for item in value.values():
            _scribble_on(item)
        value["scribbled"] = True
    elif isinstance(value, list):
        for item in value:
            _scribble_on(item)
        value.append("scribbled")


def test_a_kept_image_that_is_not_an_image_is_refused_every_time() -> None:
    # An inspection that fails is not kept as if it had passed.
    documents = IssuerDocumentCache()
    fetcher = Fetcher(allow_private=True)
    with LocalHTTPServer() as server:
        issuer = TestIssuer(server)
        issuer.serve_class_image(b"not a picture")
        for name in ("ann@example.org", "bob@example.org"):
            report = verify_badge(issuer.award(name)["id"], fetcher=fetcher, documents=documents)
            assert "badge_image_invalid" in {error.code for error in report.errors}
