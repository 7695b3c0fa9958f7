"""The collector's fall-behind record (metrics/store/cadence.py) on SQLite and PostgreSQL."""

from __future__ import annotations

from metrics.store import cadence
from metrics.store.schema import meta


def test_each_collector_keeps_one_row_replaced_each_time(store):
    cadence.record(store.engine, "", 1_000, 1, 1, 5.0)
    cadence.record(store.engine, "", 9_000, 2, 3, 5.0)
    cadence.record(store.engine, "shard-1of2", 5_000, 1, 1, 15.0)
    found = cadence.read(store.engine)
    assert [(b.collector, b.at_ms, b.missed, b.total) for b in found] == [
        ("collector", 9_000, 2, 3), ("shard-1of2", 5_000, 1, 1)]
    assert cadence.recent(found, 9_000 + 600_000) == found[0]
    assert cadence.recent(found, 9_000 + 600_001) is None


def test_a_row_that_does_not_parse_is_passed_over(store):
    with store.engine.begin() as conn:
        conn.execute(meta.insert().values(key="behind:broken", value="{not json"))
    cadence.record(store.engine, "", 1_000, 1, 1, 5.0)
    assert [b.collector for b in cadence.read(store.engine)] == ["collector"]
