"""Measure how many status documents a running simulator serves per second.

    python -m bench.simload --port 8700 --seconds 10 --concurrency 256 \
        [--pid <simulator pid>]

Like a collector, it keeps one keep-alive connection per centre (on the centre's
own loopback host) and walks the fleet round-robin with a fixed number of
requests in flight; a centre that does not answer within the timeout (a natural
outage) leaves the rotation. With `--pid` it also reads the simulator's CPU time
from /proc, so the figure per CPU-second does not depend on this client's speed.
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import urllib.request
from collections import deque
from urllib.parse import urlsplit

from bench.procstat import cpu_seconds


class _Client(asyncio.Protocol):
    """One keep-alive connection to one centre; one request at a time."""

    def __init__(self, index: int, request: bytes, on_done: object):
        self.index = index  # the centre's place in the fleet list
        self.request = request
        self.on_done = on_done  # called with (client, status or None)
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.need = -1  # bytes of the whole answer once its head has arrived
        self.status = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def send(self) -> None:
        assert self.transport is not None
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if self.need < 0:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buf[:end]).lower()
            self.status = int(head[9:12])
            at = head.find(b"content-length:")
            length = int(head[at + 15 : head.find(b"\r\n", at) if b"\r\n" in head[at:] else None])
            self.need = end + 4 + length
        if len(self.buf) >= self.need:
            del self.buf[: self.need]
            self.need = -1
            self.on_done(self, self.status)  # type: ignore[operator]

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


def _cpu_seconds(pid: int | None) -> float:
    if pid is None:
        return 0.0
    return cpu_seconds(pid)


async def measure(
    control_url: str,
    seconds: float,
    concurrency: int,
    endpoint: str = "status",
    timeout_s: float = 3.0,
    pid: int | None = None,
) -> dict:
    """Drive the fleet listed at `control_url` (…/control/fleet) for `seconds`."""
    with urllib.request.urlopen(control_url, timeout=60) as answer:
        fleet = json.load(answer)["centres"]
    loop = asyncio.get_running_loop()
    rotation = deque(range(len(fleet)))
    clients: dict[int, _Client] = {}
    timers: dict[int, asyncio.TimerHandle] = {}
    silent: set[str] = set()
    counts = {"documents": 0, "non_200": 0}
    finished = loop.create_future()
    tasks: set[asyncio.Task] = set()

    def spawn() -> None:
        task = loop.create_task(start_one())
        tasks.add(task)  # keep a reference until it ends
        task.add_done_callback(tasks.discard)

    running = 0
    deadline = time.monotonic() + seconds

    def done(client: _Client, status: int) -> None:
        i = client.index
        timer = timers.pop(i, None)
        if timer is None:  # answered after its timeout: already out of the rotation
            return
        timer.cancel()
        counts["documents"] += 1
        counts["non_200"] += status != 200
        rotation.append(i)
        spawn()

    def timed_out(i: int) -> None:
        timers.pop(i, None)
        silent.add(fleet[i]["id"])
        c = clients.pop(i, None)
        if c is not None and c.transport is not None:
            c.transport.abort()
        spawn()

    async def start_one() -> None:
        nonlocal running
        if time.monotonic() >= deadline or not rotation:
            running -= 1
            if running == 0 and not finished.done():
                finished.set_result(None)
            return
        i = rotation.popleft()
        c = clients.get(i)
        if c is None or c.transport is None:
            url = urlsplit(fleet[i]["base_url"])
            req = f"GET {url.path}/{endpoint} HTTP/1.1\r\nHost: {url.netloc}\r\n\r\n".encode()
            c = _Client(i, req, done)
            try:
                await loop.create_connection(lambda: c, url.hostname, url.port)
            except OSError:
                silent.add(fleet[i]["id"])
                spawn()
                return
            clients[i] = c
        timers[i] = loop.call_later(timeout_s, timed_out, i)
        c.send()

    cpu0, started = _cpu_seconds(pid), time.monotonic()
    running = concurrency
    for _ in range(concurrency):
        spawn()
    await finished
    elapsed, cpu = time.monotonic() - started, _cpu_seconds(pid) - cpu0
    for t in timers.values():
        t.cancel()
    for c in clients.values():
        if c.transport is not None:
            c.transport.close()
    out = {
        "centres": len(fleet),
        **counts,
        "silent_centres": len(silent),
        "seconds": round(elapsed, 2),
        "documents_per_s": round(counts["documents"] / elapsed),
    }
    if pid is not None and cpu > 0:
        out["server_cpu_s"] = round(cpu, 2)
        out["documents_per_server_cpu_s"] = round(counts["documents"] / cpu)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8700)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--concurrency", type=int, default=256)
    p.add_argument("--endpoint", default="status", help="status | metrics | health | …")
    p.add_argument("--pid", type=int, help="the simulator's process id, to report its CPU time")
    a = p.parse_args()
    result = asyncio.run(
        measure(
            f"http://{a.host}:{a.port}/control/fleet",
            a.seconds,
            a.concurrency,
            a.endpoint,
            pid=a.pid,
        )
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
