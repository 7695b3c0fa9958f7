"""The chaos schedule: pure, seeded, so a failing run can be replayed (IOC_FAULT_SEED).

`chaos_plan(seed, ids, chaos_s, …)` lays out, over `chaos_s` seconds: every fault kind the
simulator supports on its own centre; SIGKILLs of the collector (one inside the long
database cut, one long enough for the wall to call the data stale) and of the dashboard;
a long database cut that fills the spool past its bound, a short one within it, and a
severing of every open connection; and the moments to look (wall while the database is
cut or the collector dead, checkpoints of the store, spool snapshots before each restore).
`final_faults(…)` is the closing round: every fault kind at once on other centres.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from collectors.simulator.faults import FAULTS

# What the collector or the alert rules make of each fault (reason of the failed poll,
# or the rule that fires for a fault the centre reports in its document).
EXPECTED: dict[str, str] = {
    "refuse": "refused",
    "hang": "timeout",
    "http_5xx": "http_status",
    "malformed": "bad_payload",
    "oversized": "too_large",
    "slow": "timeout",
    "trickle": "timeout",
    "power_cut": "timeout",
    "soft_down": "rule:centre_down",  # its own system down: the same outage alert
    "otp_spike": "rule:otp_p95_high",
    "stalled_sync": "rule:sync_stalled",
}
# Faults the chaos leaves out, and why (each has its own test in tests/faults).
NOT_IN_CHAOS = {"label_flood": "the poll stays ok; test_deadlines.py checks the spool's bound"}
assert set(EXPECTED) | set(NOT_IN_CHAOS) == set(FAULTS), \
    "a new simulator fault needs its expectation here"
MIN_CHAOS_S = 45.0
TRANSPORT = tuple(k for k, v in EXPECTED.items() if not v.startswith("rule:"))


@dataclass(frozen=True)
class Step:
    at_s: float
    action: str
    centres: tuple[str, ...] = ()
    fault: str = ""
    duration_s: float = 0.0
    params: dict[str, float] = field(default_factory=dict)

    def describe(self) -> str:
        what = f" {self.fault} on {','.join(self.centres)} for {self.duration_s:.1f} s" \
            if self.fault else ""
        return f"t+{self.at_s:5.1f} s {self.action}{what} {self.params or ''}".rstrip()


def fault_params(fault: str, rng: random.Random, timeout_s: float,
                 max_body_bytes: int) -> dict[str, float]:
    """Parameters that make the fault visible to this collector."""
    if fault == "http_5xx":
        return {"status": rng.choice([500, 502, 503, 504, rng.randint(505, 599)])}
    if fault == "slow":  # slower than the read timeout: a timeout, not just a slow answer
        return {"delay_s": round(rng.uniform(timeout_s + 0.3, timeout_s + 1.5), 2)}
    if fault == "trickle":  # a byte at a time, each within the read timeout: only the
        # exchange's total deadline stops it
        return {"every_s": round(rng.uniform(timeout_s / 4, timeout_s / 2), 2), "bytes": 1}
    if fault == "oversized":
        return {"bytes": rng.randint(max_body_bytes + 1, 3 * max_body_bytes)}
    if fault == "power_cut":
        return {"battery_s": round(rng.uniform(0, 1.5), 2)}
    if fault == "otp_spike":
        return {"p95_s": round(rng.uniform(40, 120), 1)}
    return {}


def fault_duration(fault: str, rng: random.Random, interval_s: float) -> float:
    # A stalled sync needs its lag to grow by the rule's min_increase over its window.
    low = 14.0 if fault == "stalled_sync" else 3 * interval_s
    return round(rng.uniform(low, low + 3 * interval_s), 1)


def chaos_plan(seed: int, ids: list[str], chaos_s: float, *, interval_s: float,
               timeout_s: float, stale_after_s: float, spool_cycles: float,
               max_body_bytes: int) -> tuple[list[Step], list[str]]:
    """The chaos steps in time order, and the centres left untouched for the final round."""
    rng = random.Random(seed)
    if chaos_s < MIN_CHAOS_S:
        raise ValueError(f"chaos_s must be at least {MIN_CHAOS_S:g} s, not {chaos_s}")
    for _ in range(100):  # a draw that leaves no room for a step is drawn again
        try:
            return _draw(rng, ids, chaos_s, interval_s, timeout_s, stale_after_s,
                         spool_cycles, max_body_bytes)
        except _NoRoom:
            continue
    raise ValueError(f"no chaos plan fits in {chaos_s} s; give it more time")


class _NoRoom(Exception):
    pass


def _draw(rng: random.Random, ids: list[str], chaos_s: float, interval_s: float,
          timeout_s: float, stale_after_s: float, spool_cycles: float,
          max_body_bytes: int) -> tuple[list[Step], list[str]]:
    centres = list(ids)
    rng.shuffle(centres)
    steps: list[Step] = []

    busy: dict[str, list[tuple[float, float]]] = {"db": [], "collector": [], "dashboard": []}

    def free(length: float, margin: float, *clear_of: str, low: float = 2.0) -> float:
        """A random start for `length` s that keeps `margin` s away from `clear_of`'s spans."""
        spans = [s for k in clear_of for s in busy[k]]
        for _ in range(200):
            t = rng.uniform(low, chaos_s - length - 2)
            if all(t + length + margin < a or t > b + margin for a, b in spans):
                return t
        raise _NoRoom

    # The database: a long cut (the spool fills past its bound), a short one (within it).
    long_s, short_s = (spool_cycles + 5) * interval_s, 2 * interval_s
    for n, length in enumerate((long_s, short_s)):
        at = free(length, 4 * interval_s, "db", low=4.0)
        busy["db"].append((at, at + length))
        # The long cut lasts at least until a cycle is dropped at the bound (`overflow`):
        # on a loaded machine a restarted collector may take seconds to start cycling.
        steps += [Step(at, "cut_db"),
                  Step(at + length - 0.3, "snapshot_spool", params={"overflow": 1.0} if n == 0
                       else {}),
                  Step(at + length, "restore_db")]
        if n == 0:
            steps.append(Step(at + length / 2, "look_no_db"))
            busy["dashboard"].append((at + length / 2 - 1.5, at + length / 2))
            # A collector SIGKILL inside the long cut: its spool must survive the restart.
            kill = at + rng.uniform(interval_s, length / 2 - 0.5)
            back = kill + rng.uniform(0.2, 1.5)
            busy["collector"].append((kill, back))
            steps += [Step(kill, "kill_collector"), Step(back, "start_collector")]
    # A collector dead long enough for the wall to call the data stale.
    dead_s = stale_after_s + 2 * interval_s
    at = free(dead_s, interval_s, "db", "collector")
    busy["collector"].append((at, at + dead_s))
    busy["dashboard"].append((at + dead_s - 1.5, at + dead_s))  # the look at the wall
    steps += [Step(at, "kill_collector"), Step(at + dead_s - 0.5, "look_stale"),
              Step(at + dead_s, "start_collector")]
    for _ in range(2):  # and quick deaths at random moments (during cuts too)
        down = rng.uniform(0.1, 2.5)
        at = free(down, 1.0, "collector")
        busy["collector"].append((at, at + down))
        steps += [Step(at, "kill_collector"), Step(at + down, "start_collector")]
    for _ in range(2):  # the dashboard, at random moments (not during the stale look)
        at = free(6.0, interval_s, "dashboard")
        busy["dashboard"].append((at, at + 6.0))
        steps += [Step(at, "kill_dashboard"),
                  Step(at + rng.uniform(0, 1.0), "start_dashboard")]
    steps.append(Step(rng.uniform(2, chaos_s - 2), "drop_connections"))
    for _ in range(3):
        steps.append(Step(free(0.5, 0.5, "db"), "checkpoint"))

    kinds = [k for k in FAULTS if k in EXPECTED]
    rng.shuffle(kinds)
    for kind in kinds:
        length = fault_duration(kind, rng, interval_s)
        steps.append(Step(rng.uniform(1, max(1.5, chaos_s - length - 2)), "fault",
                          (centres.pop(),), kind, length,
                          fault_params(kind, rng, timeout_s, max_body_bytes)))
    return _ordered(steps), centres


def _ordered(steps: list[Step]) -> list[Step]:
    """Time order; a start never before the kill it answers (both at the same time: kill)."""
    order = {"kill_collector": 0, "kill_dashboard": 0}
    return sorted(steps, key=lambda s: (round(s.at_s, 3), order.get(s.action, 1)))


def final_faults(seed: int, centres: list[str], *, interval_s: float, timeout_s: float,
                 max_body_bytes: int) -> list[Step]:
    """Every fault kind at once, each on its own centre, all lasting the same time."""
    rng = random.Random(seed + 1)
    kinds = [k for k in FAULTS if k in EXPECTED]
    if len(centres) < len(kinds):
        raise ValueError(f"{len(kinds)} centres needed for the final round, {len(centres)} left")
    picked = rng.sample(centres, len(kinds))
    length = max(16.0, 8 * interval_s)
    return [Step(0.0, "fault", (cid,), kind, length,
                 fault_params(kind, rng, timeout_s, max_body_bytes))
            for cid, kind in zip(picked, kinds, strict=True)]
