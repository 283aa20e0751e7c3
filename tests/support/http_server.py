"""A real HTTP server on 127.0.0.1 for tests that fetch over the network stack.

Usage::

    with LocalHTTPServer() as server:
        server.serve_json("/issuer.json", {"id": server.url("/issuer.json")})
        server.serve("/badge.png", png_bytes, content_type="image/png")
        server.serve("/gone.json", b"", status=410)
        server.redirect("/old.json", "/issuer.json")          # 302 unless status= says otherwise
        server.route("/custom", lambda request: Response(201, b"made"))
        server.stall("/slow")                                  # never answers until shutdown
        server.slow("/issuer.json", seconds=2)                 # the same answer, 2 s later
        server.stream("/huge", total_bytes=50 * 1024 * 1024)   # a body larger than any limit
        fetch(server.url("/issuer.json"))
        assert server.requests[0].path == "/issuer.json"

Routes match the request path with its query string first, then without it; any other
path answers 404. A route is a `Response` or a callable taking the `RecordedRequest` and
returning one, so a test can vary answers or inspect what was sent. Every request, matched
or not, is recorded in `requests` (method, path, lower-cased headers, body). The server
speaks HTTP/1.1 with keep-alive, so clients reuse connections as they would in production;
`connections` counts the TCP connections it accepted.

`LocalHTTPServer(tls_hostnames=["issuer.test"])` serves HTTPS instead, with a certificate
for those names (and 127.0.0.1) from a throwaway CA whose PEM file is `ca_file`: give it to
`Fetcher(ca_file=...)` and resolve the names to 127.0.0.1. `sni_names` lists the server
names clients asked for in their TLS handshakes.
"""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import IPv4Address
from pathlib import Path
from types import TracebackType
from typing import Any


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server received."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class Response:
    """What a route answers: a status, headers and a body (bytes, or chunks to stream)."""

    status: int = 200
    body: bytes | Iterable[bytes] = b""
    headers: Mapping[str, str] = field(default_factory=dict)


Route = Response | Callable[[RecordedRequest], Response]

NOT_FOUND = Response(404, b"not found", {"Content-Type": "text/plain"})


class LocalHTTPServer:
    """A threaded HTTP server on an ephemeral port of 127.0.0.1, started as a context manager."""

    def __init__(self, *, tls_hostnames: Sequence[str] = ()) -> None:
        self.requests: list[RecordedRequest] = []
        # TCP connections accepted so far: with keep-alive, fewer than the requests.
        self.connections = 0
        self._routes: dict[str, Route] = {}
        self._lock = threading.Lock()
        # Set on shutdown so stalled and streaming routes stop at once instead of holding
        # the test run hostage until their sleep ends.
        self._stopping = threading.Event()
        self._httpd = _QuietThreadingServer(("127.0.0.1", 0), _make_handler(self))
        self._thread: threading.Thread | None = None
        # Seconds every answer waits before it is sent (a slow issuer's whole server).
        self.delay = 0.0
        self.ca_file: str | None = None
        self.sni_names: list[str] = []
        self._tls_folder: str | None = None
        if tls_hostnames:
            self._serve_tls(tls_hostnames)

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return int(self._httpd.server_address[1])

    def url(self, path: str = "/", *, host: str = "127.0.0.1") -> str:
        """The absolute URL of a path on this server, optionally under another host name."""
        scheme = "https" if self.ca_file else "http"
        return f"{scheme}://{host}:{self.port}{path}"

    def start(self) -> LocalHTTPServer:
        """Start serving in a daemon thread."""
        # A short poll interval lets stop() return quickly; tests start and stop many servers.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, waking any stalled or streaming route."""
        self._stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        self._httpd.server_close()
        if self._tls_folder is not None:
            shutil.rmtree(self._tls_folder, ignore_errors=True)

    def _serve_tls(self, hostnames: Sequence[str]) -> None:
        self._tls_folder = tempfile.mkdtemp(prefix="backpack-tls-")
        folder = Path(self._tls_folder)
        ca_pem, certificate_pem, key_pem = _issue_certificate(hostnames)
        (folder / "ca.pem").write_bytes(ca_pem)
        (folder / "server.pem").write_bytes(certificate_pem + key_pem)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(folder / "server.pem")
        context.sni_callback = self._record_sni
        self.ca_file = str(folder / "ca.pem")
        # The handshake then happens in each connection's handler thread, not in accept().
        self._httpd.socket = context.wrap_socket(
            self._httpd.socket, server_side=True, do_handshake_on_connect=False
        )

    def _record_sni(self, connection: Any, name: str | None, context: Any) -> None:
        with self._lock:
            self.sni_names.append(name or "")

    def __enter__(self) -> LocalHTTPServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def route(self, path: str, route: Route) -> None:
        """Answer requests for `path` with a fixed `Response` or a callable's answer."""
        with self._lock:
            self._routes[path] = route

    def serve(
        self,
        path: str,
        body: bytes,
        *,
        status: int = 200,
        content_type: str = "application/octet-stream",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer `path` with fixed bytes."""
        self.route(path, Response(status, body, {"Content-Type": content_type, **(headers or {})}))

    def serve_json(
        self,
        path: str,
        document: Any,
        *,
        status: int = 200,
        content_type: str = "application/ld+json",
    ) -> None:
        """Answer `path` with a JSON document."""
        self.serve(path, json.dumps(document).encode(), status=status, content_type=content_type)

    def redirect(self, path: str, location: str, *, status: int = 302) -> None:
        """Answer `path` with a redirect to `location` (a path on this server or a URL)."""
        self.route(path, Response(status, b"", {"Location": location}))

    def stall(self, path: str, *, seconds: float = 30.0) -> None:
        """Answer `path` only after `seconds`, or never if the server stops first."""

        def stalled(request: RecordedRequest) -> Response:
            self._stopping.wait(seconds)
            return Response(200, b"too late", {"Content-Type": "text/plain"})

        self.route(path, stalled)

    def held(self, path: str, *, until: threading.Event, seconds: float = 10.0) -> None:
        """Answer `path` as it is routed now, once `until` is set (at most `seconds` later)."""
        with self._lock:
            route = self._routes[path]

        def waiting(request: RecordedRequest) -> Response:
            until.wait(seconds)
            return route(request) if callable(route) else route

        self.route(path, waiting)

    def counted(self, path: str, counter: Callable[[], None]) -> None:
        """Answer `path` as it is routed now, calling `counter` before each answer."""
        with self._lock:
            route = self._routes[path]

        def counting(request: RecordedRequest) -> Response:
            counter()
            return route(request) if callable(route) else route

        self.route(path, counting)

    def slow(self, path: str, *, seconds: float) -> None:
        """Answer `path` as it is routed now, but only after `seconds` (a slow issuer)."""
        with self._lock:
            route = self._routes[path]

        def delayed(request: RecordedRequest) -> Response:
            self._stopping.wait(seconds)
            return route(request) if callable(route) else route

        self.route(path, delayed)

    def stream(
        self,
        path: str,
        *,
        total_bytes: int,
        chunk_size: int = 64 * 1024,
        delay: float = 0.0,
        content_type: str = "application/octet-stream",
        declare_length: bool = False,
    ) -> None:
        """Answer `path` with `total_bytes` sent in chunks, `delay` seconds apart (to trickle)."""

        def chunks() -> Iterator[bytes]:
            sent = 0
            while sent < total_bytes and not self._stopping.is_set():
                size = min(chunk_size, total_bytes - sent)
                yield b"x" * size
                sent += size
                if delay:
                    self._stopping.wait(delay)

        def streamed(request: RecordedRequest) -> Response:
            headers = {"Content-Type": content_type}
            if declare_length:
                headers["Content-Length"] = str(total_bytes)
            return Response(200, chunks(), headers)

        self.route(path, streamed)

    def count_connection(self) -> None:
        """Count one accepted TCP connection."""
        with self._lock:
            self.connections += 1

    def answer(self, request: RecordedRequest) -> Response:
        """Record a request and find its route's response."""
        if self.delay:
            self._stopping.wait(self.delay)
        with self._lock:
            self.requests.append(request)
            route = self._routes.get(request.path) or self._routes.get(
                request.path.split("?", 1)[0]
            )
        if route is None:
            return NOT_FOUND
        return route(request) if callable(route) else route


def _issue_certificate(hostnames: Sequence[str]) -> tuple[bytes, bytes, bytes]:
    """A throwaway CA certificate, and a server certificate and key for the host names."""
    # Imported here so plain HTTP tests do not pay for it.
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    def name(common_name: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])

    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    server_key = ec.generate_private_key(ec.SECP256R1())
    ca_key_id = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("Backpack test CA"))
        .issuer_name(name("Backpack test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(ca_key_id, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    alternative_names = [x509.DNSName(hostname) for hostname in hostnames]
    server = (
        x509.CertificateBuilder()
        .subject_name(name(hostnames[0]))
        .issuer_name(ca.subject)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [*alternative_names, x509.IPAddress(IPv4Address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_key_id),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key_pem = server_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return (
        ca.public_bytes(serialization.Encoding.PEM),
        server.public_bytes(serialization.Encoding.PEM),
        key_pem,
    )


class _QuietThreadingServer(ThreadingHTTPServer):
    # Handler threads must not keep the test process alive.
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up early (timeouts, byte limits) is what many tests do on purpose.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


def _make_handler(server: LocalHTTPServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Idle keep-alive connections end after this, so handler threads do not pile up.
        timeout = 10

        def setup(self) -> None:
            super().setup()
            server.count_connection()
            # Headers and body leave in separate writes; without this, Nagle's algorithm
            # and delayed ACKs add 40 ms to every keep-alive response.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def answer_any_method(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = RecordedRequest(
                method=self.command,
                path=self.path,
                headers={name.lower(): value for name, value in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
            )
            response = server.answer(request)
            self.send_response(response.status)
            sent_headers = {name.lower() for name in response.headers}
            for name, value in response.headers.items():
                self.send_header(name, value)
            if isinstance(response.body, bytes):
                if "content-length" not in sent_headers:
                    self.send_header("Content-Length", str(len(response.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(response.body)
                return
            # A streamed body of unknown length ends when the connection closes.
            self.send_header("Connection", "close")
            self.close_connection = True
            self.end_headers()
            try:
                for chunk in response.body:
                    self.wfile.write(chunk)
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                # The client gave up on purpose (a byte limit or a deadline).
                return

        do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = answer_any_method

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

    return Handler
