"""The fleet model: the status document any simulated centre gives at any moment.

Pure and deterministic: `FleetModel(centres, seed).document(id, t)` is the same
in every process for the same (seed, centre, t), so history backfilled from the
model matches what the live server answers. Per (centre, local day) figures are
built lazily with numpy (`dayplan.build`) and kept in a bounded cache; a
document is then a few bisects and row lookups.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import replace

from collectors.simulator import dayplan as dp
from collectors.simulator.events import DayEvents, Overload, day_events, overloads
from collectors.simulator.profiles import (
    Profile,
    day_date,
    local_day,
    make_profile,
    windows,
)
from collectors.simulator.scenario import Scenario
from config.catalogue import PROCEDURES
from config.registry import Centre

# Faults that change the document; the rest only change how the server answers.
DOCUMENT_FAULTS = frozenset({"soft_down", "stalled_sync", "otp_spike", "power_cut"})
TRANSPORT_FAULTS = frozenset({"refuse", "hang", "http_5xx", "malformed", "oversized", "slow"})
KNOWN_FAULTS = DOCUMENT_FAULTS | TRANSPORT_FAULTS

SYNC_CATCH_UP = 3.0  # after a backlog, the portal link syncs 3 s of dossiers per second
OTP_SPIKE_P95_S = 40.0
OTP_SPIKE_FAILURE = 0.35

MESSAGES = {
    "hang": "Hệ thống không phản hồi, đang khắc phục",
    "soft_down": "Hệ thống tạm ngừng hoạt động",
    "battery": "Mất điện lưới, đang chạy UPS",
    "cut": "Mất điện",
    "network_down": "Mất kết nối đường truyền",
    "weak": "Đường truyền yếu",
    "backlog": "Đồng bộ Cổng DVC quốc gia chậm",
    "component": "Dịch vụ liên thông gián đoạn",
}


class FleetModel:
    """Status documents for a set of centres under one seed."""

    def __init__(self, centres: Iterable[Centre], seed: int, cache_size: int = 8192,
                 natural_faults: bool = True, scenario: Scenario | None = None):
        """`natural_faults`: False leaves out the day's own power cuts, line and component
        failures, sync backlogs and OTP overloads, so that only injected faults happen
        (the fault-injection suite checks that every alert it caused ends).
        `scenario` (collectors.simulator.scenario): its centre sizes apply every day; on
        its own days its quotas, faults and overloads replace the natural ones."""
        self.seed = seed
        self.natural_faults = natural_faults
        self.scenario = scenario
        self.centres: dict[str, Centre] = {c.id: c for c in centres}
        self.profiles: dict[str, Profile] = {
            cid: make_profile(seed, c) for cid, c in self.centres.items()
        }
        if scenario is not None:
            for cid, monthly in scenario.monthly.items():
                if cid in self.profiles:
                    self.profiles[cid] = replace(self.profiles[cid], monthly=monthly)
        self._cache_size = max(16, cache_size)
        self._plans: OrderedDict[tuple[str, int], dp.DayPlan] = OrderedDict()
        self._overloads: OrderedDict[tuple[int, int], list[Overload]] = OrderedDict()

    def plan(self, centre_id: str, day: int) -> dp.DayPlan:
        """The centre's figures for local day `day` (cached, least recently used out)."""
        key = (centre_id, day)
        plan = self._plans.get(key)
        if plan is not None:
            self._plans.move_to_end(key)
            return plan
        profile = self.profiles[centre_id]
        wins = windows(profile, day)
        sc = self.scenario
        if sc is not None and sc.covers(day):
            events = sc.events.get((centre_id, day), DayEvents())
            ovl = sc.overloads.get(day, []) if self.natural_faults else []
            quota = sc.quotas.get((centre_id, day))
            if quota is not None:
                quota = replace(quota, open_start=self._open_at_start(centre_id, day))
        else:
            events = day_events(self.seed, profile, day) if self.natural_faults else DayEvents()
            ovl = self._province_overloads(profile.province_code, day, bool(wins))
            quota = None
        plan = dp.build(self.seed, profile, day, wins, events, ovl, quota)
        self._plans[key] = plan
        if len(self._plans) > self._cache_size:
            self._plans.popitem(last=False)
        return plan

    def _open_at_start(self, centre_id: str, day: int) -> int | None:
        """The scenario's backlog at the day's midnight: its initial one on its first day,
        else what the previous day's plan left open."""
        sc = self.scenario
        assert sc is not None
        if day == sc.first_day:
            return sc.initial_open.get(centre_id)
        prev = self.plan(centre_id, day - 1)
        a, r = prev.arr_cum[-1], prev.res_cum[-1]
        return int(prev.carry_open + a[dp.A_RECEIVED] - a[dp.A_RETURNED] - r[dp.R_RESOLVED])

    def _province_overloads(self, province: int, day: int, working: bool) -> list[Overload]:
        key = (province, day)
        found = self._overloads.get(key) if self.natural_faults else []
        if found is None:
            # Whether the day is a working day is the province's, not one centre's.
            working = working or day_date(day).weekday() < 5
            found = self._overloads[key] = overloads(self.seed, province, day, working)
            if len(self._overloads) > 1024:
                self._overloads.popitem(last=False)
        return found

    def reachable(self, centre_id: str, t: float) -> bool:
        """False while a natural outage (UPS exhausted, dead line) cuts the centre off."""
        day, s = local_day(t)
        ev = self.plan(centre_id, day).events
        if ev.dead_line is not None and ev.dead_line.covers(s):
            return False
        cut = ev.power_cut
        return not (cut is not None and cut.covers(s) and s >= cut.value)

    def answer_delay(self, centre_id: str, t: float) -> float:
        """Extra seconds a weak line adds to each answer (0 on a good line)."""
        day, s = local_day(t)
        weak = self.plan(centre_id, day).events.weak_line
        return weak.value if weak is not None and weak.covers(s) else 0.0

    def document(
        self,
        centre_id: str,
        t: float,
        faults: frozenset[str] = frozenset(),
        detail: Mapping[str, Mapping[str, float]] | None = None,
    ) -> dict:
        """The status document (docs/centre-api.md) of `centre_id` at Unix time `t`.

        `faults` names injected faults in effect; only DOCUMENT_FAULTS change the
        document. `detail` gives their parameters: {"stalled_sync": {"since": t0}}
        (Unix time the stall began; default `t`), {"otp_spike": {"p95_s": …,
        "failure_ratio": …}}. Raises KeyError for an unknown centre and
        ValueError for an unknown fault name.
        """
        unknown = faults - KNOWN_FAULTS
        if unknown:
            raise ValueError(f"unknown fault(s): {sorted(unknown)}")
        detail = detail or {}
        day, s = local_day(t)
        p = self.plan(centre_id, day)
        c = self.centres[centre_id]
        sec = int(s)
        doc = {
            "centre": {"id": c.id, "name": c.name, "province_code": c.province_code},
            "time": f"{p.date_iso}T{sec // 3600:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}+07:00",
            "system": _system(p, s, faults),
            "otp": _otp(p, s, faults, detail.get("otp_spike", {})),
            "sync": {},
            "dossiers": {},
        }
        i = bisect_right(p.arr_times, s)
        a = p.arr_cum[i].tolist()
        doc["sync"] = _sync(p, s, t, a[dp.A_RECEIVED], faults, detail.get("stalled_sync", {}))
        doc["dossiers"] = _dossiers(p, s, a)
        return doc


def _system(p: dp.DayPlan, s: float, faults: frozenset[str]) -> dict:
    ev = p.events
    comps = {
        "portal_link": "ok",
        "esign": "ok",
        "payment": "ok",
        "results_return": "ok",
        "power": "mains",
        "network": "good",
    }
    notes: list[str] = []
    down = False
    for name, span in ev.components:
        if span.covers(s) and comps[name] != "down":
            comps[name] = span.state
            notes.append("component")
    if ev.sync_backlog is not None and ev.sync_backlog.covers(s):
        if comps["portal_link"] == "ok":
            comps["portal_link"] = "degraded"
        notes.append("backlog")
    if ev.weak_line is not None and ev.weak_line.covers(s):
        comps["network"] = "weak"
        notes.append("weak")
    if ev.dead_line is not None and ev.dead_line.covers(s):
        comps["network"] = "down"
        notes.append("network_down")
        down = True
    cut = ev.power_cut
    if cut is not None and cut.covers(s):
        comps["power"] = "battery" if s < cut.value else "cut"
        notes.append(comps["power"])
        down = down or comps["power"] == "cut"
    if "power_cut" in faults and comps["power"] == "mains":
        comps["power"] = "battery"
        notes.append("battery")
    if ev.system_hang is not None and ev.system_hang.covers(s):
        notes.append("hang")
        down = True
    if "soft_down" in faults:
        notes.append("soft_down")
        down = True
    healthy = {"ok", "mains", "good"}
    status = "down" if down else ("up" if all(v in healthy for v in comps.values()) else "degraded")
    message = "; ".join(dict.fromkeys(MESSAGES[n] for n in notes)) if status != "up" else ""
    return {"status": status, "message": message, "components": comps}


def _otp(p: dp.DayPlan, s: float, faults: frozenset[str], spike: Mapping[str, float]) -> dict:
    b = min(int(s // dp.BIN_S), dp.N_BINS - 1)
    frac = (s - b * dp.BIN_S) / dp.BIN_S
    sent = p.otp_sent_cum[b] + int(frac * p.otp_sent[b])
    failed = p.otp_failed_cum[b] + int(frac * p.otp_failed[b])
    p50, p95, fr = p.otp_p50[b], p.otp_p95[b], p.otp_fr[b]
    if "otp_spike" in faults:
        p95 = max(p95, float(spike.get("p95_s", OTP_SPIKE_P95_S)) * 1000.0)
        p50 = max(p50, round(p95 / 3.0))
        fr = max(fr, float(spike.get("failure_ratio", OTP_SPIKE_FAILURE)))
    return {
        "p50_ms": int(p50),
        "p95_ms": int(p95),
        "failure_ratio": fr,
        "sent_total": sent,
        "failed_total": failed,
    }


def _lag(p: dp.DayPlan, s: float) -> float:
    b = min(int(s // dp.BIN_S), dp.N_BINS - 1)
    frac = (s - b * dp.BIN_S) / dp.BIN_S
    return p.lag_base[b] + frac * (p.lag_base[b + 1] - p.lag_base[b])


def _sync(
    p: dp.DayPlan,
    s: float,
    t: float,
    received: int,
    faults: frozenset[str],
    stall: Mapping[str, float],
) -> dict:
    """Lag, unsynced and synced counts from the point up to which today's dossiers synced."""
    point = s - _lag(p, s)
    backlog = p.events.sync_backlog
    if backlog is not None and s >= backlog.start:
        frozen = backlog.start - _lag(p, backlog.start)
        point = (
            frozen if s < backlog.end else min(point, frozen + SYNC_CATCH_UP * (s - backlog.end))
        )
    if "stalled_sync" in faults:
        since_s = s - max(0.0, t - float(stall.get("since", t)))
        frozen = since_s - (_lag(p, since_s) if since_s >= 0 else 0.0)
        point = min(point, frozen)
    synced = bisect_right(p.arr_times, point) if point > 0 else 0
    return {"lag_seconds": round(s - point), "unsynced": received - synced, "synced_total": synced}


def _dossiers(p: dp.DayPlan, s: float, a: list[int]) -> dict:
    r = p.res_cum[bisect_right(p.res_times, s)].tolist()
    open_ = p.carry_open + a[dp.A_RECEIVED] - a[dp.A_RETURNED] - r[dp.R_RESOLVED]
    return {
        "received_total": a[dp.A_RECEIVED],
        "online_total": a[dp.A_ONLINE],
        "resolved_total": r[dp.R_RESOLVED],
        "resolved_on_time_total": r[dp.R_ON_TIME],
        "resolved_late_total": r[dp.R_LATE],
        "returned_total": a[dp.A_RETURNED],
        "supplement_requested_total": a[dp.A_SUP],
        "supplement_multi_total": a[dp.A_SUP_MULTI],
        "fee_bearing_total": a[dp.A_FEE],
        "paid_online_total": a[dp.A_PAID],
        "digitised_total": a[dp.A_DIGITISED],
        "e_result_total": r[dp.R_E_RESULT],
        "complaints_total": r[dp.R_COMPLAINT],
        "resolution_seconds_total": r[dp.R_SECONDS],
        "open": open_,
        "overdue": max(0, min(open_, p.carry_overdue - r[dp.R_CARRY_LATE])),
        "by_procedure": {
            name: {"received_total": a[dp.A_PROC + k], "resolved_total": r[dp.R_PROC + k]}
            for k, name in enumerate(PROCEDURES)
        },
    }
