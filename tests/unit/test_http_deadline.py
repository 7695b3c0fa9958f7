"""The exchange deadline (collectors/polling/http.py, collectors/polling/deadline.py) against a
real loopback server that trickles its answer: however slowly the bytes come, the fetch ends by its
deadline as a `timeout` "answer too slow"; a prompt answer on the same session is unharmed."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from collectors.polling.deadline import Reaper
from collectors.polling.http import TOO_SLOW, fetch, make_session
from metrics.results import Reason
from tests.fixtures.loopback import LoopbackServer

BODY = b'{"ok": true, "padding": "' + b"x" * 2000 + b'"}'
ANSWER = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
          b"Content-Length: " + str(len(BODY)).encode() + b"\r\n\r\n" + BODY)
TRICKLE_S = 20.0  # what the whole trickled answer would take (far beyond any deadline)


class Trickler(LoopbackServer):
    """A loopback HTTP server: `/fast` answers at once; `/body` sends the headers at once
    and the body a byte at a time; `/head` trickles the status line and headers too."""

    def respond(self, conn: socket.socket, request: bytes) -> None:
        path = request.split(b" ", 2)[1]
        if path == b"/fast":
            conn.sendall(ANSWER)
            return
        start = ANSWER.index(BODY) if path == b"/body" else 0
        conn.sendall(ANSWER[:start])
        every = TRICKLE_S / (len(ANSWER) - start)
        for i in range(start, len(ANSWER)):
            if self.stop.is_set():
                return
            conn.sendall(ANSWER[i:i + 1])
            time.sleep(every)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def trickler() -> Iterator[Trickler]:
    server = Trickler()
    yield server
    server.close()


@pytest.mark.parametrize("path", ["/body", "/head"])
def test_fetch_ends_by_its_deadline_when_the_answer_trickles(trickler, path):
    session = make_session(4)
    started = time.monotonic()
    got = fetch(session, trickler.url(path), connect_timeout=0.3, read_timeout=0.7,
                max_body_bytes=1_000_000)
    took = time.monotonic() - started
    assert got.reason is Reason.TIMEOUT
    assert got.detail == TOO_SLOW
    assert took < 1.0 + 1.0  # the 1 s deadline, with room for a loaded machine; not 20 s
    # Each byte came well within the read timeout: only the total deadline can stop it.
    assert TRICKLE_S / len(ANSWER) < 0.7


def test_fetch_honours_an_earlier_deadline_given_by_the_caller(trickler):
    session = make_session(4)
    started = time.monotonic()
    got = fetch(session, trickler.url("/body"), connect_timeout=2, read_timeout=3,
                max_body_bytes=1_000_000, deadline=started + 0.5)
    assert (got.reason, got.detail) == (Reason.TIMEOUT, TOO_SLOW)
    assert time.monotonic() - started < 0.5 + 1.0


def test_a_prompt_answer_on_the_same_session_is_whole_after_a_cut_one(trickler):
    session = make_session(4)
    assert fetch(session, trickler.url("/body"), connect_timeout=0.3, read_timeout=0.3,
                 max_body_bytes=1_000_000).reason is Reason.TIMEOUT
    for _ in range(3):  # keep-alive reuse: the deadline of one exchange never hits the next
        got = fetch(session, trickler.url("/fast"), connect_timeout=1, read_timeout=2,
                    max_body_bytes=1_000_000)
        assert got.reason is None and got.body == BODY
        time.sleep(0.05)


def test_reaper_wakes_a_blocked_read_at_the_deadline_and_not_before():
    reaper = Reaper()
    a, b = socket.socketpair()
    with a, b:
        watch = reaper.watch(a, time.monotonic() + 0.3)
        started = time.monotonic()
        assert a.recv(10) == b""  # blocked until the reaper shut the socket down
        assert time.monotonic() - started >= 0.25
        assert reaper.release(watch) is True


def test_reaper_leaves_a_released_socket_alone():
    reaper = Reaper()
    a, b = socket.socketpair()
    with a, b:
        watch = reaper.watch(a, time.monotonic() + 0.1)
        assert reaper.release(watch) is False
        time.sleep(0.3)
        b.sendall(b"still open")
        assert a.recv(10) == b"still open"
        assert watch.fired is False
