"""What the fetcher reads off the wire: framings, interim answers, malformed and cut-short
responses, and requests it refuses to write. A raw TCP server sends exactly the bytes a
test gives it, as a misbehaving or unusual issuer's server would."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import pytest

from backpack.openbadges import connections
from backpack.openbadges.errors import FetchError, FetchRefused
from backpack.openbadges.safe_fetcher import Fetcher


@dataclass
class RawServer:
    """Answers the n-th request on any connection with `answers[n]` (the last one after
    that; a tuple is sent in parts, 50 ms apart); closes a connection after an answer when
    `close_after` says so."""

    answers: Sequence[bytes | tuple[bytes, ...]]
    close_after: bool = False
    requests: list[bytes] = field(default_factory=list)
    connections: int = 0
    port: int = 0

    def url(self, path: str = "/doc.json") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def raw_server() -> Iterator[RawServer]:
    """A RawServer whose answers a test sets before fetching."""
    server = RawServer(answers=[])
    listener = socket.create_server(("127.0.0.1", 0))
    server.port = listener.getsockname()[1]
    stop = threading.Event()

    def answer(connection: socket.socket) -> None:
        with connection, contextlib.suppress(OSError):  # the client may hang up at any point
            while not stop.is_set():
                received = connection.recv(65536)
                if not received:
                    return
                server.requests.append(received)
                number = min(len(server.requests), len(server.answers)) - 1
                answer = server.answers[number]
                for part in answer if isinstance(answer, tuple) else (answer,):
                    connection.sendall(part)
                    time.sleep(0.05)  # each part arrives apart
                if server.close_after:
                    return

    def serve() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            server.connections += 1
            connection.settimeout(5)
            threading.Thread(target=answer, args=(connection,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server
    stop.set()
    thread.join(timeout=5)
    listener.close()


def fetcher() -> Fetcher:
    return Fetcher(allow_private=True, timeout=2, deadline=4)


def test_a_chunked_body_is_joined_and_its_connection_kept(raw_server: RawServer) -> None:
    raw_server.answers = [
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
        b'\r\n6\r\n{"a": \r\n2\r\n1}\r\n0\r\n\r\n'
    ]
    client = fetcher()

    first, second = client.get(raw_server.url()), client.get(raw_server.url())

    assert first.json() == second.json() == {"a": 1}
    assert first.content_type == "application/json"
    assert raw_server.connections == 1


def test_a_body_ended_by_closing_the_connection_is_read_whole(raw_server: RawServer) -> None:
    # HTTP/1.0 style: no length, no chunks; the body ends with the connection.
    raw_server.answers = [b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it"]
    raw_server.close_after = True
    client = fetcher()

    first, second = client.get(raw_server.url()), client.get(raw_server.url())

    assert first.content == second.content == b"all of it"
    assert raw_server.connections == 2


def test_an_early_hints_answer_is_passed_over_for_the_real_one(raw_server: RawServer) -> None:
    raw_server.answers = [
        b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
        b'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nETag: "v1"\r\n\r\n{}'
    ]

    response = fetcher().get(raw_server.url())

    assert response.status == 200
    assert response.json() == {}
    assert dict(response.headers) == {"content-length": "2", "etag": '"v1"'}


def test_repeated_headers_are_joined_and_names_lower_cased(raw_server: RawServer) -> None:
    raw_server.answers = [
        b"HTTP/1.1 200 OK\r\nCache-Control: public\r\nCACHE-CONTROL: max-age=60  \r\n"
        b"Content-Length: 0\r\n\r\n"
    ]

    response = fetcher().get(raw_server.url())

    assert response.headers["cache-control"] == "public, max-age=60"


def test_a_response_cut_short_is_unreachable_and_not_retried(raw_server: RawServer) -> None:
    raw_server.answers = [b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"partial']
    raw_server.close_after = True

    with pytest.raises(FetchError) as caught:
        fetcher().get(raw_server.url())

    assert caught.value.code == "unreachable"
    assert "closed the connection early" in str(caught.value)
    assert len(raw_server.requests) == 1


@pytest.mark.parametrize(
    "answer",
    [
        b"SMTP ready\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n{}",
        b"HTTP/1.1 200 OK\r\nX-Bad: a\rb\r\n\r\n",
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n",
    ],
    ids=["not-http", "two-lengths", "length-and-chunks", "bare-cr", "upgrade"],
)
def test_a_malformed_response_is_unreachable(raw_server: RawServer, answer: bytes) -> None:
    raw_server.answers = [answer]

    with pytest.raises(FetchError) as caught:
        fetcher().get(raw_server.url())

    assert caught.value.code == "unreachable"


def test_more_than_a_hundred_headers_are_refused(raw_server: RawServer) -> None:
    headers = b"".join(b"X-H%d: v\r\n" % number for number in range(101))
    raw_server.answers = [b"HTTP/1.1 200 OK\r\n" + headers + b"Content-Length: 0\r\n\r\n"]

    with pytest.raises(FetchError) as caught:
        fetcher().get(raw_server.url())

    assert caught.value.code == "unreachable"
    assert "more than 100 headers" in str(caught.value)


def test_headers_larger_than_64_kib_are_refused(raw_server: RawServer) -> None:
    raw_server.answers = [b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n"]

    with pytest.raises(FetchError) as caught:
        fetcher().get(raw_server.url())

    assert caught.value.code == "unreachable"


def test_bytes_after_the_response_keep_its_connection_from_reuse(raw_server: RawServer) -> None:
    raw_server.answers = [
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]"
    ]
    client = fetcher()

    first, second = client.get(raw_server.url()), client.get(raw_server.url())

    assert first.json() == second.json() == {}
    assert raw_server.connections == 2


def test_a_connection_the_server_will_close_is_not_reused(raw_server: RawServer) -> None:
    raw_server.answers = [b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}"]
    raw_server.close_after = True
    client = fetcher()

    client.get(raw_server.url())
    client.get(raw_server.url())

    assert raw_server.connections == 2


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer abc\r\nX-Injected: yes"},
        {"Authorization": "Bearer abc\nX-Injected: yes"},
        {"Authorization": "Bearer \x00abc"},
    ],
)
def test_a_header_value_with_a_line_break_is_never_sent(
    raw_server: RawServer, headers: dict[str, str]
) -> None:
    # An access token comes from another server's JSON: it must not add a header or a request.
    raw_server.answers = [b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"]

    with pytest.raises(FetchRefused):
        fetcher().request("GET", raw_server.url(), headers=headers)

    assert raw_server.requests == []


def test_a_kept_etag_with_a_line_break_is_never_sent(raw_server: RawServer) -> None:
    raw_server.answers = [b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"]

    with pytest.raises(FetchRefused):
        fetcher().get(raw_server.url(), conditional={"If-None-Match": '"a"\r\nX-Evil: 1'})

    assert raw_server.requests == []


def test_the_request_is_written_as_http_1_1_with_the_allowed_headers(
    raw_server: RawServer,
) -> None:
    raw_server.answers = [b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"]

    response = fetcher().request(
        "post",
        raw_server.url("/token?x=1"),
        body=b"grant_type=refresh_token",
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-Other": "dropped"},
    )

    assert response.status == 201
    head, body = raw_server.requests[0].split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0] == "POST /token?x=1 HTTP/1.1"
    assert f"Host: 127.0.0.1:{raw_server.port}" in lines
    assert "Content-Type: application/x-www-form-urlencoded" in lines
    assert "Content-Length: 24" in lines
    assert "Accept-Encoding: identity" in lines
    assert not any(line.startswith("X-Other") for line in lines)
    assert body == b"grant_type=refresh_token"


@pytest.mark.parametrize("status", [b"304 Not Modified", b"204 No Content"])
def test_an_answer_without_a_body_keeps_its_connection(
    raw_server: RawServer, status: bytes
) -> None:
    # A 304 may declare the length of the body it stands for, and sends none.
    raw_server.answers = [b"HTTP/1.1 " + status + b'\r\nETag: "v1"\r\nContent-Length: 40\r\n\r\n']
    client = fetcher()

    first, second = client.get(raw_server.url()), client.get(raw_server.url())

    assert first.status == second.status == int(status[:3])
    assert first.content == b""
    assert raw_server.connections == 1


def test_a_large_body_after_headers_sent_apart_is_read(raw_server: RawServer) -> None:
    # Part of the head in one write, the rest with a body of 200 KB in the next: a read then
    # holds the end of the headers and much of the body, which must not count against the
    # headers' limit.
    body = b"x" * 200_000
    raw_server.answers = [
        (
            b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n",
            b"Content-Length: 200000\r\n\r\n" + body,
        )
    ]

    response = fetcher().get(raw_server.url())

    assert response.content == body


def test_bytes_arriving_after_a_response_are_never_read_as_the_next_answer(
    raw_server: RawServer,
) -> None:
    # A stray packet after a complete answer sits in the idle socket's buffer: reused, the
    # connection would hand those bytes to the next request as its answer.
    raw_server.answers = [
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}",
            b'HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n"STALE"',
        ),
        b'HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n"ok"',
    ]
    client = fetcher()
    assert client.get(raw_server.url("/first")).json() == {}
    time.sleep(0.2)  # the stray bytes have arrived

    assert client.get(raw_server.url("/second")).json() == "ok"
    assert raw_server.connections == 2


def test_a_post_after_the_server_closed_the_idle_connection_is_delivered(
    raw_server: RawServer,
) -> None:
    # Servers close idle keep-alive connections; a POST is not sent twice, so it must not be
    # sent on one the server has closed (an OAuth token request minutes after a GET).
    raw_server.answers = [
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
    ]
    raw_server.close_after = True
    client = fetcher()
    client.get(raw_server.url("/discovery"))
    time.sleep(0.2)  # the server has hung up

    answer = client.request("POST", raw_server.url("/token"), body=b"grant_type=refresh_token")

    assert answer.json() == {}
    assert len(raw_server.requests) == 2


def test_a_connection_idle_longer_than_servers_keep_them_is_not_reused(
    raw_server: RawServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connections, "MAX_IDLE_SECONDS", 0.1)
    raw_server.answers = [b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"]
    client = fetcher()
    client.get(raw_server.url())
    client.get(raw_server.url())  # at once: the same connection
    time.sleep(0.3)
    client.get(raw_server.url())

    assert raw_server.connections == 2


def test_endless_trailers_are_cut_at_the_byte_limit(raw_server: RawServer) -> None:
    trailer = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\nX-Trailer: "
    raw_server.answers = [(trailer, *[b"a" * 65536] * 40)]
    started = time.monotonic()

    with pytest.raises(FetchError) as caught:
        Fetcher(allow_private=True, timeout=5, deadline=10, max_bytes=100_000).get(raw_server.url())

    assert caught.value.code == "response_too_large"
    assert time.monotonic() - started < 5


def test_trailers_are_not_taken_for_headers(raw_server: RawServer) -> None:
    raw_server.answers = [
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
        b"\r\n2\r\n{}\r\n0\r\nContent-Type: text/html\r\n\r\n"
    ]

    response = fetcher().get(raw_server.url())

    assert response.content_type == "application/json"
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {}


def test_a_body_in_chunks_of_two_bytes_is_read_whole(raw_server: RawServer) -> None:
    body = b'{"name": "' + b"x" * 4000 + b'"}'
    chunked = b"".join(b"2\r\n" + body[i : i + 2] + b"\r\n" for i in range(0, len(body), 2))
    raw_server.answers = [
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked + b"0\r\n\r\n"
    ]

    assert fetcher().get(raw_server.url()).content == body
