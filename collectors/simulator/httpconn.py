"""A minimal HTTP/1.1 server connection for asyncio: keep-alive, Content-Length, no more.

Requests are parsed one at a time and handed to a handler, which answers now
(`send`), later (`later`), never (`hang`) or by resetting the connection
(`abort`). Requests pipelined behind one being answered wait their turn.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Protocol

MAX_HEAD_BYTES = 16 * 1024
MAX_BODY_BYTES = 1024 * 1024
IDLE_TIMEOUT_S = 150.0  # > a collector's poll interval, so pooled connections survive


@dataclass(slots=True)
class Request:
    method: str
    path: str  # without the query string
    headers: dict[str, str]  # names in lower case
    body: bytes
    keep_alive: bool


class Handler(Protocol):
    def handle(self, conn: Connection, req: Request) -> None: ...


class BadRequest(Exception):
    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status


def parse(buf: bytearray) -> Request | None:
    """Take one complete request off the front of `buf`; None until one has arrived."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        if len(buf) > MAX_HEAD_BYTES:
            raise BadRequest(431, "request head too large")
        return None
    lines = bytes(buf[:end]).decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise BadRequest(400, "bad request line")
    method, target, version = parts
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            raise BadRequest(400, "bad header line")
        headers[name.strip().lower()] = value.strip()
    if "transfer-encoding" in headers:
        raise BadRequest(501, "chunked bodies are not supported; send Content-Length")
    try:
        length = int(headers.get("content-length", "0"))
    except ValueError:
        raise BadRequest(400, "bad Content-Length") from None
    if length < 0:
        raise BadRequest(400, "bad Content-Length")
    if length > MAX_BODY_BYTES:
        raise BadRequest(413, "body too large")
    total = end + 4 + length
    if len(buf) < total:
        return None
    body = bytes(buf[end + 4 : total])
    del buf[:total]
    conn = headers.get("connection", "").lower()
    keep = conn != "close" if version == "HTTP/1.1" else conn == "keep-alive"
    return Request(method, target.partition("?")[0], headers, body, keep)


def phrase(status: int) -> str:
    """The reason phrase of `status`; empty for a code with none registered (e.g. 576), which
    HTTP/1.1 allows: the `http_5xx` fault may send any code from 500 to 599."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def head(status: int, ctype: str, length: int, keep_alive: bool) -> bytes:
    conn = (
        f"Connection: keep-alive\r\nKeep-Alive: timeout={int(IDLE_TIMEOUT_S)}\r\n"
        if keep_alive
        else "Connection: close\r\n"
    )
    return (
        f"HTTP/1.1 {status} {phrase(status)}\r\nServer: pvhcc-sim\r\n"
        f"Content-Type: {ctype}\r\nContent-Length: {length}\r\n{conn}\r\n"
    ).encode()


class Connection(asyncio.Protocol):
    """One client connection to the main listener (centre_id None) or a centre's own host."""

    def __init__(self, handler: Handler, centre_id: str | None, registry: set[Connection]):
        self.handler = handler
        self.centre_id = centre_id
        self.registry = registry
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.busy = False
        self.hung_on: str | None = None  # the centre this connection hangs for
        self.keep_alive = True
        self.timer: asyncio.TimerHandle | None = None
        self.last = time.monotonic()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # TCP: always an asyncio.Transport
        self.registry.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.registry.discard(self)
        if self.timer is not None:
            self.timer.cancel()
        self.transport = None

    def data_received(self, data: bytes) -> None:
        if self.hung_on is not None:
            return  # a hung centre reads and never answers
        self.buf += data
        self.last = time.monotonic()
        if not self.busy:
            self._next()

    def _next(self) -> None:
        try:
            req = parse(self.buf)
        except BadRequest as exc:
            self.keep_alive = False
            self.busy = True
            self.send(exc.status, f"{exc}\n".encode(), "text/plain; charset=utf-8")
            return
        if req is None:
            return
        self.busy = True
        self.keep_alive = req.keep_alive
        self.handler.handle(self, req)

    def send(self, status: int, body: bytes, ctype: str) -> None:
        """Answer the current request, then take the next one if it has arrived."""
        t = self.transport
        if t is None or t.is_closing():
            return
        t.writelines((head(status, ctype, len(body), self.keep_alive), body))
        self.busy = False
        self.timer = None
        self.last = time.monotonic()
        if not self.keep_alive:
            t.close()
        elif self.buf:
            self._next()

    def trickle(self, status: int, body: bytes, ctype: str, every_s: float, step: int) -> None:
        """Answer the current request `step` bytes at a time, one piece every `every_s`
        seconds (status line and headers included), then close the connection."""
        self.keep_alive = False
        data = head(status, ctype, len(body), False) + body
        loop = asyncio.get_running_loop()

        def piece(offset: int) -> None:
            t = self.transport
            if t is None or t.is_closing():
                return
            t.write(data[offset:offset + step])
            self.last = time.monotonic()
            if offset + step >= len(data):
                self.timer = None
                t.close()
            else:
                self.timer = loop.call_later(every_s, piece, offset + step)

        piece(0)

    def later(self, delay_s: float, answer: Callable[[], object]) -> None:
        """Call `answer()` after `delay_s` seconds unless the client goes first."""
        self.timer = asyncio.get_running_loop().call_later(delay_s, answer)

    def hang(self, centre_id: str) -> None:
        """Never answer: keep reading and discarding until `close()` or the client goes."""
        self.hung_on = centre_id
        self.buf.clear()

    def abort(self) -> None:
        """Reset the connection (RST), as a host that refuses."""
        if self.transport is not None:
            self.transport.abort()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def idle_for(self, now: float) -> float:
        """Seconds since the last activity, 0 while a request is being answered or hung."""
        return 0.0 if self.busy or self.hung_on is not None else now - self.last
