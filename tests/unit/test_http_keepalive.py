"""Keep-alive when many centres share one host (collectors/polling/http.py `session_for`): a
loopback server that counts the connections it accepts, polled by as many threads as there are
centres, all at once, cycle after cycle."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from collectors.polling.http import fetch, make_session, origin, session_for
from tests.fixtures.loopback import LoopbackServer

CENTRES = 16
BODY = b'{"ok": true}'
ANSWER = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
          + str(len(BODY)).encode() + b"\r\n\r\n" + BODY)


class CountingServer(LoopbackServer):
    """Answers each cycle's requests once all `CENTRES` of them have arrived (or after 2 s),
    so a cycle's polls always overlap however busy the machine, keeping each connection
    open; `accepted` counts connections."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._arrived = 0  # requests of the current round so far
        self._round = 0
        super().__init__()

    def respond(self, conn: socket.socket, request: bytes) -> None:
        with self._cond:
            mine = self._round
            self._arrived += 1
            if self._arrived < CENTRES:
                self._cond.wait_for(lambda: self._round != mine, timeout=2)
            if self._round == mine:  # the last to arrive, or the wait ran out: a new round
                self._arrived, self._round = 0, self._round + 1
                self._cond.notify_all()
        conn.sendall(ANSWER)

    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{self.port}/c/{i:05d}/status" for i in range(CENTRES)]


@pytest.fixture
def server() -> Iterator[CountingServer]:
    s = CountingServer()
    yield s
    s.close()


def _cycle(session, urls: list[str], pool: ThreadPoolExecutor) -> None:
    got = list(pool.map(lambda u: fetch(session, u, connect_timeout=2, read_timeout=3,
                                        max_body_bytes=1024), urls))
    assert all(g.reason is None and g.body == BODY for g in got)


@pytest.mark.parametrize(("sized", "reuses_all"), [(True, True), (False, False)])
def test_session_reuses_connections_when_centres_share_a_host_only_when_sized(
    server, sized, reuses_all
):
    urls = server.urls()
    session = session_for(urls, CENTRES) if sized else make_session(len(urls) + 16)
    with ThreadPoolExecutor(CENTRES) as pool:
        _cycle(session, urls, pool)
        first = server.accepted
        for _ in range(3):
            _cycle(session, urls, pool)
    assert first == CENTRES  # the polls overlapped: one connection each
    assert (server.accepted == first) is reuses_all


def test_session_for_keeps_at_most_concurrency_connections_per_host():
    urls = [f"http://127.0.0.1:8700/c/{i:05d}/status" for i in range(500)]
    urls += ["http://127.1.0.1:8700/c/00001/status", "https://a.example/x"]
    adapter = session_for(urls, 64).get_adapter(urls[0])
    assert adapter.sizes == {"http://127.0.0.1:8700": 64}
    assert origin("https://a.example/x") == "https://a.example"
    assert origin("http://h:1") == "http://h:1"
