"""Run the simulator in a background thread of this process (tests, benchmarks).

    with BackgroundSimulator(fleet("hue")[:5]) as sim:
        requests.get(sim.base_url("19753") + "/status")
        sim.inject(["19753"], "hang", 30)

Control calls go over real HTTP to the control API (stdlib urllib, so this
helper adds no dependency).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable

from collectors.simulator.addressing import sim_host
from collectors.simulator.server import serve
from config.registry import Centre

START_TIMEOUT_S = 60.0


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on `host` right now."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class BackgroundSimulator:
    """A simulator serving `centres` from a daemon thread until `stop()`."""

    def __init__(
        self,
        centres: Iterable[Centre],
        *,
        seed: int = 7,
        host: str = "127.0.0.1",
        port: int | None = None,
        allow_faults: bool = True,
        clock: Callable[[], float] = time.time,
        natural_faults: bool = True,
        scenario: str = "",
    ):
        self.centres = list(centres)
        self.natural_faults = natural_faults
        self.scenario = scenario
        self.seed, self.host, self.allow_faults, self.clock = seed, host, allow_faults, clock
        self.port = port or free_port(host)
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task | None = None
        self._thread = threading.Thread(target=self._run, name="simulator", daemon=True)

    # --- URLs -------------------------------------------------------------------------
    @property
    def control_url(self) -> str:
        return f"http://{self.host}:{self.port}/control"

    def base_url(self, centre_id: str) -> str:
        """The centre's own address, as a collector polls it."""
        return f"http://{sim_host(centre_id)}:{self.port}/c/{centre_id}"

    def main_url(self, centre_id: str) -> str:
        return f"http://{self.host}:{self.port}/c/{centre_id}"

    # --- control ----------------------------------------------------------------------
    def _call(self, method: str, path: str, payload: object = None) -> dict:
        data = None if payload is None else json.dumps(payload).encode()
        req = urllib.request.Request(
            f"{self.control_url}{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=30) as answer:
            return json.load(answer)

    def inject(
        self, centres: list[str] | str, fault: str, duration_s: float, **params: float
    ) -> list[str]:
        """Inject `fault` into `centres` (ids or "all"); the new fault ids."""
        return self._call(
            "POST",
            "/faults",
            {"centres": centres, "fault": fault, "duration_s": duration_s, "params": params},
        )["ids"]

    def faults(self) -> list[dict]:
        return self._call("GET", "/faults")["faults"]

    def clear(self) -> int:
        """Remove every fault; how many there were."""
        return self._call("DELETE", "/faults")["cleared"]

    # --- life cycle -------------------------------------------------------------------
    def _run(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._main())
        except asyncio.CancelledError:
            pass
        except BaseException as exc:  # reported by start()
            self._error = exc
        finally:
            self._ready.set()
            loop.close()

    async def _main(self) -> None:
        ready = asyncio.Event()
        self._task = asyncio.create_task(
            serve(
                self.centres, self.host, self.port, self.seed, self.allow_faults, self.clock, ready,
                self.natural_faults, self.scenario,
            )
        )
        waiter = asyncio.create_task(ready.wait())
        await asyncio.wait({self._task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        self._ready.set()
        waiter.cancel()
        await self._task

    def start(self) -> BackgroundSimulator:
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT_S) or self._error is not None:
            self.stop()
            raise RuntimeError(f"the simulator did not start: {self._error!r}")
        return self

    def stop(self) -> None:
        loop, task = self._loop, self._task
        if loop is not None and task is not None:
            with contextlib.suppress(RuntimeError):  # the loop already closed
                loop.call_soon_threadsafe(task.cancel)
        self._thread.join(timeout=30)

    def __enter__(self) -> BackgroundSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
