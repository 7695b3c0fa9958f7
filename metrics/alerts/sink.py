"""A tiny HTTP receiver for webhook notifications on loopback (benchmarks, tests).

`HttpSink()` listens on 127.0.0.1 at a free port in a thread and records every POST
(arrival time on `time.time()`, path, JSON body, headers). It can answer the first
`fail_first` requests with `fail_status` (a receiver that fails, then recovers), or hold the
first `hang_first` requests (recorded on arrival) without answering until `release` is set
(a receiver that hangs).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    at: float
    path: str
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class HttpSink:
    def __init__(self, fail_first: int = 0, fail_status: int = 503, hang_first: int = 0):
        self.received: list[Received] = []
        self.failed = 0
        self.fail_first, self.fail_status = fail_first, fail_status
        self.hang_first, self.hung, self.holding = hang_first, 0, 0
        self.release = threading.Event()
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                hang = False
                with sink._lock:
                    if sink.failed < sink.fail_first:
                        sink.failed += 1
                        status = sink.fail_status
                    else:
                        try:
                            body = json.loads(raw or b"null")
                        except ValueError:
                            body = raw.decode("utf-8", "replace")
                        sink.received.append(Received(time.time(), self.path, body,
                                                      dict(self.headers.items())))
                        sink._arrived.notify_all()
                        status = 200
                        hang = sink.hung < sink.hang_first
                        sink.hung += hang
                        sink.holding += hang
                if hang:  # a receiver that took the request and does not answer
                    sink.release.wait()
                    with sink._lock:
                        sink.holding -= 1
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:  # the sender gave up waiting (its timeout) and left
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self.server.serve_forever, name="http-sink",
                                        daemon=True)

    def start(self) -> HttpSink:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> HttpSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_for(self, count: int, timeout_s: float) -> bool:
        """Wait until at least `count` messages arrived; whether they did."""
        deadline = time.monotonic() + timeout_s
        with self._lock:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._arrived.wait(left)
            return True

    def snapshot(self) -> list[Received]:
        with self._lock:
            return list(self.received)
