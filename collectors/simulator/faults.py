"""Injected faults: their catalogue, the control API's validation, and the book of active ones.

Pure state: the clock is passed in. A fault applies to one centre from its start
for `duration_s` seconds and then expires by itself. Everything a control
request sends is checked; a `FaultError` names the field that is wrong.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field

MAX_DURATION_S = 7 * 86_400.0
MAX_OVERSIZED_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Param:
    """One numeric fault parameter: its range and default."""

    minimum: float
    maximum: float
    default: float
    integer: bool = False


# Every fault and its parameters (docs/simulator.md).
FAULTS: dict[str, dict[str, Param]] = {
    "refuse": {},  # the centre's listening socket closes: connection refused
    "hang": {},  # accept, read, never answer
    "http_5xx": {"status": Param(500, 599, 503, integer=True)},
    "malformed": {},  # 200 with a body that does not parse
    "oversized": {"bytes": Param(1, MAX_OVERSIZED_BYTES, 5_000_000, integer=True)},
    "slow": {"delay_s": Param(0, 3600, 5.0)},
    # the whole answer (status line, headers, body) sent `bytes` at a time every `every_s`
    # a hostile document: `keys` extra procedures, each name `key_bytes` long (not a valid
    # label), in dossiers.by_procedure
    "label_flood": {"keys": Param(1, 5_000, 500, integer=True),
                    "key_bytes": Param(1, 8_192, 2_000, integer=True)},
    "trickle": {"every_s": Param(0.01, 60, 0.5), "bytes": Param(1, 65_536, 1, integer=True)},
    "stalled_sync": {},  # portal sync stops: lag and unsynced grow
    "otp_spike": {"p95_s": Param(1, 3600, 40.0), "failure_ratio": Param(0, 1, 0.35)},
    "power_cut": {"battery_s": Param(0, MAX_DURATION_S, 0.0)},  # UPS, then unreachable
    "soft_down": {},  # HTTP 200 but the document says down; health answers 503
}
REQUEST_KEYS = ("centres", "fault", "duration_s", "params")


class FaultError(ValueError):
    """A control request that cannot be accepted; `field` names the culprit."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason

    def to_json(self) -> dict:
        return {"error": str(self), "field": self.field}


@dataclass(frozen=True, slots=True)
class FaultRequest:
    centres: tuple[str, ...]
    fault: str
    duration_s: float
    params: dict[str, float]


def _number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise FaultError(name, "must be a finite number")
    return float(value)


def parse_request(body: object, known_ids: Collection[str]) -> FaultRequest:
    """Check a POST /control/faults body; `known_ids` are the fleet's centre ids (in order)."""
    if not isinstance(body, Mapping):
        raise FaultError("body", "must be a JSON object")
    for key in body:
        if key not in REQUEST_KEYS:
            raise FaultError(str(key), f"unknown key; expected {', '.join(REQUEST_KEYS)}")
    centres = body.get("centres")
    if centres == "all":
        ids = tuple(known_ids)
    elif isinstance(centres, list) and centres and all(isinstance(c, str) for c in centres):
        unknown = [c for c in centres if c not in known_ids]
        if unknown:
            raise FaultError("centres", f"not in the fleet: {', '.join(unknown[:10])}")
        ids = tuple(dict.fromkeys(centres))
    else:
        raise FaultError("centres", 'must be "all" or a non-empty list of centre ids')
    fault = body.get("fault")
    if fault not in FAULTS:
        raise FaultError("fault", f"must be one of {', '.join(FAULTS)}")
    duration = _number(body.get("duration_s"), "duration_s")
    if not 0 < duration <= MAX_DURATION_S:
        raise FaultError("duration_s", f"must be > 0 and <= {MAX_DURATION_S:g}")
    raw = body.get("params", {})
    if not isinstance(raw, Mapping):
        raise FaultError("params", "must be a JSON object")
    spec = FAULTS[fault]
    params = {}
    for key, value in raw.items():
        name = f"params.{key}"
        if key not in spec:
            allowed = ", ".join(spec) or "none"
            raise FaultError(name, f"unknown parameter for {fault}; allowed: {allowed}")
        p = spec[key]
        v = _number(value, name)
        if p.integer and v != int(v):
            raise FaultError(name, "must be an integer")
        if not p.minimum <= v <= p.maximum:
            raise FaultError(name, f"must be between {p.minimum:g} and {p.maximum:g}")
        params[key] = v
    for key, p in spec.items():
        params.setdefault(key, p.default)
    return FaultRequest(ids, fault, duration, params)


@dataclass(frozen=True, slots=True)
class Fault:
    """One fault on one centre over [start, end) in Unix seconds."""

    id: str
    centre_id: str
    fault: str
    params: dict[str, float]
    start: float
    end: float

    def to_json(self, now: float) -> dict:
        return {
            "id": self.id,
            "centre": self.centre_id,
            "fault": self.fault,
            "params": self.params,
            "start": self.start,
            "end": self.end,
            "remaining_s": round(max(0.0, self.end - now), 3),
        }


@dataclass(slots=True)
class Effect:
    """What the active faults do to one centre's answers at one moment."""

    refuse: bool = False
    hang: bool = False  # includes a power cut whose battery has run out
    status: int | None = None  # answer this HTTP status instead
    malformed: bool = False
    oversized: int | None = None  # answer a body of this many bytes
    delay_s: float = 0.0
    trickle: tuple[float, int] | None = None  # (every_s, bytes) per piece of the answer
    label_flood: tuple[int, int] | None = None  # (keys, key_bytes) added to the document
    document: set[str] = field(default_factory=set)  # faults the model applies
    detail: dict[str, dict[str, float]] = field(default_factory=dict)


class FaultBook:
    """The active faults, by centre; expired ones are dropped as they are met."""

    def __init__(self) -> None:
        self._by_centre: dict[str, list[Fault]] = {}
        self._next = 1

    def __bool__(self) -> bool:
        return bool(self._by_centre)

    def add(self, req: FaultRequest, now: float) -> list[Fault]:
        added = []
        for cid in req.centres:
            f = Fault(str(self._next), cid, req.fault, dict(req.params), now, now + req.duration_s)
            self._next += 1
            self._by_centre.setdefault(cid, []).append(f)
            added.append(f)
        return added

    def _live(self, centre_id: str, now: float) -> list[Fault]:
        faults = self._by_centre.get(centre_id)
        if not faults:
            return []
        live = [f for f in faults if f.end > now]
        if len(live) != len(faults):
            if live:
                self._by_centre[centre_id] = live
            else:
                del self._by_centre[centre_id]
        return live

    def active(self, now: float) -> list[Fault]:
        """Every fault still in effect, oldest first."""
        out = [f for cid in list(self._by_centre) for f in self._live(cid, now)]
        return sorted(out, key=lambda f: int(f.id))

    def remove(self, fault_id: str) -> bool:
        for cid, faults in list(self._by_centre.items()):
            kept = [f for f in faults if f.id != fault_id]
            if len(kept) != len(faults):
                if kept:
                    self._by_centre[cid] = kept
                else:
                    del self._by_centre[cid]
                return True
        return False

    def clear(self) -> int:
        n = sum(len(v) for v in self._by_centre.values())
        self._by_centre.clear()
        return n

    def refused(self, now: float) -> set[str]:
        """Centres whose listening socket must be closed now."""
        return {
            cid
            for cid in list(self._by_centre)
            if any(f.fault == "refuse" for f in self._live(cid, now))
        }

    def effect(self, centre_id: str, now: float) -> Effect | None:
        """The combined effect of the centre's active faults; None when it has none."""
        live = self._live(centre_id, now)
        if not live:
            return None
        e = Effect()
        for f in live:
            APPLY.get(f.fault, _document)(e, f, now)
        return e


def _document(e: Effect, f: Fault, now: float) -> None:
    """A fault the model shows in the document (soft_down, stalled_sync, otp_spike)."""
    e.document.add(f.fault)
    e.detail[f.fault] = {**f.params, "since": f.start}


def _power_cut(e: Effect, f: Fault, now: float) -> None:
    if now >= f.start + f.params["battery_s"]:
        e.hang = True  # the UPS ran out: nothing answers, as with a dead line
    else:
        _document(e, f, now)


def _set(**changes: object) -> Callable[[Effect, Fault, float], None]:
    def apply(e: Effect, f: Fault, now: float) -> None:
        for name, value in changes.items():
            setattr(e, name, value(f.params) if callable(value) else value)

    return apply


# How each transport fault changes the answer; the rest go to the model.
APPLY: dict[str, Callable[[Effect, Fault, float], None]] = {
    "refuse": _set(refuse=True),
    "hang": _set(hang=True),
    "http_5xx": _set(status=lambda p: int(p["status"])),
    "malformed": _set(malformed=True),
    "oversized": _set(oversized=lambda p: int(p["bytes"])),
    "slow": _set(delay_s=lambda p: float(p["delay_s"])),
    "label_flood": _set(label_flood=lambda p: (int(p["keys"]), int(p["key_bytes"]))),
    "trickle": _set(trickle=lambda p: (float(p["every_s"]), int(p["bytes"]))),
    "power_cut": _power_cut,
}
