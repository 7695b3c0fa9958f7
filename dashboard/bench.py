"""`ioc bench dashboard [--fleet hue|national]`: time each page's data and figures.

Builds a SQLite store (or `--db-url`) with simulated history through the
collector's own parse path (`collectors.backfill.history`, the simulator's
model): Huế, 30 days (every 15 min for the last day, every 45 min before);
national (3,355 centres), the last 24 h every 30 min — 30 days of 3,355
centres would take hours to generate on a small machine. Adds alert history
(one alert per centre and day, a tenth still firing) and a few failed
deliveries. Then, per page, times the same functions the page calls:
`cold_ms` (first call in the process), `warm_ms` (median of N with the
Streamlit data caches cleared: what each new poll costs), `cached_ms`
(median of N served from the caches, as other sessions are).
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from collectors.backfill import history, steps
from config.registry import fleet as registry_fleet
from config.settings import Settings
from metrics import schema as t
from metrics.scope import NATIONAL_SCOPE
from metrics.store import Store, to_ms

RUNS = 7
PLANS = {  # fleet -> (days, step_s for the last day; earlier steps are 3× coarser)
    "hue": (30.0, 900.0),
    "national": (1.0, 1800.0),
}


def _build(url: str, fleet: str, settings: Settings, now: float) -> dict:
    """Write the fleet's history and alerts into `url` (skipped when already there)."""
    from config.deployment import centres as deployment_centres

    days, step_s = PLANS[fleet]
    if fleet == "hue":
        centres = deployment_centres(settings.model_copy(update={"deployment": settings.
                                     deployment.model_copy(update={"scope": "province",
                                                                   "province": 46})}))
    else:
        centres = registry_fleet("national")
    started = time.monotonic()
    polls = samples = 0
    with Store.open(url) as db:
        db.sync_centres(centres)
        if db.newest_ts() is None:
            times = steps(now // step_s * step_s, days, step_s)
            for results in history(centres, settings.simulator.seed, times,
                                   settings.collector.timeout_s):
                samples += db.write(results)
                polls += len(results)
            _alerts(db, [c.id for c in centres], [c.province_code for c in centres], now, days)
    return {"centres": len(centres), "days": days, "step_s": step_s, "polls": polls,
            "samples": samples, "build_s": round(time.monotonic() - started, 1)}


def _alerts(db: Store, ids: list[str], provinces: list[int], now: float, days: float) -> None:
    """One alert per centre per day (20–80 min to recover), every tenth centre's newest still
    firing (a third of those critical), and three failed deliveries."""
    end = int(now * 1000)
    rows = []
    for day in range(max(1, int(days))):
        for i, (cid, prov) in enumerate(zip(ids, provinces, strict=True)):
            start = end - (day + 1) * 86_400_000 + (i * 7919 % 80_000) * 1000
            open_ = day == 0 and i % 10 == 0
            rows.append({
                "fingerprint": f"centre_down|{cid}", "rule": "centre_down",
                "severity": "critical" if i % 30 == 0 else "warning", "centre_id": cid,
                "province_code": prov, "labels": json.dumps({"centre_id": cid}),
                "summary": "Trung tâm không phản hồi", "cause": "timeout", "value": 0.0,
                "state": "firing" if open_ else "resolved", "pending_since": start,
                "firing_since": start + 120_000,
                "resolved_at": None if open_ else start + (20 + i % 60) * 60_000,
                "last_eval": end, "last_notified": None, "acked_by": None, "acked_at": None,
                "ack_note": None, "inhibited_by": None})
    with db.engine.begin() as conn:
        conn.execute(sa.insert(t.alerts), rows)
        conn.execute(sa.insert(t.notifications), [
            {"channel": "telegram-ioc", "group_key": f"g{k}", "status": "firing",
             "payload": "{}", "state": "retrying", "attempts": 2, "next_attempt": end,
             "last_error": "HTTP 503", "created_at": end - k * 60_000, "sent_at": None}
            for k in range(3)])


def _time(fn: Callable[[], int], clear: Callable[[], None]) -> dict:
    """cold (first), warm (caches cleared each run), cached (cache hits); rows from fn."""
    t0 = time.perf_counter()
    rows = fn()
    cold = time.perf_counter() - t0
    warm, cached = [], []
    for _ in range(RUNS):
        clear()
        t0 = time.perf_counter()
        fn()
        warm.append(time.perf_counter() - t0)
    fn()
    for _ in range(RUNS):
        t0 = time.perf_counter()
        fn()
        cached.append(time.perf_counter() - t0)
    return {"cold_ms": round(cold * 1000, 1),
            "warm_ms": round(statistics.median(warm) * 1000, 1),
            "cached_ms": round(statistics.median(cached) * 1000, 2), "rows": rows}


def run_dashboard_bench(args: argparse.Namespace, settings: Settings) -> dict:
    """Build the store for `args.fleet` (hue | national) and time every page; JSON-able."""
    # Outside `streamlit run` the caches warn once per function that no runtime exists.
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    from dashboard import alerts_view, components, data, data_alerts, i18n
    from metrics import alert_stats

    fleet = args.fleet if args.fleet in PLANS else None
    if fleet is None:
        raise ValueError(f"--fleet must be one of {sorted(PLANS)} for the dashboard bench, "
                         f"not {args.fleet!r}")
    # Kept between runs (building is the slow part): data/bench-dashboard-<fleet>.db.
    folder = Path(getattr(args, "workdir", None) or "data")
    url = getattr(args, "db_url", None) or "sqlite:///" + str(
        folder / f"bench-dashboard-{fleet}.db")
    folder.mkdir(parents=True, exist_ok=True)
    now = time.time()
    built = _build(url, fleet, settings, now)
    scope = {"scope": "national", "province": None} if fleet == "national" else {
        "scope": "province", "province": 46}
    cfg = settings.model_copy(update={
        "store": settings.store.model_copy(update={"url": url}),
        "deployment": settings.deployment.model_copy(update=scope),
        "dashboard": settings.dashboard.model_copy(update={"stale_after_s": 7200.0})})
    tr = i18n.text("vi")
    tz = cfg.dashboard.timezone
    caches = [data.wall_frames, data.down_runs, data.firing_alerts, data.alerts_version,
              data.newest_ms, data_alerts._history, data_alerts._failed]

    def clear() -> None:
        for cached in caches:
            cached.clear()

    def wall(province: int | None) -> Callable[[], int]:
        def page() -> int:
            now_ = datetime.now(UTC)
            view = data.wall_view(cfg, now_, scope=NATIONAL_SCOPE, province=province)
            board = data.wall_alerts(cfg, now_, scope=NATIONAL_SCOPE, province=province)
            if fleet == "national" and province is None:
                components.province_figure(view.provinces, tr)
            components.map_figure(view.status, tr, now_, tz, None)
            components.lagging_table(view.lagging.head(components.LAGGING_ROWS), tr, now_, tz)
            components.alert_board_table(board.head(4), tr, now_, tz)
            return view.status.height
        return page

    def alerts_page() -> int:
        now_ = datetime.now(UTC)
        found = alert_stats.board(data_alerts.history(url, now_ - timedelta(days=30), now_,
                                                      scope=NATIONAL_SCOPE), now_)
        outbox = data_alerts.failed_deliveries(url, scope=NATIONAL_SCOPE)
        parts = alert_stats.split(found)
        for part, cols in ((parts["active"], alerts_view.ALERT_COLUMNS),
                           (parts["acknowledged"], alerts_view.ACKED_COLUMNS),
                           (found, alerts_view.RESOLVED_COLUMNS)):
            alerts_view.alerts_table(part, tr, tz, cols)
        alerts_view.ttr_table(alert_stats.time_to_recover(found), {}, tr)
        alerts_view.failed_table(outbox, tr, tz)
        return found.height

    pages = {"wall": wall(None), "alerts": alerts_page}
    if fleet == "national":
        pages["wall_province_46"] = wall(46)
    results = {name: _time(fn, clear) for name, fn in pages.items()}
    with Store.open(url) as db:
        sample_rows, size = db.footprint()
    return {"fleet": fleet, "db": data.store(url).dialect, "store": built,
            "sample_rows": sample_rows, "bytes_on_disk": size,
            "newest_poll_ms_ago": int(time.time() * 1000) - to_ms(
                data.store(url).newest_ts() or datetime.now(UTC)),
            "pages": results}
