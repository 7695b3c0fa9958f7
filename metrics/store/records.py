"""The store's pure conversions: `ProbeResult`s to rows, rows to polars frames, times.

No I/O. Everything here is what `metrics.store` writes or returns, so the
rules live in one place: times are integer ms since the Unix epoch (UTC),
values are finite, text a centre can influence is capped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

import polars as pl

from config.registry import Centre
from metrics.results import ProbeResult

SeriesKey = tuple[str, str, str]  # centre_id, metric, label

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MS = timedelta(milliseconds=1)
# Text a centre can influence is untrusted: cap what one poll row may hold.
MAX_DETAIL_CHARS = 2_000

CENTRE_SCHEMA = pl.Schema({
    "id": pl.String,
    "name": pl.String,
    "kind": pl.String,
    "province_code": pl.Int64,
    "province_name": pl.String,
    "lat": pl.Float64,
    "lon": pl.Float64,
    "coords_approximate": pl.Boolean,
})
SAMPLE_SCHEMA = pl.Schema({
    "centre_id": pl.String,
    "metric": pl.String,
    "label": pl.String,
    "ts": pl.Int64,
    "value": pl.Float64,
})
POLL_SCHEMA = pl.Schema({
    "centre_id": pl.String,
    "ts": pl.Int64,
    "ok": pl.Boolean,
    "reason": pl.String,
    "detail": pl.String,
    "http_status": pl.Int64,
    "duration_s": pl.Float64,
    "rejected": pl.Int64,
    "rejected_detail": pl.String,
    "confirmed": pl.Boolean,  # a failure seen again by the collector's re-probe
})
POLL_COLUMNS = tuple(POLL_SCHEMA)


def to_ms(when: datetime) -> int:
    """Milliseconds since the Unix epoch for an aware datetime (exact integer arithmetic)."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"naive datetime {when!r}: pass a timezone-aware datetime")
    return (when - EPOCH) // MS


def from_ms(ms: int) -> datetime:
    return EPOCH + ms * MS


def frame(rows: Sequence[Sequence], schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    df = pl.DataFrame(rows, schema=schema, orient="row")
    if "ts" in schema:
        df = df.with_columns(pl.col("ts").cast(pl.Datetime("ms")).dt.replace_time_zone("UTC"))
    return df


def _finite(value: float, result: ProbeResult, what: str) -> float:
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(
            f"centre {result.centre_id!r}: {what} is {value!r}; the store keeps finite numbers only"
        )
    return value


def centre_rows(items: Iterable[Centre]) -> list[dict]:
    """Rows for the centres table."""
    return [
        {
            "id": c.id,
            "name": c.name,
            "kind": c.kind,
            "province_code": c.province_code,
            "province_name": c.province_name,
            "lat": c.lat,
            "lon": c.lon,
            "coords_approximate": bool(c.coords_approximate),
        }
        for c in items
    ]


def result_rows(
    results: Sequence[ProbeResult],
) -> tuple[list[tuple], list[tuple[SeriesKey, int, float]]]:
    """Poll rows (POLL_COLUMNS order) and (series key, ts, value) triples, validated; no I/O."""
    poll_rows: list[tuple] = []
    sample_keys: list[tuple[SeriesKey, int, float]] = []
    isfinite = math.isfinite
    for r in results:
        ts = round(_finite(r.ts, r, "ts") * 1000)  # Unix seconds → ms
        poll_rows.append(
            (
                r.centre_id,
                ts,
                bool(r.ok),
                None if r.reason is None else str(r.reason),
                (r.detail or "")[:MAX_DETAIL_CHARS],
                r.http_status,
                _finite(r.duration_s, r, "duration_s"),
                r.rejected_count,
                "\n".join(r.rejected + ([f"… +{r.rejected_more}"] if r.rejected_more else []))
                [:MAX_DETAIL_CHARS],
                bool(r.confirmed),
            )
        )
        cid = r.centre_id
        for s in r.samples:
            value = float(s.value)
            if not isfinite(value):
                raise ValueError(
                    f"centre {cid!r}: metric {s.metric!r} (label {s.label!r}) "
                    f"value is {value!r}; the store keeps finite numbers only"
                )
            sample_keys.append(((cid, s.metric, s.label or ""), ts, value))
    return poll_rows, sample_keys
