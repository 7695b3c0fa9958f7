"""One centre's local day, precomputed with numpy: every dossier, OTP and sync figure.

A `DayPlan` holds the day's dossier arrivals and resolutions as sorted times with
cumulative counter rows, so a status document at any second is a bisect and a
row lookup. Counters restart at local midnight (docs/centre-api.md).
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass

import numpy as np

from collectors.simulator.events import DayEvents, Overload
from collectors.simulator.profiles import (
    DAY_S,
    PROC_DAYS,
    PROC_FEE,
    PROC_LATE,
    PROC_QUICK,
    PROC_SUPPLEMENT,
    PROC_WORK_MIN,
    TAG_DAY,
    WORKING_DAYS_PER_MONTH,
    Profile,
    day_date,
    rng_for,
    school_bump,
)
from collectors.simulator.scenario import Quota

BIN_S = 300  # OTP and sync figures vary per five-minute bin
N_BINS = DAY_S // BIN_S
N_PROC = len(PROC_QUICK)

# Columns of the arrival rows, then one per procedure.
A_RECEIVED, A_ONLINE, A_FEE, A_PAID, A_DIGITISED, A_RETURNED, A_SUP, A_SUP_MULTI = range(8)
A_PROC = 8
# Columns of the resolution rows, then one per procedure.
R_RESOLVED, R_ON_TIME, R_LATE, R_E_RESULT, R_COMPLAINT, R_SECONDS, R_CARRY_LATE = range(7)
R_PROC = 7

WEEKDAY_FACTOR = (1.15, 1.05, 1.0, 1.0, 0.9, 0.5, 0.0)
OTP_PER_DOSSIER = 2.3  # SMS codes per dossier (VNeID login, confirmation steps)
SLOT_HOURS = (np.arange(96) + 0.5) / 4.0  # 15-minute arrival slots


@dataclass(slots=True)
class DayPlan:
    """Everything that varies within one local day for one centre."""

    date_iso: str
    arr_times: array  # local seconds, sorted
    arr_cum: np.ndarray  # (n + 1, 8 + procedures): counts after the first i arrivals
    res_times: array
    res_cum: np.ndarray  # (m + 1, 7 + procedures)
    carry_open: int  # dossiers open at midnight that are resolved today or later
    carry_overdue: int
    otp_p50: array  # ms per bin
    otp_p95: array
    otp_fr: array
    otp_sent: array  # per bin
    otp_failed: array
    otp_sent_cum: array  # at bin starts, N_BINS + 1
    otp_failed_cum: array
    lag_base: array  # natural sync lag at bin edges, N_BINS + 1
    events: DayEvents


def _peak(hours: np.ndarray) -> np.ndarray:
    """Demand shape: busiest 8–10h and 14–16h (domain.md)."""
    busy = ((hours >= 8) & (hours < 10)) | ((hours >= 14) & (hours < 16))
    return np.where(busy, 1.8, 1.0)


def _cdf(weights: np.ndarray) -> np.ndarray:
    total = weights.sum()
    return np.cumsum(weights) / total if total else np.zeros(0)


ONLINE_CDF = _cdf(
    np.select(
        [SLOT_HOURS < 6, SLOT_HOURS < 8, SLOT_HOURS < 17, SLOT_HOURS < 22],
        [0.15, 0.6, 1.0, 0.7],
        0.3,
    )
)
SLOT_PEAK = _peak(SLOT_HOURS)
# OTP bins: hour of each bin's middle and its demand factor (off-hours codes are faster).
BIN_EDGES = np.arange(N_BINS) * BIN_S
_BIN_HOURS = (BIN_EDGES + BIN_S / 2) / 3600
BIN_PEAK = np.where(
    _peak(_BIN_HOURS) > 1, 1.7, np.where((_BIN_HOURS >= 7.5) & (_BIN_HOURS < 17), 1.25, 0.9)
)
_BY_WINDOWS: dict[tuple, tuple[np.ndarray, list[float], list[float]]] = {}


def _calendar(wins: tuple[tuple[float, float], ...]) -> tuple[np.ndarray, list, list]:
    """For a day's working windows: the in-person arrival CDF over 15-minute slots and
    the breakpoints mapping local seconds to working seconds elapsed."""
    found = _BY_WINDOWS.get(wins)
    if found is None:
        secs = SLOT_HOURS * 3600
        open_ = np.zeros(96, dtype=bool)
        xs, ws, w = [0.0], [0.0], 0.0
        for start, end in wins:
            open_ |= (secs >= start) & (secs < end)
            xs += [start, end]
            ws += [w, w + end - start]
            w += end - start
        xs.append(float(DAY_S))
        ws.append(w)
        found = _BY_WINDOWS[wins] = (_cdf(np.where(open_, SLOT_PEAK, 0.0)), xs, ws)
    return found


def _times(rng: np.random.Generator, n: int, cdf: np.ndarray) -> np.ndarray:
    """`n` times (local seconds) spread over 15-minute slots by the slots' CDF."""
    if n == 0 or len(cdf) == 0:
        return np.zeros(0)
    slots = np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), 95)
    return slots * 900.0 + rng.uniform(0, 900.0, n)


SLOT_STARTS = np.arange(96) * 900.0


def slot_weights(wins: tuple[tuple[float, float], ...], online_share: float
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Expected arrivals per 15-minute slot of a day with working windows `wins`, in
    person and online, as shares of the day's arrivals (both together sum to 1)."""
    in_cdf = _calendar(wins)[0]
    in_pdf = np.diff(in_cdf, prepend=0.0) if len(in_cdf) else np.zeros(96)
    on_pdf = np.diff(ONLINE_CDF, prepend=0.0)
    return (1 - online_share) * in_pdf, online_share * on_pdf


def clipped(weights: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Per-slot `weights` cut to the part of each slot within [lo, hi) (local seconds)."""
    inside = np.clip(SLOT_STARTS + 900.0, lo, hi) - np.clip(SLOT_STARTS, lo, hi)
    return weights * inside / 900.0


def _times_between(rng: np.random.Generator, n: int, weights: np.ndarray, lo: float,
                   hi: float) -> tuple[np.ndarray, np.ndarray]:
    """`n` times in [lo, hi) spread by per-slot `weights`, and each one's slot."""
    w = clipped(weights, lo, hi)
    if n == 0:
        return np.zeros(0), np.zeros(0, dtype=np.int64)
    if w.sum() <= 0:
        raise ValueError(f"no time for {n} events between {lo:g} s and {hi:g} s")
    slot = rng.choice(96, size=n, p=w / w.sum())
    a = np.clip(SLOT_STARTS[slot], lo, hi)
    b = np.clip(SLOT_STARTS[slot] + 900.0, lo, hi)
    return a + rng.random(n) * (b - a), slot


def _quota_arrivals(rng: np.random.Generator, quota: Quota,
                    wins: tuple[tuple[float, float], ...], online_share: float
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Arrival times and online flags with exactly `quota.received` at or before the
    cut-off; after it, as many as the hour-of-day profile expects for the rest of the day."""
    in_w, on_w = slot_weights(wins, online_share)
    total = in_w + on_w
    cut = quota.cutoff_s
    share = float(clipped(total, 0.0, cut).sum())
    n_after = int(rng.poisson(quota.received * (1 - share) / share)) if 0 < share < 1 else 0
    t_before, s_before = _times_between(rng, quota.received, total, 0.0, cut)
    t_after, s_after = _times_between(rng, n_after, total, cut, float(DAY_S))
    t_after = np.maximum(t_after, cut + 0.5)  # strictly after the cut-off
    # A whole day's quota ends a second before midnight, where a poll can see it whole.
    t_before = np.minimum(t_before, min(cut, DAY_S - 1.0))
    t = np.concatenate([t_before, t_after])
    slots = np.concatenate([s_before, s_after])
    online = rng.random(len(t)) < on_w[slots] / np.maximum(total[slots], 1e-12)
    return t, online


def _floats(values: np.ndarray) -> array:
    """Compact storage (8 bytes a value, not a Python object each): thousands of plans stay
    in memory, and indexing still gives plain Python numbers."""
    return array("d", np.asarray(values, dtype=np.float64).tobytes())


def _ints(values: np.ndarray) -> array:
    return array("q", np.asarray(values, dtype=np.int64).tobytes())


def _cumrows(times: np.ndarray, cols: np.ndarray) -> tuple[array, np.ndarray]:
    order = np.argsort(times, kind="stable")
    cum = np.zeros((len(times) + 1, cols.shape[1]), dtype=np.int64)
    np.cumsum(cols[order], axis=0, out=cum[1:])
    return _floats(times[order]), cum


def build(
    seed: int,
    profile: Profile,
    day: int,
    wins: tuple[tuple[float, float], ...],
    events: DayEvents,
    overloads: list[Overload],
    quota: Quota | None = None,
) -> DayPlan:
    """The centre's dossiers, OTP and sync figures for local day `day`; a scenario's
    `quota` fixes how many are received and resolved by its cut-off."""
    rng = rng_for(seed, TAG_DAY, profile.key, day)
    date = day_date(day)
    base = profile.monthly / WORKING_DAYS_PER_MONTH
    noise = float(rng.lognormal(0.0, 0.15))
    bump = school_bump(day)
    mix = profile.mix.copy()
    mix[0] *= bump  # certified copies
    mix /= mix.sum()

    # Arrivals: in person only in working hours, online at any time.
    n_in = (
        int(
            rng.poisson(
                base
                * (1 - profile.online_share)
                * noise
                * WEEKDAY_FACTOR[date.weekday()]
                * (1 + profile.mix[0] * (bump - 1))
            )
        )
        if wins
        else 0
    )
    n_on = int(rng.poisson(base * profile.online_share * noise * (1.0 if wins else 0.3)))
    in_cdf, xs, ws = _calendar(wins)
    if quota is None:
        t_arr = np.concatenate([_times(rng, n_in, in_cdf), _times(rng, n_on, ONLINE_CDF)])
        n = n_in + n_on
        online = np.arange(n) >= n_in
    else:
        t_arr, online = _quota_arrivals(rng, quota, wins, profile.online_share)
        n = len(t_arr)
    proc = np.minimum(np.searchsorted(np.cumsum(mix), rng.random(n), side="right"), N_PROC - 1)
    u = rng.random((6, n))  # one uniform per dossier per yes/no attribute
    fee = u[0] < PROC_FEE[proc]
    paid = fee & (u[1] < np.where(online, profile.paid_online, 0.12))
    returned = u[2] < np.where(online, 0.04, 0.02)
    sup = ~returned & (u[3] < PROC_SUPPLEMENT[proc])
    sup_multi = sup & (u[4] < 0.2)
    arr = np.zeros((n, A_PROC + N_PROC), dtype=np.int64)
    arr[:, A_RECEIVED] = 1
    for col, flag in (
        (A_ONLINE, online),
        (A_FEE, fee),
        (A_PAID, paid),
        (A_DIGITISED, u[5] < profile.digitised),
        (A_RETURNED, returned),
        (A_SUP, sup),
        (A_SUP_MULTI, sup_multi),
    ):
        arr[:, col] = flag
    arr[np.arange(n), A_PROC + proc] = 1

    # Same-day resolutions of quick procedures, on the working clock.
    total_work = ws[-1]
    quick = PROC_QUICK[proc] & ~returned & ~sup
    work_s = PROC_WORK_MIN[proc] * 60 * rng.lognormal(0.0, 0.6, n)
    w_done = np.interp(t_arr, xs, ws) + work_s
    same = quick & (w_done < total_work)
    t_same = np.interp(w_done[same], ws, xs) if total_work else np.zeros(0)
    if quota is not None:
        same, t_same = _same_day_within(same, t_same, quota)
    secs_same = t_same - t_arr[same]
    proc_same = proc[same]

    # Resolutions of dossiers received on earlier days (working days only).
    carry_mix = mix * np.where(PROC_QUICK, 0.1, 1.0)
    if quota is None:
        n_carry = int(rng.poisson(base * carry_mix.sum() * noise)) if wins else 0
        proc_carry = rng.choice(N_PROC, size=n_carry, p=carry_mix / carry_mix.sum())
        t_carry = _times(rng, n_carry, in_cdf)
    else:
        t_carry = _quota_carry(rng, quota, t_same, wins,
                               base * carry_mix.sum())
        n_carry = len(t_carry)
        proc_carry = rng.choice(N_PROC, size=n_carry, p=carry_mix / carry_mix.sum())
    days = np.where(
        PROC_QUICK[proc_carry],
        rng.uniform(0.6, 1.5, n_carry),
        PROC_DAYS[proc_carry] * rng.lognormal(0.0, 0.5, n_carry),
    )
    secs_carry = np.maximum(days, 0.6) * DAY_S
    late_carry = rng.random(n_carry) < np.minimum(0.9, PROC_LATE[proc_carry] * profile.lateness)
    late_same = rng.random(len(proc_same)) < PROC_LATE[proc_same] * profile.lateness

    m = len(proc_same) + n_carry
    res_proc = np.concatenate([proc_same, proc_carry]).astype(np.int64)
    late = np.concatenate([late_same, late_carry])
    res = np.zeros((m, R_PROC + N_PROC), dtype=np.int64)
    res[:, R_RESOLVED] = 1
    res[:, R_ON_TIME] = ~late
    res[:, R_LATE] = late
    res[:, R_E_RESULT] = rng.random(m) < profile.e_result
    res[:, R_COMPLAINT] = rng.random(m) < 0.004
    res[:, R_SECONDS] = np.round(np.concatenate([secs_same, secs_carry]))
    res[len(proc_same) :, R_CARRY_LATE] = late_carry
    res[np.arange(m), R_PROC + res_proc] = 1
    pending = base * float((mix * PROC_DAYS).sum()) * 0.7
    carry_open = n_carry + int(rng.poisson(pending))
    if quota is not None and quota.open_start is not None:
        carry_open = max(quota.open_start, n_carry)  # the backlog the scenario carries
    carry_overdue = int(late_carry.sum()) + int(
        rng.binomial(carry_open - n_carry, min(0.3, 0.02 * profile.lateness))
    )

    arr_times, arr_cum = _cumrows(t_arr, arr)
    res_times, res_cum = _cumrows(np.concatenate([t_same, t_carry]), res)
    otp = _otp(rng, profile, t_arr, events, overloads)
    rural = 1.3 if profile.rural else 1.0
    # Natural lag drawn per bin edge within a range narrower than a bin, so the
    # synced point (now - lag) never moves backwards and synced_total never falls.
    lag_base = _floats(rng.uniform(20.0, 200.0, N_BINS + 1) * rural)
    return DayPlan(
        date.isoformat(),
        arr_times,
        arr_cum,
        res_times,
        res_cum,
        carry_open,
        carry_overdue,
        *otp,
        lag_base,
        events,
    )


def _same_day_within(same: np.ndarray, t_same: np.ndarray, quota: Quota
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Keep at most `quota.resolved` same-day resolutions by the cut-off: the latest
    ones beyond that stay open (the day's backlog)."""
    idx = np.nonzero(same)[0]
    before = np.nonzero(t_same <= quota.cutoff_s)[0]
    excess = len(before) - quota.resolved
    if excess <= 0:
        return same, t_same
    drop = before[np.argsort(t_same[before], kind="stable")[-excess:]]
    keep = np.ones(len(idx), dtype=bool)
    keep[drop] = False
    out = np.zeros_like(same)
    out[idx[keep]] = True
    return out, t_same[keep]


def _quota_carry(rng: np.random.Generator, quota: Quota, t_same: np.ndarray,
                 wins: tuple[tuple[float, float], ...], expected: float) -> np.ndarray:
    """Times of the day's resolutions of earlier dossiers: as many by the cut-off as
    the quota still needs after the same-day ones, then the hour-of-day share of
    `expected` (a day's) for the rest of the working day."""
    in_w, _ = slot_weights(wins, 0.0)
    need = quota.resolved - int((t_same <= quota.cutoff_s).sum())
    if need < 0:
        raise ValueError("same-day resolutions exceed the quota")
    before, _ = _times_between(rng, need, in_w, 0.0, quota.cutoff_s)
    rest = float(clipped(in_w, quota.cutoff_s, float(DAY_S)).sum())
    after, _ = _times_between(rng, int(rng.poisson(expected * rest)), in_w, quota.cutoff_s,
                              float(DAY_S))
    return np.concatenate([before, np.maximum(after, quota.cutoff_s + 0.5)])


def _otp(
    rng: np.random.Generator,
    profile: Profile,
    t_arr: np.ndarray,
    events: DayEvents,
    overloads: list[Overload],
) -> tuple[array, array, array, array, array, array, array]:
    """Per-bin OTP latency (ms), failure ratio, sends and failures, and their running sums."""
    edges, peak = BIN_EDGES, BIN_PEAK
    jitter = rng.lognormal(0.0, 0.12, N_BINS)
    m50 = np.ones(N_BINS)
    m95 = np.ones(N_BINS)
    if events.weak_line is not None:
        weak = (edges >= events.weak_line.start) & (edges < events.weak_line.end)
        m50[weak] *= 1.4
        m95[weak] *= 1.6
    for o in overloads:
        on = (edges >= o.span.start) & (edges < o.span.end)
        m50[on] *= o.p50_factor
        m95[on] *= o.p95_factor
    p50 = profile.otp_p50_ms * peak * jitter * m50
    p95 = np.maximum(profile.otp_p50_ms * profile.otp_spread * peak**1.3 * jitter * m95, p50 * 1.2)
    # Failures rise with latency: codes that arrive after the form expired count as failed.
    fr = np.clip(
        0.004 + 0.01 * rng.random(N_BINS) + 0.5 * np.clip((p95 / 1000 - 12) / 90, 0, 1), 0, 0.95
    )
    arrivals = np.bincount((t_arr // BIN_S).astype(np.int64), minlength=N_BINS)[:N_BINS]
    sent = rng.poisson(OTP_PER_DOSSIER * arrivals + 0.02)
    failed = rng.binomial(sent, fr)
    sent_cum = np.concatenate([[0], np.cumsum(sent)])
    failed_cum = np.concatenate([[0], np.cumsum(failed)])
    return (
        _floats(np.round(p50)),
        _floats(np.round(p95)),
        _floats(np.round(fr, 4)),
        _ints(sent),
        _ints(failed),
        _ints(sent_cum),
        _ints(failed_cum),
    )
