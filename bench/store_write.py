"""Store write benchmark: whole-fleet batches of synthetic polls, timed per batch.

`ioc bench store` runs it. Each cycle is one batch as the collector writes it, through
`Store.write` (samples, polls, the 5-minute, hourly and daily roll-ups and the
current-state table, in one transaction): one `ProbeResult` per centre with
`SAMPLES_PER_RESULT` samples, one of every catalogue series, as a national cycle of the
simulated fleet has. The first batch also creates every series; later ones are the
steady state.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from config.catalogue import METRICS, PROCEDURES
from config.registry import all_centres
from metrics.results import ProbeResult, Sample
from metrics.store import Store


def _all_series_names() -> list[tuple[str, str]]:
    """Every (metric, label) pair of the catalogue."""
    return [(m.name, p) for m in METRICS.values() for p in (PROCEDURES if m.label else ("",))]


SAMPLES_PER_RESULT = len(_all_series_names())  # 49: what one poll of a centre stores
INTERVAL_S = 15.0  # the collector's default poll interval


def _series_names() -> list[tuple[str, str]]:
    """The first SAMPLES_PER_RESULT (metric, label) pairs of the catalogue."""
    return _all_series_names()[:SAMPLES_PER_RESULT]


def synthetic_batch(centre_ids: list[str], ts: float, cycle: int) -> list[ProbeResult]:
    """One poll of every centre at `ts`; values vary with centre and cycle."""
    names = _series_names()
    return [
        ProbeResult(
            centre_id=cid,
            ts=ts,
            ok=True,
            duration_s=0.1,
            http_status=200,
            samples=[
                Sample(m, float((i * 7 + j + cycle) % 50), label)
                for j, (m, label) in enumerate(names)
            ],
        )
        for i, cid in enumerate(centre_ids)
    ]


def run_store_bench(
    url: str, centres: int = 3355, cycles: int = 5, schema: str | None = None
) -> dict:
    """Write `cycles` batches of `centres` polls to `url`; return the figures (JSON-able).

    `schema`: a PostgreSQL schema to write in (see `Store.open`). Poll times
    start after the newest poll already stored, so a database kept from an
    earlier run is appended to, never replayed (replays write nothing).
    """
    registry = list(all_centres())
    if not 1 <= centres <= len(registry):
        raise ValueError(f"centres must be 1..{len(registry)}, not {centres}")
    if cycles < 1:
        raise ValueError(f"cycles must be at least 1, not {cycles}")
    fleet = registry[:centres]
    ids = [c.id for c in fleet]
    with Store.open(url, schema=schema) as store:
        store.sync_centres(fleet)
        newest = store.newest_ts()
        start = max(
            datetime.now(UTC).timestamp(), newest.timestamp() + INTERVAL_S if newest else 0.0
        )
        # Build every batch first: the timing is the store's, not the generator's.
        batches = [synthetic_batch(ids, start + k * INTERVAL_S, k) for k in range(cycles)]
        seconds, written = [], 0
        for batch in batches:
            t0 = time.perf_counter()
            written += store.write(batch)
            seconds.append(time.perf_counter() - t0)
        total_rows, size = store.footprint()
        tables, lag = _tables_and_lag(store)
    per_batch = centres * SAMPLES_PER_RESULT
    steady = seconds[1:] or seconds
    return {
        "backend": store.dialect,
        "centres": centres,
        "cycles": cycles,
        "samples_per_batch": per_batch,
        "samples_written": written,
        "samples_per_s": round(written / sum(seconds)),
        "steady_samples_per_s": round(per_batch * len(steady) / sum(steady)),
        "batch_seconds": [round(s, 3) for s in seconds],
        "sample_rows_in_db": total_rows,
        "bytes_on_disk": size,
        "bytes_per_sample": round(size / total_rows, 1) if total_rows else None,
        "rollups": "on (maintained in every write's transaction)",
        "rows": {k: v["rows"] for k, v in tables.items()},
        "bytes_per_table": {k: v["bytes"] for k, v in tables.items()},
        "rows_per_sample": {k: round(v["rows"] / total_rows, 3) if total_rows else None
                            for k, v in tables.items()},
        "bytes_on_disk_per_sample_by_table": {
            k: round(v["bytes"] / total_rows, 1) if total_rows and v["bytes"] is not None
            else None for k, v in tables.items()},
        "rollup_lag_ms": lag,
    }


def _tables_and_lag(store: Store) -> tuple[dict[str, dict], dict[str, int | None]]:
    """Rows and bytes per table, and how far each roll-up's newest sample trails the
    newest raw sample right after the last write (0: up to date)."""
    import sqlalchemy as sa

    from bench.history import TABLES, table_sizes
    from metrics.store.schema import rollup_1h, rollup_5m, samples

    sizes = table_sizes(store.engine)
    with store.engine.connect() as conn:
        rows = {name: int(conn.exec_driver_sql(f"SELECT count(*) FROM {name}").scalar_one())
                for name in TABLES}
        newest = conn.execute(sa.select(sa.func.max(samples.c.ts))).scalar_one()
        lag = {}
        for table in (rollup_5m, rollup_1h):
            last = conn.execute(sa.select(sa.func.max(table.c.last_ts))).scalar_one()
            lag[table.name] = None if newest is None or last is None else int(newest - last)
    return {k: {"rows": rows[k], "bytes": sizes.get(k)} for k in TABLES}, lag


def run_scratch_bench(url: str | None, centres: int = 3355, cycles: int = 5) -> dict:
    """`run_store_bench` on a scratch database that is removed afterwards.

    No `url`: a SQLite file in a temporary folder. A PostgreSQL `url`: a fresh
    schema in that database, dropped at the end, so nothing of the benchmark
    stays behind beside real data.
    """
    import tempfile
    import uuid

    import sqlalchemy as sa

    from metrics.store import dialects

    if url is None:
        with tempfile.TemporaryDirectory(prefix="ioc-bench-") as folder:
            return run_store_bench(f"sqlite:///{folder}/bench.db", centres, cycles)
    if dialects.normalise_url(url).get_backend_name() != "postgresql":
        return run_store_bench(url, centres, cycles)
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(dialects.normalise_url(url))
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        try:
            return run_store_bench(url, centres, cycles, schema=schema)
        finally:
            with admin.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()
