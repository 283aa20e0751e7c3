"""The safe fetcher: a real local HTTP server, with name resolution stubbed where needed."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from ipaddress import IPv4Address, ip_address
from typing import Any

import pytest

from backpack.openbadges.addresses import IPAddress, Resolver, is_public_address
from backpack.openbadges.errors import FetchError, FetchRefused, ParseError
from backpack.openbadges.http_exchange import FetchResponse
from backpack.openbadges.issuer_resources import FetchCache
from backpack.openbadges.json_limits import decode_json
from backpack.openbadges.safe_fetcher import Fetcher
from tests.support.http_server import LocalHTTPServer, RecordedRequest, Response

LOOPBACK = IPv4Address("127.0.0.1")


def local_fetcher(**options: Any) -> Fetcher:
    """A fetcher allowed to reach the local test server."""
    return Fetcher(allow_private=True, **options)


def names_resolving_to(table: dict[str, str]) -> tuple[list[str], Resolver]:
    """A resolver over a fixed table, and the list of names it was asked for."""
    asked: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "unknown name")
        return [table[host]]

    return asked, resolve


def test_fetches_a_document_with_status_headers_and_media_type(
    http_server: LocalHTTPServer,
) -> None:
    http_server.serve(
        "/issuer.json",
        b'{"name": "Example Issuer"}',
        content_type="Application/LD+JSON; charset=utf-8",
        headers={"X-Issuer": "yes"},
    )

    response = local_fetcher().get(http_server.url("/issuer.json"))

    assert response.status == 200
    assert response.url == http_server.url("/issuer.json")
    assert response.content == b'{"name": "Example Issuer"}'
    assert response.content_type == "application/ld+json"
    assert response.headers["x-issuer"] == "yes"
    assert response.json() == {"name": "Example Issuer"}


def test_sends_accept_and_user_agent(http_server: LocalHTTPServer) -> None:
    http_server.serve("/doc", b"{}")

    local_fetcher(user_agent="Backpack-test/1").get(http_server.url("/doc"), accept="image/png")

    sent = http_server.requests[0].headers
    assert sent["accept"] == "image/png"
    assert sent["user-agent"] == "Backpack-test/1"


@pytest.mark.parametrize("status", [404, 410, 500])
def test_http_error_statuses_are_returned_not_raised(
    http_server: LocalHTTPServer, status: int
) -> None:
    http_server.serve("/assertion.json", b'{"error": "gone"}', status=status)

    response = local_fetcher().get(http_server.url("/assertion.json"))

    assert response.status == status
    assert response.content == b'{"error": "gone"}'


def test_follows_redirects_to_the_final_url(http_server: LocalHTTPServer) -> None:
    http_server.redirect("/old", "/older", status=301)
    http_server.redirect("/older", http_server.url("/moved"), status=307)
    http_server.redirect("/moved", "final.json", status=308)
    http_server.serve_json("/final.json", {"id": "final"})

    response = local_fetcher().get(http_server.url("/old"))

    assert response.status == 200
    assert response.url == http_server.url("/final.json")
    assert response.json() == {"id": "final"}
    assert [r.path for r in http_server.requests] == ["/old", "/older", "/moved", "/final.json"]


def test_a_redirect_loop_is_refused(http_server: LocalHTTPServer) -> None:
    http_server.redirect("/a", "/b")
    http_server.redirect("/b", "/a")

    with pytest.raises(FetchError) as caught:
        local_fetcher().get(http_server.url("/a"))

    assert caught.value.code == "too_many_redirects"
    assert len(http_server.requests) == 2


def test_more_redirects_than_allowed_are_refused(http_server: LocalHTTPServer) -> None:
    for hop in range(4):
        http_server.redirect(f"/hop{hop}", f"/hop{hop + 1}")
    http_server.serve("/hop4", b"{}")

    with pytest.raises(FetchError) as caught:
        local_fetcher(max_redirects=3).get(http_server.url("/hop0"))
    assert caught.value.code == "too_many_redirects"

    assert local_fetcher(max_redirects=4).get(http_server.url("/hop0")).status == 200


def test_a_stalled_server_times_out(http_server: LocalHTTPServer) -> None:
    http_server.stall("/slow")
    started = time.monotonic()

    with pytest.raises(FetchError) as caught:
        local_fetcher(timeout=0.5).get(http_server.url("/slow"))

    assert caught.value.code == "fetch_timeout"
    assert time.monotonic() - started < 3


def test_a_server_that_trickles_bytes_hits_the_overall_deadline(
    http_server: LocalHTTPServer,
) -> None:
    # Each byte arrives well inside the read timeout; only the deadline can stop this.
    http_server.stream("/trickle", total_bytes=1000, chunk_size=1, delay=0.05)
    started = time.monotonic()

    with pytest.raises(FetchError) as caught:
        local_fetcher(timeout=0.5, deadline=1.0).get(http_server.url("/trickle"))

    assert caught.value.code == "fetch_timeout"
    assert time.monotonic() - started < 3


@pytest.mark.parametrize("declare_length", [False, True])
def test_a_huge_body_is_cut_at_the_byte_limit(
    http_server: LocalHTTPServer, declare_length: bool
) -> None:
    http_server.stream("/huge", total_bytes=200 * 1024 * 1024, declare_length=declare_length)
    started = time.monotonic()

    with pytest.raises(FetchError) as caught:
        local_fetcher(max_bytes=1024 * 1024).get(http_server.url("/huge"))

    assert caught.value.code == "response_too_large"
    assert time.monotonic() - started < 5


def test_a_body_at_the_byte_limit_is_accepted(http_server: LocalHTTPServer) -> None:
    http_server.stream("/exact", total_bytes=100_000)

    response = local_fetcher(max_bytes=100_000).get(http_server.url("/exact"))

    assert len(response.content) == 100_000


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.org/badge.json",
        "file:///etc/passwd",
        "gopher://example.org/",
        "javascript:alert(1)",
        "data:application/json,{}",
        "example.org/badge.json",
        "http://user:secret@example.org/badge.json",
        "http://",
    ],
)
def test_urls_other_than_plain_http_and_https_are_refused(url: str) -> None:
    with pytest.raises(FetchRefused) as caught:
        Fetcher().get(url)

    assert caught.value.code == "fetch_refused"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_loopback_is_refused_by_default(http_server: LocalHTTPServer, host: str) -> None:
    http_server.serve("/secret", b"internal")

    with pytest.raises(FetchRefused) as caught:
        Fetcher().get(f"http://{host}:{http_server.port}/secret")

    assert caught.value.code == "private_address"
    assert http_server.requests == []


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",  # noqa: S104 (an address to refuse, not one to listen on)
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "2002:7f00:1::",
        "64:ff9b::a00:1",
    ],
)
def test_names_that_resolve_to_private_addresses_are_refused(address: str) -> None:
    _, resolve = names_resolving_to({"issuer.test": address})

    with pytest.raises(FetchRefused) as caught:
        Fetcher(resolver=resolve).get("https://issuer.test/badge.json")

    assert caught.value.code == "private_address"


@pytest.mark.parametrize("address", ["8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_are_allowed_by_the_default_policy(address: str) -> None:
    assert is_public_address(ip_address(address))


def test_every_resolved_address_must_be_public() -> None:
    def resolve(host: str, port: int) -> list[str]:
        return ["8.8.8.8", "127.0.0.1"]

    with pytest.raises(FetchRefused) as caught:
        Fetcher(resolver=resolve).get("http://issuer.test/badge.json")

    assert caught.value.code == "private_address"


def only_the_test_server(address: IPAddress) -> bool:
    """An address policy that lets the loopback test server stand in for a public host."""
    return address == LOOPBACK


def test_connects_to_the_checked_address_under_the_real_host_name(
    http_server: LocalHTTPServer,
) -> None:
    http_server.serve_json("/issuer.json", {"name": "Issuer"})
    asked, resolve = names_resolving_to({"issuer.test": "127.0.0.1"})
    fetcher = Fetcher(resolver=resolve, address_policy=only_the_test_server)

    response = fetcher.get(f"http://issuer.test:{http_server.port}/issuer.json")

    assert response.json() == {"name": "Issuer"}
    assert http_server.requests[0].headers["host"] == f"issuer.test:{http_server.port}"
    # One lookup, checked and then used: the system resolver (which knows no "issuer.test")
    # was never asked, so DNS had no second chance to answer differently.
    assert asked == ["issuer.test"]


def test_a_host_is_looked_up_once_within_the_memory_window(http_server: LocalHTTPServer) -> None:
    http_server.serve_json("/issuer.json", {"name": "Issuer"})
    asked, resolve = names_resolving_to({"issuer.test": "127.0.0.1"})
    fetcher = Fetcher(resolver=resolve, address_policy=only_the_test_server)
    for _ in range(3):
        fetcher.get(f"http://issuer.test:{http_server.port}/issuer.json")
    assert asked == ["issuer.test"]
    assert len(http_server.requests) == 3


def test_a_refused_host_is_never_remembered() -> None:
    asked, resolve = names_resolving_to({"internal.test": "10.0.0.7"})
    fetcher = Fetcher(resolver=resolve)
    for _ in range(2):
        with pytest.raises(FetchRefused):
            fetcher.get("http://internal.test/secret")
    assert asked == ["internal.test", "internal.test"]


def test_a_redirect_to_a_private_host_is_refused(http_server: LocalHTTPServer) -> None:
    port = http_server.port
    http_server.redirect("/start", f"http://internal.test:{port}/secret")
    http_server.serve("/secret", b"internal")
    asked, resolve = names_resolving_to({"issuer.test": "127.0.0.1", "internal.test": "10.0.0.7"})
    fetcher = Fetcher(resolver=resolve, address_policy=only_the_test_server)

    with pytest.raises(FetchRefused) as caught:
        fetcher.get(f"http://issuer.test:{port}/start")

    assert caught.value.code == "private_address"
    assert asked == ["issuer.test", "internal.test"]
    assert [r.path for r in http_server.requests] == ["/start"]


def test_a_redirect_to_another_scheme_is_refused(http_server: LocalHTTPServer) -> None:
    http_server.redirect("/start", "file:///etc/passwd")

    with pytest.raises(FetchRefused) as caught:
        local_fetcher().get(http_server.url("/start"))

    assert caught.value.code == "fetch_refused"


def test_a_refused_connection_is_unreachable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]

    with pytest.raises(FetchError) as caught:
        local_fetcher(timeout=2).get(f"http://127.0.0.1:{closed_port}/badge.json")

    assert caught.value.code == "unreachable"


def test_an_address_that_refuses_is_passed_over_for_the_next_checked_one(
    http_server: LocalHTTPServer,
) -> None:
    http_server.serve_json("/issuer.json", {"name": "Issuer"})
    # The server listens on 127.0.0.1 alone, so 127.0.0.2 refuses the connection.
    fetcher = Fetcher(
        resolver=lambda host, port: ["127.0.0.2", "127.0.0.1"],
        address_policy=lambda address: address.is_loopback,
    )

    response = fetcher.get(f"http://issuer.test:{http_server.port}/issuer.json")

    assert response.json() == {"name": "Issuer"}
    assert http_server.requests[0].headers["host"] == f"issuer.test:{http_server.port}"
    fetcher.close()


def test_a_kept_alive_connection_the_server_closed_is_retried_on_a_fresh_one() -> None:
    # A server that answers each connection's first request, keep-alive, then hangs up,
    # as servers do with idle connections: the next fetch finds its kept socket dead.
    answer = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
    connections = []
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()

        def serve() -> None:
            for _ in range(2):
                accepted, _ = listener.accept()
                with accepted:
                    connections.append(accepted.recv(65536))
                    accepted.sendall(answer)

        server = threading.Thread(target=serve, daemon=True)
        server.start()
        fetcher = local_fetcher(timeout=5)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/doc.json"

        first = fetcher.get(url)
        time.sleep(0.05)  # the server has hung up
        second = fetcher.get(url)
        server.join(timeout=5)
        fetcher.close()

    assert (first.json(), second.json()) == ({}, {})
    assert len(connections) == 2


def test_an_unknown_host_is_unreachable() -> None:
    _, resolve = names_resolving_to({})

    with pytest.raises(FetchError) as caught:
        Fetcher(resolver=resolve).get("https://nowhere.test/badge.json")

    assert caught.value.code == "unreachable"


def test_repeated_fetches_reuse_one_keep_alive_connection(http_server: LocalHTTPServer) -> None:
    http_server.serve_json("/issuer.json", {"name": "Issuer"})
    fetcher = local_fetcher()

    for _ in range(50):
        assert fetcher.get(http_server.url("/issuer.json")).status == 200

    assert len(http_server.requests) == 50
    assert http_server.connections == 1


def test_one_fetcher_serves_many_threads(http_server: LocalHTTPServer) -> None:
    for number in range(20):
        http_server.serve_json(f"/badge/{number}", {"number": number})
    fetcher = local_fetcher()

    def fetch(number: int) -> object:
        return fetcher.get(http_server.url(f"/badge/{number % 20}")).json()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(fetch, range(400)))

    assert results == [{"number": number % 20} for number in range(400)]


def test_a_document_that_is_not_json_is_reported(http_server: LocalHTTPServer) -> None:
    http_server.serve("/page", b"<html><body>Not here</body></html>", content_type="text/html")

    with pytest.raises(ParseError) as caught:
        local_fetcher().get(http_server.url("/page")).json()

    assert caught.value.code == "not_json"
    assert http_server.url("/page") in caught.value.message


@pytest.mark.parametrize("content", [b'{"name": "\xff"}', b"", b'{"a": 1} trailing'])
def test_malformed_json_is_not_json(content: bytes) -> None:
    with pytest.raises(ParseError) as caught:
        decode_json(content)

    assert caught.value.code == "not_json"


def test_json_nested_64_levels_is_accepted() -> None:
    document = decode_json(b"[" * 63 + b'{"a": 1}' + b"]" * 63)

    assert document[0][0][0] is not None


@pytest.mark.parametrize("depth", [65, 500, 200_000])
def test_json_nested_deeper_than_64_levels_is_refused(depth: int) -> None:
    with pytest.raises(ParseError) as caught:
        decode_json(b"[" * depth + b"]" * depth)

    assert caught.value.code == "json_too_deep"


def test_brackets_inside_json_strings_do_not_count_as_nesting() -> None:
    text = '{"note": "' + "[{" * 100 + '\\" ]", "list": [[1]]}'

    assert decode_json(text)["list"] == [[1]]


def test_fetch_cache_fetches_each_url_once(http_server: LocalHTTPServer) -> None:
    http_server.serve_json("/issuer.json", {"name": "Issuer"})
    http_server.serve("/gone.json", b"", status=410)
    cache = FetchCache(local_fetcher())

    first = cache.get(http_server.url("/issuer.json"))
    again = cache.get(http_server.url("/issuer.json"))
    gone = [cache.get(http_server.url("/gone.json")).status for _ in range(3)]

    assert again is first
    assert gone == [410, 410, 410]
    assert [r.path for r in http_server.requests] == ["/issuer.json", "/gone.json"]


def test_fetch_cache_remembers_failures(http_server: LocalHTTPServer) -> None:
    http_server.stream("/huge", total_bytes=10 * 1024 * 1024)
    cache = FetchCache(local_fetcher(max_bytes=1024))

    for _ in range(2):
        with pytest.raises(FetchError) as caught:
            cache.get(http_server.url("/huge"))
        assert caught.value.code == "response_too_large"

    assert len(http_server.requests) == 1


def test_fetch_cache_fetches_once_for_concurrent_callers(http_server: LocalHTTPServer) -> None:
    def slow_issuer(request: RecordedRequest) -> Response:
        time.sleep(0.3)
        return Response(200, b'{"name": "Issuer"}', {"Content-Type": "application/json"})

    http_server.route("/issuer.json", slow_issuer)
    cache = FetchCache(local_fetcher())

    with ThreadPoolExecutor(max_workers=6) as pool:
        responses: list[FetchResponse] = list(
            pool.map(lambda _: cache.get(http_server.url("/issuer.json")), range(6))
        )

    assert {id(response) for response in responses} == {id(responses[0])}
    assert len(http_server.requests) == 1


@pytest.fixture
def https_server() -> Iterator[LocalHTTPServer]:
    """An HTTPS server with a certificate for issuer.test from a throwaway CA."""
    with LocalHTTPServer(tls_hostnames=["issuer.test"]) as server:
        yield server


def test_https_goes_to_the_checked_address_with_sni_and_certificate_for_the_host(
    https_server: LocalHTTPServer,
) -> None:
    https_server.serve_json("/issuer.json", {"name": "Issuer"})
    asked, resolve = names_resolving_to({"issuer.test": "127.0.0.1"})
    fetcher = Fetcher(
        resolver=resolve, address_policy=only_the_test_server, ca_file=https_server.ca_file
    )

    response = fetcher.get(https_server.url("/issuer.json", host="issuer.test"))

    assert response.json() == {"name": "Issuer"}
    assert https_server.sni_names == ["issuer.test"]
    assert https_server.requests[0].headers["host"] == f"issuer.test:{https_server.port}"
    assert asked == ["issuer.test"]


def test_https_refuses_a_certificate_for_another_host(https_server: LocalHTTPServer) -> None:
    https_server.serve_json("/issuer.json", {"name": "Issuer"})
    _, resolve = names_resolving_to({"impostor.test": "127.0.0.1"})
    fetcher = Fetcher(
        resolver=resolve, address_policy=only_the_test_server, ca_file=https_server.ca_file
    )

    with pytest.raises(FetchError) as caught:
        fetcher.get(https_server.url("/issuer.json", host="impostor.test"))

    assert caught.value.code == "unreachable"
    assert https_server.requests == []


def test_https_refuses_a_certificate_from_an_untrusted_authority(
    https_server: LocalHTTPServer,
) -> None:
    https_server.serve_json("/issuer.json", {"name": "Issuer"})
    _, resolve = names_resolving_to({"issuer.test": "127.0.0.1"})
    fetcher = Fetcher(resolver=resolve, address_policy=only_the_test_server)

    with pytest.raises(FetchError) as caught:
        fetcher.get(https_server.url("/issuer.json", host="issuer.test"))

    assert caught.value.code == "unreachable"
    assert https_server.requests == []


@pytest.fixture
def header_trickler() -> Iterator[int]:
    """A raw TCP server that answers with a status line and then one header line at a time."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            with connection:
                connection.recv(65536)
                connection.sendall(b"HTTP/1.1 200 OK\r\n")
                while not stop.wait(0.05):
                    try:
                        connection.sendall(b"X-Slow: y\r\n")
                    except OSError:
                        break

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(timeout=5)
    listener.close()


def test_a_server_that_trickles_its_headers_hits_the_overall_deadline(
    header_trickler: int,
) -> None:
    started = time.monotonic()

    with pytest.raises(FetchError) as caught:
        local_fetcher(timeout=0.5, deadline=1.0).get(f"http://127.0.0.1:{header_trickler}/")

    assert caught.value.code == "fetch_timeout"
    assert time.monotonic() - started < 2.5
