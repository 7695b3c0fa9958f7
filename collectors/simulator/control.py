"""The control API on the simulator's main listener: the fleet and fault injection.

GET /control/fleet · POST/GET/DELETE /control/faults · DELETE /control/faults/<id>.
Fault endpoints answer 404 when faults are disabled: always in production mode
(`deployment.mode: production`, `faults_enabled`), or by `simulator.allow_faults: false`
or `--no-faults`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Protocol

from collectors.simulator.documents import dumps
from collectors.simulator.faults import FaultBook, FaultError, parse_request
from config.registry import Centre

Answer = tuple[int, bytes]


class Fleet(Protocol):
    """What the control API needs from the running simulator."""

    book: FaultBook
    allow_faults: bool
    ids: dict[str, Centre]
    clock: Callable[[], float]

    def fleet_body(self) -> bytes: ...
    def reconcile(self) -> None: ...


def faults_enabled(mode: str, allow_faults: bool, no_faults: bool = False) -> bool:
    """Whether the fault-injection API runs: never in production mode (deployment.mode),
    otherwise as `simulator.allow_faults` says, unless `--no-faults`."""
    return mode == "demo" and allow_faults and not no_faults


def _error(status: int, message: str, field: str | None = None) -> Answer:
    body: dict = {"error": message}
    if field is not None:
        body["field"] = field
    return status, dumps(body)


def handle(sim: Fleet, method: str, path: str, body: bytes) -> Answer:
    """Answer a request under /control/ with (HTTP status, JSON body)."""
    if path == "/control/fleet":
        return (200, sim.fleet_body()) if method == "GET" else _error(405, "use GET")
    if not sim.allow_faults or not (
        path == "/control/faults" or path.startswith("/control/faults/")
    ):
        return _error(404, "not found")
    now = sim.clock()
    if path == "/control/faults":
        if method == "GET":
            return 200, dumps({"faults": [f.to_json(now) for f in sim.book.active(now)]})
        if method == "DELETE":
            cleared = sim.book.clear()
            sim.reconcile()
            return 200, dumps({"cleared": cleared})
        if method == "POST":
            return _inject(sim, body, now)
        return _error(405, "use GET, POST or DELETE")
    fault_id = path.removeprefix("/control/faults/")
    if method != "DELETE":
        return _error(405, "use DELETE")
    if not sim.book.remove(fault_id):
        return _error(404, f"no active fault {fault_id!r}", "id")
    sim.reconcile()
    return 200, dumps({"deleted": fault_id})


def _inject(sim: Fleet, body: bytes, now: float) -> Answer:
    try:
        data = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        return _error(400, f"body: not JSON ({exc})", "body")
    try:
        req = parse_request(data, sim.ids)
    except FaultError as exc:
        return 400, dumps(exc.to_json())
    added = sim.book.add(req, now)
    sim.reconcile()
    return 201, dumps(
        {
            "ids": [f.id for f in added],
            "fault": req.fault,
            "duration_s": req.duration_s,
            "params": req.params,
        }
    )
