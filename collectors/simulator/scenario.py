"""Scenarios: historical days the simulator replays from a reported situation.

A scenario fixes, for some centres and local days, how many dossiers are received and
resolved by a cut-off moment (`Quota`), which faults happen (`DayEvents`) and the
province's OTP overloads, and gives every centre a size (dossiers a month) taken from
what is known of it instead of a random draw. Everything else (arrival times within the
day, procedures, outcomes, OTP and sync figures) comes from the ordinary model, so the
reported totals come out of the same per-dossier plan as any other day's figures.

`hue-first-week` (docs/simulator.md): Thành phố Huế's 40 commune centres in the first
days of the two-tier local government, 1–3 July 2025, as reported by the city's
administrative centre (huengaynay.vn, /work/shared/seeds/000_…txt; docs/domain.md):
"as of 10:00 on 3 July the 40 commune centres had received 1,283 dossiers, of which 382
were resolved; most received Phú Xuân (151) and Quảng Điền (151); most resolved Quảng
Điền (61) and Hương An (36)".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from collectors.simulator.events import DayEvents, Overload, Span
from collectors.simulator.profiles import DAY_S, EPOCH, MORNING, unit_noise
from config.registry import Centre

H = 3600.0
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass(frozen=True, slots=True)
class Quota:
    """What a centre's plan must hold on one local day: exactly `received` arrivals and
    `resolved` resolutions at or before `cutoff_s` (local seconds; DAY_S: the whole day),
    with `open_start` dossiers open at midnight (None: the model's own estimate)."""

    cutoff_s: float
    received: int
    resolved: int
    open_start: int | None = None


@dataclass(frozen=True)
class Scenario:
    """Days the simulator replays: sizes, quotas, faults and overloads."""

    name: str
    province_code: int
    first_day: int  # local day numbers (days since 1970-01-01), inclusive
    last_day: int  # the last day whose faults and overloads are the scenario's own
    backfill_end: date  # history is written from first_day 00:00 to this date's 00:00
    monthly: dict[str, float]  # centre id -> dossiers a month
    quotas: dict[tuple[str, int], Quota]
    events: dict[tuple[str, int], DayEvents] = field(default_factory=dict)
    overloads: dict[int, list[Overload]] = field(default_factory=dict)
    initial_open: dict[str, int] = field(default_factory=dict)  # backlog at first_day 00:00

    def covers(self, day: int) -> bool:
        """True on the scenario's own days (faults and overloads are its, not natural)."""
        return self.first_day <= day <= self.last_day


def day_number(d: date) -> int:
    return (d - EPOCH).days


# ---------------------------------------------------------------------------- allocation


def largest_remainder(total: int, weights: Sequence[float]) -> list[int]:
    """`total` split in proportion to `weights` (integers summing to `total`; ties to the
    earlier index)."""
    if total < 0 or not weights or any(w < 0 for w in weights) or sum(weights) <= 0:
        raise ValueError("need a non-negative total and non-negative weights with a sum")
    s = float(sum(weights))
    exact = [total * w / s for w in weights]
    out = [math.floor(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (out[i] - exact[i], i))
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out


def allocate(total: int, weights: Mapping[str, float], pinned: Mapping[str, int],
             below: int | None = None) -> dict[str, int]:
    """`total` over the centres of `weights`: the `pinned` ones get their figure, the rest
    share what is left in proportion to their weight, each kept strictly `below` a
    bound (what exceeds it goes to the others, still by weight)."""
    rest = total - sum(pinned.values())
    free = [c for c in weights if c not in pinned]
    if rest < 0 or (rest and not free):
        raise ValueError("the pinned figures exceed the total")
    out = dict(pinned)
    capped: dict[str, int] = {}
    while True:
        open_ = [c for c in free if c not in capped]
        share = largest_remainder(rest - sum(capped.values()), [weights[c] for c in open_])
        over = [c for c, v in zip(open_, share, strict=True) if below is not None and v >= below]
        if below is None or not over:
            out.update(zip(open_, share, strict=True))
            out.update(capped)
            return out
        if len(over) == len(open_):
            raise ValueError(f"cannot keep every centre below {below}")
        for c in over:
            capped[c] = below - 1


# ------------------------------------------------------------------------------ hue sizes

# What the registry knows of each centre (vietnam-provinces' 2025 conversion table: the
# former communes, wards and towns merged into it, and their former district): a centre's
# size score is the sum over its former units of these weights. Inner-city wards of the
# former Phú Xuân and Thuận Hóa districts (quận) are the densest; wards of the former
# towns (thị xã) and district towns (thị trấn) next; lowland communes; then the mountain
# communes of the former A Lưới and Nam Đông districts.
UNIT_WEIGHT = {"inner_ward": 1.0, "town_ward": 0.6, "district_town": 0.6, "commune": 0.35,
               "mountain_commune": 0.25}
MOUNTAIN_DISTRICTS = {481}  # Huyện A Lưới
# The former Nam Đông district, merged into Phú Lộc district on 1 January 2025
# (Resolution 1314/NQ-UBTVQH15): its ten former communes' codes (GSO code list).
FORMER_NAM_DONG = range(20161, 20192)


def _unit_class(code: int, district_code: int, kind: str, district_kind: str) -> str:
    if kind == "phường":
        return "inner_ward" if district_kind == "quận" else "town_ward"
    if kind == "thị trấn":
        return "district_town"
    if district_code in MOUNTAIN_DISTRICTS or code in FORMER_NAM_DONG:
        return "mountain_commune"
    return "commune"


def size_scores(centres: Sequence[Centre]) -> dict[str, float]:
    """Each commune centre's size score from its former units (`UNIT_WEIGHT`)."""
    from vietnam_provinces._ward_conversion_2025 import find_old_wards
    from vietnam_provinces.legacy import District, DistrictCode
    from vietnam_provinces.legacy import Ward as LegacyWard
    from vietnam_provinces.legacy import WardCode as LegacyWardCode

    out = {}
    for c in centres:
        entry = find_old_wards(int(c.id))
        if entry is None:
            raise ValueError(f"no former units known for centre {c.id}")
        score = 0.0
        for old in entry.old_wards:
            kind = str(LegacyWard.from_code(LegacyWardCode(old.code)).division_type.value)
            district_kind = str(
                District.from_code(DistrictCode(old.district_code)).division_type.value)
            weight = UNIT_WEIGHT[_unit_class(old.code, old.district_code, kind, district_kind)]
            score += weight
        out[c.id] = score
    return out


# --------------------------------------------------------------------- hue-first-week plan

HUE = 46
PHU_XUAN, QUANG_DIEN, HUONG_AN = "19753", "19867", "19804"
REPORT_DAY = date(2025, 7, 3)
REPORT_CUTOFF_S = 10 * H  # 10:00 local
RECEIVED_TOTAL, RESOLVED_TOTAL = 1283, 382
RECEIVED_PINNED = {PHU_XUAN: 151, QUANG_DIEN: 151}
RESOLVED_PINNED = {QUANG_DIEN: 61, HUONG_AN: 36}
# How the reported period's dossiers spread over its days: the first day was the lightest
# (people waited to see the new centres work, staff were learning the new platform), the
# second a full day; the third counts only until 10:00 (its share of a working day's
# arrivals by then comes from the hour-of-day profile). Resolutions lag arrivals.
RECEIVED_DAY_WEIGHT = (0.8, 1.0)
RESOLVED_DAY_WEIGHT = (0.55, 1.0)
INITIAL_OPEN_DAYS = 1.0  # dossiers handed over from the former units: a day's worth
WORKING_DAYS_PER_MONTH = 22.0
ONLINE_SHARE_MEAN = 0.325  # the model's online shares are 0.20–0.45 (profiles.py)

# Faults reported for those days (huengaynay.vn): Phong Dinh, Phong Điền, Kim Trà, Long
# Quảng, Kim Long, Mỹ Thượng and Vỹ Dạ could not connect or synchronise; Mỹ Thượng could
# not collect fees through the system (paper receipts); at Vỹ Dạ the system was still
# "loading" at 11:30 and citizens were asked to come back after lunch; accounts, digital
# signatures and the results-return system failed at some centres; the national portal
# (and with it the OTP codes) was overloaded in the first days (docs/domain.md).
SYNC_TROUBLE = {  # centre -> per day (1, 2, 3) the portal-sync backlog (start, end) hours
    "19831": ((8.0, 11.5), (13.5, 16.0), (7.5, 10.5)),  # Phong Dinh
    "19819": ((8.5, 11.0), (14.0, 15.5), (8.0, 10.25)),  # Phong Điền
    "20017": ((9.0, 11.5), None, (8.5, 10.5)),  # Kim Trà
    "20182": ((8.0, 12.0), (8.0, 9.5), (9.0, 11.0)),  # Long Quảng
    "19774": ((13.5, 15.0), (8.0, 9.0), None),  # Kim Long
    "19930": ((8.0, 10.0), (14.0, 16.5), (7.5, 10.5)),  # Mỹ Thượng
    "19777": ((8.0, 9.5), None, (9.5, 11.0)),  # Vỹ Dạ
}
COMPONENT_TROUBLE = {  # (centre, day index 1..3) -> components (name, state, start, end h)
    ("19930", 1): (("payment", "down", 7.5, 17.0),),
    ("19930", 2): (("payment", "down", 7.5, 17.0),),
    ("19930", 3): (("payment", "down", 7.5, 12.0),),
    ("19831", 1): (("results_return", "down", 8.0, 16.0), ("esign", "degraded", 8.0, 11.0)),
    ("20182", 1): (("results_return", "down", 7.5, 11.5),),
    ("20017", 1): (("esign", "down", 8.0, 10.5),),
    ("19819", 2): (("esign", "degraded", 13.5, 15.0),),
}
SYSTEM_HANG = {("19777", 1): (11.0, 13.5)}  # Vỹ Dạ: still "loading" at 11:30
# Province-wide OTP slowness while the national portal was overloaded: (start h, end h,
# p50 factor, p95 factor) per day.
OTP_OVERLOAD = ((8.0, 11.5, 2.0, 4.0), (8.0, 10.5, 1.6, 2.8), (7.5, 10.5, 1.5, 2.4))


def _arrival_share_by(cutoff_s: float, online_share: float) -> float:
    """The share of a working day's arrivals that come by `cutoff_s` (hour-of-day profile)."""
    from collectors.simulator import dayplan as dp

    wins = (MORNING, (13.5 * H, 17 * H))
    in_w, on_w = dp.slot_weights(wins, online_share)
    total = in_w + on_w
    return float(dp.clipped(total, 0.0, cutoff_s).sum() / total.sum())


def _working_share_by(cutoff_s: float) -> float:
    from collectors.simulator import dayplan as dp

    in_w, _ = dp.slot_weights((MORNING, (13.5 * H, 17 * H)), 0.0)
    return float(dp.clipped(in_w, 0.0, cutoff_s).sum() / in_w.sum())


def hue_first_week(centres: Sequence[Centre], seed: int) -> Scenario:
    """The `hue-first-week` scenario for Huế's commune centres (all 40 must be there)."""
    hue = [c for c in centres if c.province_code == HUE and c.kind != "tỉnh"]
    if len(hue) != 40:
        raise ValueError(f"hue-first-week needs Huế's 40 commune centres; found {len(hue)}")
    ids = [c.id for c in hue]
    scores = size_scores(hue)
    # A little per-centre variety around the score (deterministic under the seed).
    weights = {c: scores[c] * (0.85 + 0.3 * unit_noise(seed, 24_8, int(c))) for c in ids}
    received = allocate(RECEIVED_TOTAL, weights, RECEIVED_PINNED, below=151)
    # Resolutions in proportion to what each centre received (a third were resolved).
    resolved = allocate(RESOLVED_TOTAL, {c: float(received[c]) for c in ids},
                        RESOLVED_PINNED, below=36)
    first = day_number(REPORT_DAY) - 2
    f_arr = _arrival_share_by(REPORT_CUTOFF_S, ONLINE_SHARE_MEAN)
    f_res = _working_share_by(REPORT_CUTOFF_S)
    quotas: dict[tuple[str, int], Quota] = {}
    monthly: dict[str, float] = {}
    initial_open: dict[str, int] = {}
    for c in ids:
        rec = largest_remainder(received[c], [*RECEIVED_DAY_WEIGHT, f_arr])
        res = largest_remainder(resolved[c], [*RESOLVED_DAY_WEIGHT, f_res])
        for i in range(3):
            cutoff = REPORT_CUTOFF_S if i == 2 else float(DAY_S)
            quotas[(c, first + i)] = Quota(cutoff, rec[i], res[i])
        # A normal working day afterwards is the second day's volume.
        daily = received[c] / (sum(RECEIVED_DAY_WEIGHT) + f_arr)
        monthly[c] = daily * WORKING_DAYS_PER_MONTH
        initial_open[c] = max(res[0], round(daily * INITIAL_OPEN_DAYS))
    events: dict[tuple[str, int], DayEvents] = {}
    for i in range(3):
        day = first + i
        for c in ids:
            sync = SYNC_TROUBLE.get(c, (None, None, None))[i]
            comps = tuple((name, Span(a * H, b * H, state))
                          for name, state, a, b in COMPONENT_TROUBLE.get((c, i + 1), ()))
            hang = SYSTEM_HANG.get((c, i + 1))
            if sync or comps or hang:
                events[(c, day)] = DayEvents(
                    sync_backlog=Span(sync[0] * H, sync[1] * H) if sync else None,
                    system_hang=Span(hang[0] * H, hang[1] * H) if hang else None,
                    components=comps)
    overloads = {first + i: [Overload(Span(a * H, b * H), p50, p95)]
                 for i, (a, b, p50, p95) in enumerate(OTP_OVERLOAD)}
    return Scenario(
        name="hue-first-week", province_code=HUE, first_day=first, last_day=first + 2,
        backfill_end=REPORT_DAY + timedelta(days=1),
        monthly=monthly, quotas=quotas, events=events, overloads=overloads,
        initial_open=initial_open)


SCENARIOS = {"hue-first-week": hue_first_week}
# Each scenario's first day (local day number) and reported moment (the period it
# counts from, and the moment), known without building it.
SCENARIO_FIRST_DAYS = {"hue-first-week": day_number(REPORT_DAY) - 2}
SCENARIO_MOMENTS = {"hue-first-week": (
    REPORT_DAY - timedelta(days=2),
    datetime.combine(REPORT_DAY, time()) + timedelta(seconds=REPORT_CUTOFF_S))}


def load(name: str, centres: Sequence[Centre], seed: int) -> Scenario:
    """The scenario `name` for `centres` under `seed`; ValueError for an unknown name."""
    try:
        make = SCENARIOS[name]
    except KeyError:
        raise ValueError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}") from None
    return make(centres, seed)
