"""The dashboard's garbage-collection pacer: full collections from its own thread, on time,
until stopped; one per process."""

from __future__ import annotations

import asyncio
import gc
import threading
import time

from dashboard.runtime import gc_pacer


def test_the_pacer_runs_full_collections_from_its_thread_until_stopped():
    seen: list[tuple[int, str]] = []

    def watch(phase: str, info: dict) -> None:
        if phase == "start":
            seen.append((info["generation"], threading.current_thread().name))

    gc.callbacks.append(watch)
    pacer = gc_pacer.Pacer(every_s=0.02)
    try:
        pacer.thread.start()
        deadline = time.monotonic() + 10
        while pacer.runs < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        pacer.stop()
    finally:
        gc.callbacks.remove(watch)
    assert pacer.runs >= 3 and not pacer.thread.is_alive() and pacer.thread.daemon
    assert (2, "ioc-gc-pacer") in seen
    stopped_at = pacer.runs
    time.sleep(0.1)
    assert pacer.runs == stopped_at


def test_one_pacer_per_process_at_a_minute():
    first = gc_pacer.start()
    try:
        assert gc_pacer.start() is first and first.thread.is_alive()
        assert first.every_s == 60.0
    finally:
        first.stop()


def test_the_servers_lifespan_starts_the_pacer():
    from dashboard import server

    before = gc_pacer._pacer
    if before is not None:
        before.stop()

    async def serve() -> gc_pacer.Pacer | None:
        async with server.lifespan(server.app):
            return gc_pacer._pacer

    pacer = asyncio.run(serve())
    try:
        assert pacer is not None and pacer is not before and pacer.thread.is_alive()
    finally:
        if pacer is not None:
            pacer.stop()
