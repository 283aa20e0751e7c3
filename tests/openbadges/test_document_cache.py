"""Issuer documents kept across verifications: profiles, classes and keys, never assertions."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator

import pytest

from backpack.openbadges.document_cache import IssuerDocumentCache, freshness
from backpack.openbadges.fetch import Fetcher, FetchResponse
from backpack.openbadges.verify import verify_badge
from tests.support.http_server import LocalHTTPServer
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
