"""The simulator's HTTP server: every centre on its own loopback host, plus a main listener.

Each centre listens on `sim_host(id):port` and answers `/c/<id>/health`,
`/status`, `/status/<family>` and `/metrics` (docs/centre-api.md). The main
listener on host:port serves every centre at the same paths, `/healthz` and
the control API (`control.py`). Injected faults (`faults.py`) and the model's
natural outages decide whether and how a centre answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
import signal
import socket
import time
from collections.abc import Callable, Iterable

from collectors.simulator import control
from collectors.simulator import documents as body
from collectors.simulator.addressing import sim_host
from collectors.simulator.faults import Effect, FaultBook
from collectors.simulator.httpconn import IDLE_TIMEOUT_S, Connection, Request
from collectors.simulator.model import FleetModel
from collectors.simulator.profiles import DAY_S, local_day
from collectors.simulator.scenario import load as load_scenario
from config.registry import Centre, fleet

log = logging.getLogger("ioc.simulator")
TICK_S = 0.2  # how often faults are reconciled (refuse starts/ends, hung connections)
PREWARM_S = 900.0  # build tomorrow's figures during the last 15 minutes of the day
PREWARM_PER_TICK = 40


def raise_open_files_limit() -> int:
    """Raise the soft RLIMIT_NOFILE to the hard limit (thousands of sockets); the new soft."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def _listen_socket(host: str, port: int, backlog: int) -> socket.socket:
    # proto=IPPROTO_TCP so asyncio sets TCP_NODELAY on accepted sockets (it checks the
    # protocol); without it Nagle's algorithm and delayed ACKs add ~40 ms to each answer.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(backlog)
    sock.setblocking(False)
    return sock


class Simulator:
    """The running fleet: model, faults, listeners and open connections."""

    def __init__(
        self,
        centres: Iterable[Centre],
        host: str,
        port: int,
        seed: int,
        allow_faults: bool,
        clock: Callable[[], float],
        natural_faults: bool = True,
        scenario: str = "",
    ):
        self.ids: dict[str, Centre] = {c.id: c for c in centres}
        sc = load_scenario(scenario, list(self.ids.values()), seed) if scenario else None
        self.model = FleetModel(self.ids.values(), seed, natural_faults=natural_faults,
                                scenario=sc)
        self.host, self.port, self.seed = host, port, seed
        self.allow_faults = allow_faults
        self.clock = clock
        self.book = FaultBook()
        self.conns: set[Connection] = set()
        self.listeners: dict[str, asyncio.Server] = {}
        self.closed: set[str] = set()  # centres whose listener a `refuse` fault closed
        self._fleet_body: bytes | None = None
        self._warm = (0, 0)  # (day being prewarmed, next index)
        self._tasks: set[asyncio.Task] = set()

    def base_url(self, centre_id: str) -> str:
        return f"http://{sim_host(centre_id)}:{self.port}/c/{centre_id}"

    def fleet_body(self) -> bytes:
        if self._fleet_body is None:
            self._fleet_body = body.dumps(
                {
                    "seed": self.seed,
                    "count": len(self.ids),
                    "centres": [
                        {
                            "id": c.id,
                            "name": c.name,
                            "kind": c.kind,
                            "province_code": c.province_code,
                            "base_url": self.base_url(c.id),
                            "main_url": f"http://{self.host}:{self.port}/c/{c.id}",
                        }
                        for c in self.ids.values()
                    ],
                }
            )
        return self._fleet_body

    def health_body(self) -> bytes:
        """/healthz: answering at all means every listener is open (the main one opens last)."""
        return body.dumps({"status": "ok", "centres": len(self.ids),
                           "faults_api": self.allow_faults,
                           "refused_centres": len(self.closed)})

    # --- answering -------------------------------------------------------------------
    def handle(self, conn: Connection, req: Request) -> None:
        path = req.path
        if path.startswith("/c/"):
            cid, _, endpoint = path[3:].partition("/")
            if cid not in self.ids or (conn.centre_id is not None and cid != conn.centre_id):
                conn.send(404, body.dumps({"error": f"no centre {cid!r} here"}), body.JSON_TYPE)
            elif req.method != "GET":
                conn.send(405, body.dumps({"error": "use GET"}), body.JSON_TYPE)
            else:
                self._centre(conn, cid, endpoint)
        elif conn.centre_id is None and path == "/healthz":
            conn.send(200, self.health_body(), body.JSON_TYPE)
        elif conn.centre_id is None and path.startswith("/control/"):
            status, answer = control.handle(self, req.method, path, req.body)
            conn.send(status, answer, body.JSON_TYPE)
        else:
            conn.send(404, body.dumps({"error": "not found"}), body.JSON_TYPE)

    def _effect(self, cid: str, now: float) -> Effect | None:
        return self.book.effect(cid, now) if self.book else None

    def _centre(self, conn: Connection, cid: str, endpoint: str) -> None:
        now = self.clock()
        eff = self._effect(cid, now)
        if eff is not None and eff.refuse:
            conn.abort()  # the main listener cannot refuse one path; reset instead
            return
        if (eff is not None and eff.hang) or not self.model.reachable(cid, now):
            conn.hang(cid)
            return
        delay = self.model.answer_delay(cid, now) + (eff.delay_s if eff else 0.0)
        if delay > 0:
            conn.later(delay, lambda: self._answer(conn, cid, endpoint))
        else:
            self._answer(conn, cid, endpoint)

    def _answer(self, conn: Connection, cid: str, endpoint: str) -> None:
        now = self.clock()
        eff = self._effect(cid, now)
        kind = (
            "metrics" if endpoint == "metrics" else ("health" if endpoint == "health" else "json")
        )
        ctype = {"metrics": body.PROM_TYPE, "health": body.TEXT_TYPE}.get(kind, body.JSON_TYPE)
        if eff is not None:
            if eff.status is not None:
                conn.send(eff.status, body.dumps({"error": "service unavailable"}), body.JSON_TYPE)
                return
            if eff.malformed:
                conn.send(200, body.malformed_body(kind), ctype)
                return
            if eff.oversized is not None:
                conn.send(200, body.oversized_body(eff.oversized), ctype)
                return
        doc = self.model.document(
            cid, now, frozenset(eff.document) if eff else frozenset(), eff.detail if eff else None
        )
        if eff is not None and eff.label_flood is not None:
            doc = body.flooded(doc, *eff.label_flood)
        status, payload, ctype = self._payload(doc, endpoint)
        if eff is not None and eff.trickle is not None:
            conn.trickle(status, payload, ctype, *eff.trickle)
        else:
            conn.send(status, payload, ctype)

    def _payload(self, doc: dict, endpoint: str) -> tuple[int, bytes, str]:
        """The (status, body, content type) a healthy centre answers on `endpoint`."""
        if endpoint == "health":
            up = doc["system"]["status"] != "down"
            return (200 if up else 503), (b"ok\n" if up else b"down\n"), body.TEXT_TYPE
        if endpoint == "status":
            return 200, body.status_body(doc), body.JSON_TYPE
        if endpoint == "metrics":
            return 200, body.exposition(doc), body.PROM_TYPE
        if endpoint.startswith("status/") and endpoint[7:] in body.FAMILIES:
            return 200, body.family_body(doc, endpoint[7:]), body.JSON_TYPE
        return 404, body.dumps({"error": f"no endpoint {endpoint!r}"}), body.JSON_TYPE

    # --- listeners and housekeeping ----------------------------------------------------
    async def open_centre(self, cid: str) -> None:
        loop = asyncio.get_running_loop()
        sock = _listen_socket(sim_host(cid), self.port, 128)
        self.listeners[cid] = await loop.create_server(
            lambda: Connection(self, cid, self.conns), sock=sock
        )
        if cid in self.closed:  # refused again while this was opening
            self.listeners.pop(cid).close()

    def reconcile(self) -> None:
        """Close listeners of newly refused centres, reopen those whose refusal ended."""
        now = self.clock()
        want = self.book.refused(now) if self.book else set()
        for cid in want - self.closed:
            self.closed.add(cid)
            server = self.listeners.pop(cid, None)
            if server is not None:
                server.close()
            for conn in [c for c in self.conns if c.centre_id == cid]:
                conn.abort()
        for cid in self.closed - want:
            self.closed.discard(cid)
            task = asyncio.get_running_loop().create_task(self.open_centre(cid))
            self._tasks.add(task)  # keep a reference until it ends
            task.add_done_callback(self._tasks.discard)

    def tick(self) -> None:
        """Housekeeping: refusals, hung connections whose cause ended, idle connections."""
        self.reconcile()
        now, mono = self.clock(), time.monotonic()
        for conn in list(self.conns):
            cid = conn.hung_on
            if cid is not None:
                eff = self._effect(cid, now)
                if not ((eff is not None and eff.hang) or not self.model.reachable(cid, now)):
                    conn.close()  # the cause ended; the client has long given up
            elif conn.idle_for(mono) > IDLE_TIMEOUT_S:
                conn.close()
        self._prewarm(now)

    def _prewarm(self, now: float) -> None:
        day, s = local_day(now)
        if s < DAY_S - PREWARM_S:
            return
        warm_day, i = self._warm
        if warm_day != day + 1:
            i = 0
        ids = list(self.ids)
        for cid in ids[i : i + PREWARM_PER_TICK]:
            self.model.plan(cid, day + 1)
        self._warm = (day + 1, i + PREWARM_PER_TICK)


async def serve(
    centres: Iterable[Centre],
    host: str,
    port: int,
    seed: int,
    allow_faults: bool = True,
    clock: Callable[[], float] = time.time,
    ready: asyncio.Event | None = None,
    natural_faults: bool = True,
    scenario: str = "",
) -> None:
    """Serve `centres` until cancelled; sets `ready` once every listener is open.
    `natural_faults`, `scenario` (a name in `scenario.SCENARIOS`): see `FleetModel`."""
    raise_open_files_limit()
    sim = Simulator(centres, host, port, seed, allow_faults, clock, natural_faults, scenario)
    loop = asyncio.get_running_loop()
    day = local_day(clock())[0]
    for cid in sim.ids:  # build today's figures before the first poll arrives
        sim.model.plan(cid, day)
    main: asyncio.Server | None = None
    try:
        for cid in sim.ids:
            await sim.open_centre(cid)
        # The main listener opens last, so `/healthz` answering means every centre listens.
        main = await loop.create_server(
            lambda: Connection(sim, None, sim.conns), sock=_listen_socket(host, port, 1024)
        )
        log.info("simulator: %d centres on http://%s:%s (seed %s), fault API %s%s",
                 len(sim.ids), host, port, seed, "on" if allow_faults else "off",
                 f", scenario {scenario}" if scenario else "")
        if ready is not None:
            ready.set()
        while True:
            await asyncio.sleep(TICK_S)
            sim.tick()
    finally:
        if main is not None:
            main.close()
        for server in sim.listeners.values():
            server.close()
        for conn in list(sim.conns):
            conn.abort()


def run(fleet_spec: str, host: str, port: int, seed: int, allow_faults: bool,
        natural_faults: bool = True, scenario: str = "") -> None:
    """Serve a fleet spec ('hue', 'province:<code>', 'national') until SIGINT or SIGTERM."""
    centres = fleet(fleet_spec)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await serve(centres, host, port, seed, allow_faults,
                        natural_faults=natural_faults, scenario=scenario)

    asyncio.run(main())
