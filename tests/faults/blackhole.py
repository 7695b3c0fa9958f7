"""A TCP proxy on loopback that can turn into a black hole and back, between a client (the
collector) and its server (PostgreSQL).

While `forwarding`, bytes flow both ways. In a black hole nothing is forwarded and nothing
is closed or refused: new connections are accepted (the client's connect succeeds, its
first message is never answered), and the bytes already sent stay unread — the peer sees
its packets acknowledged and no answer, as when a route drops traffic and TCP keeps
retransmitting. When forwarding resumes, what was held is delivered, as TCP's
retransmissions would once the route is back: no byte is lost or invented, so the
connections that were open survive if their owner still waits on them.
"""

from __future__ import annotations

import contextlib
import socket
import threading


class BlackHoleProxy:
    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.forwarding = threading.Event()
        self.forwarding.set()
        self._closed = threading.Event()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True, name="proxy-accept").start()

    def blackhole(self) -> None:
        """Stop forwarding: hold every byte, close nothing, answer nothing."""
        self.forwarding.clear()

    def forward(self) -> None:
        """Forward again, delivering what was held."""
        self.forwarding.set()

    def _accept(self) -> None:
        self.listener.settimeout(0.2)
        while not self._closed.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        """Connect upstream only while forwarding (a black hole reaches no server)."""
        self._track(client)
        while not self.forwarding.wait(0.2):
            if self._closed.is_set():
                return
        try:
            server = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            client.close()
            return
        server.settimeout(None)
        self._track(server)
        for src, dst in ((client, server), (server, client)):
            threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _track(self, s: socket.socket) -> None:
        with self._lock:
            self._sockets.append(s)

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        src.settimeout(0.2)
        while not self._closed.is_set():
            if not self.forwarding.wait(0.2):
                continue  # in the black hole: leave the bytes unread
            try:
                data = src.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                data = b""
            if not data:
                break
            while not self.forwarding.is_set() and not self._closed.is_set():
                self.forwarding.wait(0.2)  # read just before the hole opened: hold it
            try:
                dst.sendall(data)
            except OSError:
                break
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._closed.set()
        self.forwarding.set()
        with contextlib.suppress(OSError):
            self.listener.close()
        with self._lock:
            for s in self._sockets:
                with contextlib.suppress(OSError):
                    s.close()
