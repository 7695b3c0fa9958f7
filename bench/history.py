"""`ioc bench history`: realistic history, fast, into a fresh benchmark store.

The values come from the simulator's model (day/night dossier rhythm, natural
outages, weak lines, OTP latency) through the collector's mapping profile
(`bench.fastpoll`), in the tiers of `bench.history_plan`. Rows go in
bulk, a few hours of the whole fleet at a time, in time order as the collector
would have written them: PostgreSQL by COPY, SQLite by executemany, one
transaction per chunk. Roll-ups are computed from the same samples
(`history_plan.aggregate_frame`), not maintained row by row; a local day spans
chunks, so its bucket is carried from chunk to chunk (`history_plan.merge_frames`)
and written once the next day has begun. Each series' newest raw sample goes to
`series_latest` at the end, as the store's writes would have left it.

Where it writes, so it never clobbers other data:
- SQLite (default): `data/bench-<fleet>-<days>d.db`, replaced on each run;
  a `--db-url` SQLite file must be empty.
- PostgreSQL (`--db-url postgresql+psycopg://…`): the schema
  `bench_<fleet>_<days>d` of that database, dropped and re-created on each run;
  nothing else in the database is touched. The JSON's `dashboard_url` opens it
  (search_path in the URL) for `ioc bench dashboard --db-url`.
"""

from __future__ import annotations

import io
import json
import multiprocessing
import re
import time
from array import array
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

import polars as pl
import sqlalchemy as sa

from bench import history_plan as hp
from config.catalogue import METRICS, PROCEDURES
from config.registry import Centre
from metrics.store import Store, dialects, settled
from metrics.store import schema as t

# Per fleet kind: (raw hours, raw step s, 5-minute days) unless given on the command line.
DEFAULTS = {"national": (1, 60, 1.0), "province": (24, 15, 30.0)}
CHUNK_HOURS = {"raw": 1, "5m": 2, "1h": 24}  # hours of the whole fleet per chunk
POLL_COLUMNS = ("centre_id", "ts", "ok", "reason", "detail", "http_status", "duration_s",
                "rejected", "rejected_detail")
SAMPLE_COLUMNS = ("series_id", "ts", "value")
TABLES = ("samples", "polls", "rollup_5m", "rollup_1h", "rollup_1d", "series_latest")


def series_keys() -> list[tuple[str, str]]:
    """Every (metric, label) a centre's poll can store, in a fixed order."""
    return [(m.name, p) for m in METRICS.values() for p in (PROCEDURES if m.label else ("",))]


def schema_name(fleet: str, days: float) -> str:
    """The PostgreSQL schema of a benchmark history, e.g. bench_national_30d."""
    return "bench_" + re.sub(r"[^a-z0-9]+", "", fleet.lower()) + f"_{days:g}d".replace(".", "_")


def default_url(fleet: str, days: float, folder: str | Path = "data") -> str:
    name = re.sub(r"[^a-z0-9]+", "", fleet.lower())
    return f"sqlite:///{Path(folder) / f'bench-{name}-{days:g}d.db'}"


def with_search_path(url: str, schema: str) -> str:
    """`url` opening `schema` first (libpq options), for processes that take only a URL."""
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options={quote(f'-csearch_path={schema}', safe='')}"


# -- generation (worker processes) ---------------------------------------------

_worker: dict = {}


def _init(centres: Sequence[Centre], seed: int, timeout_s: float) -> None:
    from bench.fastpoll import FastPoller
    from collectors.simulator.model import FleetModel

    _worker["poller"] = FastPoller(FleetModel(centres, seed), timeout_s)
    _worker["ids"] = [c.id for c in centres]
    _worker["index"] = {k: j for j, k in enumerate(series_keys())}
    _worker["timeout"] = timeout_s


def _generate(times: Sequence[float]) -> tuple[bytes, ...]:
    """One chunk: samples (series id, ts ms, value) and polls (centre index, ts ms, ok,
    duration), as raw arrays (cheap to send back)."""
    poll, ids, index = _worker["poller"].poll, _worker["ids"], _worker["index"]
    width = len(index)
    sid, sts, val = array("q"), array("q"), array("d")
    pc, pts, pok, pdur = array("q"), array("q"), array("b"), array("d")
    for when in times:
        ms = int(when * 1000)
        for i, cid in enumerate(ids):
            ok, duration, triples = poll(cid, when)
            base = i * width + 1
            sid.extend(base + index[(m, lbl)] for m, lbl, _ in triples)
            sts.extend([ms] * len(triples))
            val.extend(v for _, _, v in triples)
            pc.append(i)
            pts.append(ms)
            pok.append(ok)
            pdur.append(duration)
    return tuple(a.tobytes() for a in (sid, sts, val, pc, pts, pok, pdur))


def _frames(chunk: tuple[bytes, ...], ids: pl.Series, timeout_s: float
            ) -> tuple[pl.DataFrame, pl.DataFrame]:
    import numpy as np

    sid, sts, val, pc, pts, pok, pdur = chunk
    samples = pl.DataFrame({"series_id": np.frombuffer(sid, np.int64),
                            "ts": np.frombuffer(sts, np.int64),
                            "value": np.frombuffer(val, np.float64)})
    ok = pl.Series(np.frombuffer(pok, np.int8)).cast(pl.Boolean)
    polls = pl.DataFrame({
        "centre_id": ids.gather(np.frombuffer(pc, np.int64)),
        "ts": np.frombuffer(pts, np.int64), "ok": ok,
    }).with_columns(
        pl.when(pl.col("ok")).then(None).otherwise(pl.lit("timeout")).alias("reason"),
        pl.when(pl.col("ok")).then(pl.lit("")).otherwise(
            pl.lit(f"no answer within {timeout_s:g} s")).alias("detail"),
        pl.when(pl.col("ok")).then(200).otherwise(None).cast(pl.Int32).alias("http_status"),
        pl.Series("duration_s", np.frombuffer(pdur, np.float64)),
        pl.lit(0, pl.Int32).alias("rejected"), pl.lit("").alias("rejected_detail"),
    ).sort("centre_id", "ts")
    return samples.sort("series_id", "ts"), polls.select(POLL_COLUMNS)


def _days(samples: pl.DataFrame, open_days: pl.DataFrame | None
          ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(local days that have ended, the newest day still open) once `samples` (the next
    chunk in time) are merged into the open one: chunks come in time order, so only the
    newest day can still grow."""
    day = hp.aggregate_frame(samples, hp.WIDTHS_MS["1d"])
    days = day if open_days is None else hp.merge_frames(open_days, day)
    newest = days["ts"].max()
    return days.filter(pl.col("ts") < newest), days.filter(pl.col("ts") >= newest)


def _newest(samples: pl.DataFrame, before: pl.DataFrame | None) -> pl.DataFrame:
    """Each series' newest sample (series_id, ts, value) of `samples` (sorted by series,
    then time) or, for a series not in them, of `before` (older samples)."""
    now = samples.group_by("series_id").agg(pl.col("ts").last(), pl.col("value").last())
    both = now if before is None else pl.concat([before, now])
    return both.group_by("series_id").last().sort("series_id")


# -- writing --------------------------------------------------------------------


def _copy(conn: sa.Connection, table: str, frame: pl.DataFrame) -> None:
    """Append `frame` to `table` (its column names) in the caller's transaction."""
    if frame.is_empty():
        return
    cols = ", ".join(frame.columns)
    if conn.dialect.name == "postgresql":
        buf = io.BytesIO()
        frame.write_csv(buf, include_header=False, null_value="", quote_style="necessary")
        with conn.connection.driver_connection.cursor() as cur, cur.copy(
                f"COPY {table} ({cols}) FROM STDIN (FORMAT csv)") as copy:
            copy.write(buf.getbuffer())
        return
    marks = ", ".join("?" for _ in frame.columns)
    conn.exec_driver_sql(f"INSERT INTO {table} ({cols}) VALUES ({marks})",
                         list(frame.iter_rows()))


def _write_chunk(engine: sa.Engine, tier: str, samples: pl.DataFrame, polls: pl.DataFrame,
                 counts: dict[str, int], days: pl.DataFrame) -> None:
    """One chunk's rows, and the local days (`days`) that ended before it, in one transaction."""
    parts = {"rollup_1h": hp.aggregate_frame(samples, hp.WIDTHS_MS["1h"]), "rollup_1d": days}
    if tier in ("raw", "5m"):
        parts["rollup_5m"] = hp.aggregate_frame(samples, hp.WIDTHS_MS["5m"])
        parts["polls"] = polls
    if tier == "raw":
        parts["samples"] = samples
    _write(engine, parts, counts)


def _write(engine: sa.Engine, parts: dict[str, pl.DataFrame], counts: dict[str, int]) -> None:
    with dialects.write_transaction(engine) as conn:
        for table, frame in parts.items():
            _copy(conn, table, frame)
            counts[table] += frame.height
        settled.bump(conn)  # history written after the fact: readers' caches re-read


def _prepare(url: str | None, schema: str | None, fleet: str, days: float,
             folder: str | Path) -> tuple[str, str | None]:
    """(URL to write, PostgreSQL schema or None) for a fresh benchmark store: the default
    SQLite file removed, or PostgreSQL's `bench_…` schema dropped and re-created. A
    SQLite `url` or a given `schema` is used as it is (`_refuse_used` checks it is empty)."""
    if url is None:
        url = default_url(fleet, days, folder)
        path = Path(dialects.normalise_url(url).database or "")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return url, None
    if schema is not None or dialects.normalise_url(url).get_backend_name() != "postgresql":
        return url, schema
    schema = schema_name(fleet, days)
    admin = sa.create_engine(dialects.normalise_url(url))
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    finally:
        admin.dispose()
    return url, schema


def _refuse_used(db: Store, url: str) -> None:
    with db.engine.connect() as conn:
        used = conn.execute(sa.select(sa.func.count()).select_from(t.series)).scalar_one()
    if used:
        raise ValueError(f"--db-url {url}: holds {used} series already; give an empty "
                         "database (the history bench never writes into existing data)")


def table_sizes(engine: sa.Engine) -> dict[str, int]:
    """Bytes on disk per table (with its indexes); SQLite through dbstat when available."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            return {name: int(conn.execute(sa.text(
                "SELECT pg_total_relation_size(CAST(:t AS regclass))"), {"t": name}).scalar_one())
                for name in TABLES}
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        try:
            rows = dict(conn.exec_driver_sql(
                "SELECT name, sum(pgsize) FROM dbstat GROUP BY name").all())
        except sa.exc.OperationalError:  # SQLite built without dbstat
            return {}
        out = {name: int(rows.get(name, 0)) for name in TABLES}
        out["polls"] += int(rows.get("ix_polls_ts", 0)) + int(rows.get(
            "sqlite_autoindex_polls_1", 0))
        for name in ("rollup_5m", "rollup_1h", "rollup_1d"):
            out[name] += int(rows.get(f"ix_{name}_unmerged", 0))
        return out


def generate(fleet_spec: str, days: float, *, url: str | None = None,
             raw_hours: int | None = None, raw_step_s: int | None = None,
             five_min_days: float | None = None, now: float | None = None,
             seed: int = 7, timeout_s: float = 3.0, processes: int = 2,
             folder: str | Path = "data", centres: Sequence[Centre] | None = None,
             alerts: bool = True, schema: str | None = None) -> dict:
    """Generate `days` of `fleet_spec`'s history into a fresh store; the figures (JSON-able).

    `centres` overrides the fleet's centres (tests use a few); `schema` writes into that
    (empty) PostgreSQL schema instead of `bench_…`. Defaults for the
    tiers come from DEFAULTS by fleet kind (see the module doc of history_plan).
    """
    from config.registry import fleet as registry_fleet

    kind = "national" if fleet_spec == "national" else "province"
    d_raw, d_step, d_five = DEFAULTS[kind]
    plan = hp.make_plan(fleet_spec, days, time.time() if now is None else now,
                        raw_hours=d_raw if raw_hours is None else raw_hours,
                        raw_step_s=d_step if raw_step_s is None else raw_step_s,
                        five_min_days=d_five if five_min_days is None else five_min_days)
    fleet = list(centres) if centres is not None else registry_fleet(fleet_spec)
    started = time.monotonic()
    url, schema = _prepare(url, schema, fleet_spec, days, folder)
    keys = series_keys()
    with Store.open(url, schema=schema) as db:
        _refuse_used(db, url)
        db.sync_centres(fleet)
        engine = db.engine
        with engine.begin() as conn:
            conn.execute(sa.insert(t.series), [
                {"id": i * len(keys) + j + 1, "centre_id": c.id, "metric": m, "label": lbl}
                for i, c in enumerate(fleet) for j, (m, lbl) in enumerate(keys)])
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('series', 'id'), "
                                     "(SELECT max(id) FROM series))"))
        counts = dict.fromkeys(TABLES, 0)
        polls_made = 0
        ids = pl.Series([c.id for c in fleet])
        ctx = multiprocessing.get_context("spawn")
        write_s = 0.0
        open_days: pl.DataFrame | None = None  # the local day still open, carried across chunks
        latest: pl.DataFrame | None = None  # each series' newest raw sample so far
        with ctx.Pool(processes, _init, (fleet, seed, timeout_s)) as pool:
            for tier in plan.tiers:
                chunks = hp.tier_chunks(tier, CHUNK_HOURS[tier.name])
                for chunk in pool.imap(_generate, chunks):
                    t0 = time.monotonic()
                    samples, polls = _frames(chunk, ids, timeout_s)
                    polls_made += polls.height
                    ended, open_days = _days(samples, open_days)
                    if tier.name == "raw":
                        latest = _newest(samples, latest)
                    _write_chunk(engine, tier.name, samples, polls, counts, ended)
                    write_s += time.monotonic() - t0
        t0 = time.monotonic()
        _write(engine, {"rollup_1d": pl.DataFrame() if open_days is None else open_days,
                        "series_latest": pl.DataFrame() if latest is None else latest}, counts)
        write_s += time.monotonic() - t0
        if alerts:
            write_alerts(db, [c.id for c in fleet], [c.province_code for c in fleet],
                         plan.now_s, days)
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        sizes = table_sizes(engine)
        with engine.connect() as conn:
            total = dialects.bytes_on_disk(conn)
    seconds = time.monotonic() - started
    rows = sum(counts.values())
    per_row = {k: round(sizes[k] / counts[k], 1) if counts[k] and k in sizes else None
               for k in TABLES}
    return {
        "fleet": fleet_spec, "centres": len(fleet), "series": len(fleet) * len(keys),
        "backend": engine.dialect.name,
        "url": url if schema is None else with_search_path(url, schema),
        "schema": schema,
        "plan": plan.describe(),
        "polls_generated": polls_made,
        "rows": counts,
        "product_rows_at_15s": hp.product_rows(len(fleet) * len(keys), len(fleet), days),
        "bytes_on_disk": total,
        "bytes_per_table": sizes,
        "bytes_per_row": per_row,
        "bytes_per_sample": per_row["samples"],
        "footprint_per_centre_at_15s": hp.footprint(per_row, len(keys)),
        "seconds": round(seconds, 1),
        "rows_per_s": round(rows / seconds),
        "write_and_rollup_s": round(write_s, 1),
    }


def write_alerts(db: Store, ids: list[str], provinces: list[int], now: float,
                 days: float) -> None:
    """Alert history for the alerts pages: one alert per centre per day (20–80 min to
    recover), every tenth centre's newest still firing (a third of those critical),
    and three failed deliveries."""
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
        for k in range(0, len(rows), 20_000):
            conn.execute(sa.insert(t.alerts), rows[k:k + 20_000])
        conn.execute(sa.insert(t.notifications), [
            {"channel": "telegram-ioc", "group_key": f"g{k}", "status": "firing",
             "payload": "{}", "state": "retrying", "attempts": 2, "next_attempt": end,
             "last_error": "HTTP 503", "created_at": end - k * 60_000, "sent_at": None}
            for k in range(3)])



def add_arguments(bench) -> None:
    """`ioc bench history` options (--fleet, --days and --db-url are the bench parser's)."""
    g = bench.add_argument_group("history (ioc bench history)")
    g.add_argument("--raw-hours", type=int, help="history: hours of raw samples before the "
                   "current one (default national 1, province 24)")
    g.add_argument("--raw-step", type=int, help="history: seconds between raw polls "
                   "(default national 60, province 15)")
    g.add_argument("--five-min-days", type=float, help="history: days of 5-minute roll-ups "
                   "before the raw hours (default national 1, province 30)")


def run_history_bench(args, settings) -> dict:
    """`ioc bench history`: `generate` from the command line's arguments and settings."""
    from config.deployment import centres as deployment_centres
    from config.registry import fleet as registry_fleet

    fleet = args.fleet
    if fleet == "hue":  # with the site file's coordinates, for the map
        scope = settings.deployment.model_copy(update={"scope": "province", "province": 46})
        centres = deployment_centres(settings.model_copy(update={"deployment": scope}))
    else:
        try:
            centres = registry_fleet(fleet)
        except ValueError as exc:
            raise SystemExit(f"ioc bench history: --fleet: {exc}") from None
    try:
        return generate(fleet, args.days, url=args.db_url, raw_hours=args.raw_hours,
                        raw_step_s=args.raw_step, five_min_days=args.five_min_days,
                        seed=settings.simulator.seed, timeout_s=settings.collector.timeout_s,
                        centres=centres)
    except ValueError as exc:
        raise SystemExit(f"ioc bench history: {exc}") from None
