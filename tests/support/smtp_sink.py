"""A minimal real SMTP server on 127.0.0.1 that keeps what it receives, for mail tests."""

from __future__ import annotations

import socketserver
import threading
from types import TracebackType


class _Handler(socketserver.StreamRequestHandler):
    server: SmtpSink._Server

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        self.reply("220 sink.test ESMTP")
        envelope: dict[str, object] = {"rcpt": []}
        while True:
            line = self.rfile.readline().decode("utf-8", "replace").rstrip("\r\n")
            command = line.upper()
            if not line or command == "QUIT":
                self.reply("221 bye")
                return
            if command.startswith(("EHLO", "HELO")):
                self.reply("250 sink.test")
            elif command.startswith("MAIL FROM:"):
                envelope = {"from": line[10:].strip(" <>"), "rcpt": []}
                self.reply("250 ok")
            elif command.startswith("RCPT TO:"):
                envelope["rcpt"].append(line[8:].strip(" <>"))
                self.reply("250 ok")
            elif command == "DATA":
                self.reply("354 end with .")
                lines = []
                while (data := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                    lines.append(data[1:] if data.startswith(b"..") else data)
                envelope["data"] = b"".join(lines)
                self.server.messages.append(envelope)
                self.reply("250 queued")
            else:
                self.reply("250 ok")


class SmtpSink:
    """Start with `with SmtpSink() as sink:`; `sink.port`, `sink.messages`."""

    class _Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True
        messages: list[dict[str, object]]

    def __init__(self) -> None:
        self._server = self._Server(("127.0.0.1", 0), _Handler)
        self._server.messages = []
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def messages(self) -> list[dict[str, object]]:
        return self._server.messages

    def __enter__(self) -> SmtpSink:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
