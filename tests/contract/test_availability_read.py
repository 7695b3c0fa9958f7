"""`availability_read` on SQLite and PostgreSQL: a window's polls and "system down" reports,
and chunked seconds that add up to the pure function over the whole window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from metrics import availability as av
from metrics.results import ProbeResult, Reason, Sample
from metrics.store import availability_read, to_ms
from tests.conftest import hue_centres

T0 = datetime(2025, 7, 3, 1, 0, tzinfo=UTC)
HOLD = 30.0


def poll(centre_id: str, seconds: float, ok: bool = True, reason: Reason | None = None,
         system: float = 2.0) -> ProbeResult:
    if reason is Reason.SKIPPED:
        samples = []
    elif ok:
        samples = [Sample("up", 1.0), Sample("system_state", system)]
    else:
        samples = [Sample("up", 0.0)]
    return ProbeResult(centre_id, (T0 + timedelta(seconds=seconds)).timestamp(), ok, 0.1,
                       reason, "" if ok else "x", samples=samples)


def history(ids: list[str]) -> list[ProbeResult]:
    """Two hours every 15 s: `a` fails for 8 min (each failure re-probed 0.2 s later), `b`
    reports its own system down for 4 min and is skipped for 2, `c` goes silent for 40 min."""
    a, b, c = ids
    out = []
    for s in range(0, 7200, 15):
        if 1200 <= s < 1680:
            out += [poll(a, s, False, Reason.TIMEOUT), poll(a, s + 0.2, False, Reason.TIMEOUT)]
        else:
            out.append(poll(a, s))
        if 3000 <= s < 3240:
            out.append(poll(b, s, system=0.0))
        elif 4000 <= s < 4120:
            out.append(poll(b, s, False, Reason.SKIPPED))
        else:
            out.append(poll(b, s))
        if not 2400 <= s < 4800:
            out.append(poll(c, s))
    return out


def test_polls_reads_outcomes_and_down_reports_of_the_window_only(store):
    centres = hue_centres()[:3]
    store.sync_centres(centres)
    ids = [c.id for c in centres]
    store.write(history(ids))
    got, reports = availability_read.polls(store, T0 + timedelta(seconds=1190),
                                           T0 + timedelta(seconds=3000), centre_ids=ids[:2])
    assert set(got["centre_id"]) == set(ids[:2])
    a = got.filter(got["centre_id"] == ids[0])
    assert a["ts"].min() == to_ms(T0 + timedelta(seconds=1200))  # inclusive bounds
    assert a.filter(~a["ok"])["reason"].unique().to_list() == ["timeout"]
    assert a.filter(a["ok"])["reason"].null_count() == a["ok"].sum()
    assert reports.rows() == [(ids[1], to_ms(T0 + timedelta(seconds=3000)), 0.0)]


def test_chunks_read_from_the_store_add_up_to_the_pure_function(store):
    centres = hue_centres()[:3]
    store.sync_centres(centres)
    ids = [c.id for c in centres]
    store.write(history(ids))
    start, end = T0 + timedelta(seconds=437.5), T0 + timedelta(seconds=7000)
    cut = av.settled_cut(end, timedelta(minutes=5), HOLD)
    parts = [availability_read.chunk_seconds(store, a, b, HOLD, ids)
             for a, b, _ in av.chunks(start, end, cut)]
    chunked = av.summarise(parts, (end - start).total_seconds(), ids)
    got, reports = availability_read.polls(store, start - timedelta(seconds=HOLD),
                                           end + timedelta(seconds=HOLD), ids)
    whole = av.time_weighted(got, start, end, HOLD, reports, ids)
    for column in ("up_s", "down_s", "unknown_s", "availability"):
        assert chunked[column].to_list() == pytest.approx(whole[column].to_list())
    by_id = {r["centre_id"]: r for r in whole.iter_rows(named=True)}
    assert by_id[ids[0]]["down_s"] == pytest.approx(480)  # re-probes weigh nothing more
    assert by_id[ids[1]]["down_s"] == pytest.approx(240)  # soft down
    assert by_id[ids[1]]["unknown_s"] == pytest.approx(120)  # skipped: unknown
    assert by_id[ids[2]]["down_s"] == 0
    assert by_id[ids[2]]["unknown_s"] == pytest.approx(2400 - HOLD + 15)  # a gap


@pytest.mark.parametrize(("start_s", "end_s"), [(437.5, 7000), (0, 3600), (1190, 1210.1),
                                                (-500, 7500), (2400, 4800)])
def test_the_sum_in_the_database_is_the_pure_function(store, start_s, end_s):
    centres = hue_centres()[:4]
    store.sync_centres(centres)
    ids = [c.id for c in centres]
    store.write(history(ids[:3]))
    store.write([poll(ids[3], 3000, False, Reason.SKIPPED), poll(ids[3], 3030, False)])
    a, b = T0 + timedelta(seconds=start_s), T0 + timedelta(seconds=end_s)
    for centre_ids in (None, ids[1:3]):
        in_sql = availability_read.chunk_seconds_sql(store, a, b, HOLD, centre_ids)
        in_polars = availability_read.chunk_seconds(store, a, b, HOLD, centre_ids)
        loaders = availability_read.chunk_seconds_fastest(store, a, b, HOLD, centre_ids)
        for other in (in_polars, loaders):
            assert in_sql["centre_id"].to_list() == other["centre_id"].to_list()
            for column in ("up_s", "down_s"):
                assert in_sql[column].to_list() == pytest.approx(other[column].to_list())


def test_the_sum_in_the_database_refuses_a_hold_of_zero(store):
    with pytest.raises(ValueError, match="hold_s"):
        availability_read.chunk_seconds_sql(store, T0, T0 + timedelta(hours=1), 0)
