"""History from the simulator's model, through the collector's own parse path, into the store.

The model is a pure function of (seed, centre, time), so the backfilled week
is exactly what the live simulator would have answered. Each document is
serialised and read back with the same JSON profile and validation a live
poll uses; a centre the model has cut off (power cut, dead line) is recorded
as a timed-out poll, as the collector would have seen it. Writing is
idempotent, so a second run over the same range adds nothing.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import polars as pl

from collectors.mapping import profile
from collectors.probes.json_probe import parse_json
from collectors.simulator.model import FleetModel
from collectors.simulator.profiles import day_start_utc
from collectors.simulator.scenario import Scenario, day_number
from collectors.simulator.scenario import load as load_scenario
from collectors.validate import probe_samples, validate
from config.deployment import centres as deployment_centres
from config.registry import Centre
from config.settings import Settings
from metrics.results import ProbeResult, Reason

BASE_LATENCY_S = 0.04  # what a healthy loopback answer takes, roughly
INLINE_STEPS = 96  # up to this many poll times the model runs in-process (no pool to start)


def simulated_poll(model: FleetModel, centre_id: str, t: float, timeout_s: float,
                   profile_name: str = "default") -> ProbeResult:
    """The ProbeResult a live poll of the simulated centre at time `t` would have given."""
    if not model.reachable(centre_id, t):
        return ProbeResult(centre_id, t, False, timeout_s, Reason.TIMEOUT,
                           f"no answer within {timeout_s:g} s",
                           samples=probe_samples(False, timeout_s))
    body = json.dumps(model.document(centre_id, t), ensure_ascii=False).encode()
    parsed = parse_json(body, centre_id, profile(profile_name))
    duration = BASE_LATENCY_S + model.answer_delay(centre_id, t)
    if parsed.error:
        return ProbeResult(centre_id, t, False, duration, Reason.BAD_PAYLOAD, parsed.error,
                           200, probe_samples(False, duration))
    samples, refused = validate(parsed.readings)
    return ProbeResult(centre_id, t, True, duration, None, "", 200,
                       samples + probe_samples(True, duration), parsed.rejected + refused)


def steps(end: float, days: float, step_s: float, fine_days: float = 1.0,
          coarse_factor: int = 3) -> list[float]:
    """Poll times ending at `end`: every `step_s` for the last `fine_days`, and every
    `coarse_factor` steps before that (older history is read at coarser ranges anyway)."""
    start = end - days * 86_400
    fine_start = max(start, end - fine_days * 86_400)
    coarse = step_s * coarse_factor
    t = fine_start - math.ceil((fine_start - start) / coarse) * coarse
    out = []
    while t < fine_start:
        out.append(t)
        t += coarse
    t = fine_start
    while t < end:
        out.append(t)
        t += step_s
    return out


_worker: dict[str, Any] = {}


def _init_worker(centres: Sequence[Centre], seed: int, timeout_s: float,
                 scenario: str = "") -> None:
    sc = load_scenario(scenario, centres, seed) if scenario else None
    _worker.update(model=FleetModel(centres, seed, scenario=sc), centres=centres,
                   timeout_s=timeout_s)


def _chunk(times: Sequence[float]) -> list[ProbeResult]:
    model, centres = _worker["model"], _worker["centres"]
    return [simulated_poll(model, c.id, t, _worker["timeout_s"]) for t in times for c in centres]


def history(centres: Sequence[Centre], seed: int, times: Sequence[float], timeout_s: float,
            processes: int = 2, chunk_steps: int = 24,
            newest_first: bool = False, scenario: str = "") -> Iterator[list[ProbeResult]]:
    """Results for every centre at every time, in chunks of `chunk_steps` times, oldest
    first (newest first with `newest_first`; within a chunk always oldest first).

    The model (with `scenario`, a name in `scenario.SCENARIOS`, if given) runs in
    `processes` worker processes (0: in this one, which saves starting them for a short
    range); chunks come back in order.
    """
    chunks = [times[i:i + chunk_steps] for i in range(0, len(times), chunk_steps)]
    if newest_first:
        chunks.reverse()
    if processes <= 0:
        _init_worker(list(centres), seed, timeout_s, scenario)
        yield from map(_chunk, chunks)
        return
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(processes, _init_worker,
                  (list(centres), seed, timeout_s, scenario)) as pool:
        yield from pool.imap(_chunk, chunks)


def scenario_steps(sc: Scenario, step_s: float = 900.0) -> list[float]:
    """Poll times over a scenario's days: every `step_s` from its first midnight (the
    reported moment must be one of them), plus the last second of each day, so that a
    day's counts are seen whole (a scenario's full-day quotas end there)."""
    out = []
    for day in range(sc.first_day, day_number(sc.backfill_end)):
        start = day_start_utc(day)
        out += [start + i * step_s for i in range(int(86_400 // step_s))]
        out.append(start + 86_399.0)
    return out


def backfill_scenario(settings: Settings, *, step_s: float = 900.0,
                      config_file: str | None = None,
                      processes: int = 2) -> dict[str, float | int | str]:
    """Write the history of `settings.simulator.scenario` at its real (past) dates.

    Resumes after the newest poll already stored within the scenario's span (writes are
    idempotent anyway), so a second run adds nothing."""
    from metrics.store import Store

    started = time.monotonic()
    name = settings.simulator.scenario
    centres = deployment_centres(settings, config_file)
    sc = load_scenario(name, centres, settings.simulator.seed)
    times = scenario_steps(sc, step_s)
    polls = samples = 0
    with Store.open(settings.store.url) as store:
        store.sync_centres(centres)
        span_start = datetime.fromtimestamp(times[0], UTC)
        span_end = datetime.fromtimestamp(times[-1], UTC)
        done = store.polls(span_start, span_end, centre_ids=[centres[0].id])
        if done.height:
            last = done.select(pl.col("ts").max()).item().timestamp()
            times = [t for t in times if t > last]
        if times:
            for results in history(centres, settings.simulator.seed, times,
                                   settings.collector.timeout_s, processes, scenario=name):
                samples += store.write(results)
                polls += len(results)
    return {"scenario": name, "centres": len(centres), "polls": polls, "samples": samples,
            "seconds": round(time.monotonic() - started, 2)}


def scenario_link(settings: Settings) -> str:
    """The briefing page's path replaying the scenario's reported moment (local time)."""
    from collectors.simulator.scenario import SCENARIO_MOMENTS

    since, at = SCENARIO_MOMENTS[settings.simulator.scenario]
    return f"/briefing?since={since:%Y-%m-%d}&at={at:%Y-%m-%dT%H:%M}"


def scenario_env(settings: Settings, now: float | None = None) -> dict[str, str]:
    """The demo's children's environment for `settings.simulator.scenario`: the scenario
    itself (the simulator replays it) and a retention override (`IOC_STORE__RETENTION`, a
    YAML mapping merged into the file's) that keeps its history raw while the demo runs:
    the collector's pruning would otherwise delete it (it is older than
    `store.retention.raw_days`), and a replay of its moment would only have roll-ups.
    {} without a scenario."""
    name = settings.simulator.scenario
    if not name:
        return {}
    from collectors.simulator.scenario import SCENARIO_FIRST_DAYS

    now = time.time() if now is None else now
    keep = math.ceil((now - day_start_utc(SCENARIO_FIRST_DAYS[name])) / 86_400) + 2
    r = settings.store.retention
    days = {"raw_days": r.raw_days, "rollup_5m_days": r.rollup_5m_days,
            "rollup_1h_days": r.rollup_1h_days, "rollup_1d_days": r.rollup_1d_days}
    kept = ", ".join(f"{k}: {max(v, keep):g}" for k, v in days.items())
    return {"IOC_SIMULATOR__SCENARIO": name, "IOC_STORE__RETENTION": f"{{{kept}}}"}


def missing(times: Sequence[float], stored_ms: Iterable[int], step_s: float) -> list[float]:
    """The times of `times` with no stored poll in their step (a poll at `p` ms covers
    the time nearest to it on the `step_s` grid): a backfill writes only those, so it
    resumes after a stop and never doubles live polls."""
    covered = {round(ms / 1000 / step_s) for ms in stored_ms}
    return [t for t in times if round(t / step_s) not in covered]


Progress = Callable[[int, int], None]  # (poll times written, poll times to write)


def backfill(settings: Settings, *, days: float, step_s: float = 300.0,
             config_file: str | None = None, now: float | None = None,
             processes: int = 2, progress: Progress | None = None,
             newest_first: bool = False, record: bool = False,
             chunk_steps: int = 24) -> dict[str, float | int]:
    """Write `days` of simulated history ending at `now`: every `step_s` for the last day,
    every 3 × `step_s` before.

    Writes only the times with no poll stored in their step, so repeated runs are cheap
    and live polls are kept. `progress(done, total)` is called after each chunk;
    `newest_first` fills from `now` backwards, so the history is always complete from
    some time up to `now`; `record` keeps that progress in the store for the pages
    (metrics/store/history_fill.py). Each chunk of `chunk_steps` poll times is one write (fewer:
    shorter holds of SQLite's write lock beside a live collector). Returns the number of
    polls and samples written and the seconds it took.
    With `settings.simulator.scenario`, the scenario's own history is written first
    (`backfill_scenario`), and the recent days come from the same model (its sizes).
    """
    from metrics.store import Store, history_fill

    started = time.monotonic()
    scenario = settings.simulator.scenario
    before = (backfill_scenario(settings, config_file=config_file, processes=processes)
              if scenario else None)
    centres = deployment_centres(settings, config_file)
    now = time.time() if now is None else now
    end = math.floor(now / step_s) * step_s
    times = steps(end, days, step_s)
    first = times[0] if times else end
    polls = samples = 0
    with Store.open(settings.store.url) as store:
        store.sync_centres(centres)
        if times:
            stored = store.poll_times(int((times[0] - step_s) * 1000),
                                      int((end + step_s) * 1000))
            times = missing(times, stored, step_s)
        total, done = len(times), 0
        # Complete already from just after the newest time still missing.
        complete = min(end, times[-1] + step_s) if times else first
        fill = history_fill.Fill(int(first * 1000), int(end * 1000), int(complete * 1000),
                                 0, total, int(time.time() * 1000))
        if record:
            history_fill.record(store.engine, fill)
        if progress:
            progress(0, total)
        if times:
            inline = 0 if len(times) <= INLINE_STEPS else processes
            for results in history(centres, settings.simulator.seed, times,
                                   settings.collector.timeout_s, inline, chunk_steps,
                                   newest_first=newest_first, scenario=scenario):
                samples += store.write(results)
                polls += len(results)
                chunk = sorted({r.ts for r in results})
                done += len(chunk)
                if record:
                    oldest = int(chunk[0] * 1000)
                    fill = replace(fill, done=done, updated_ms=int(time.time() * 1000),
                                   complete_from_ms=min(fill.complete_from_ms, oldest)
                                   if newest_first else fill.complete_from_ms)
                    history_fill.record(store.engine, fill)
                if progress:
                    progress(done, total)
            if record:  # complete: from the start of the range
                history_fill.record(store.engine, replace(fill, complete_from_ms=fill.from_ms))
    if before is not None:
        polls += int(before["polls"])
        samples += int(before["samples"])
    return {"centres": len(centres), "polls": polls, "samples": samples,
            "seconds": round(time.monotonic() - started, 2)}
