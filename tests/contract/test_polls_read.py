"""`polls_read.failed_centres` on SQLite and PostgreSQL: the centres with a failed (or
skipped) poll in a window, within the given centres only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from metrics.results import ProbeResult, Reason, Sample
from metrics.store import polls_read
from tests.conftest import hue_centres

T0 = datetime(2025, 7, 3, 2, 0, tzinfo=UTC)


def poll(centre_id: str, minutes: float, ok: bool, reason: Reason | None = None):
    samples = [Sample("up", 1.0 if ok else 0.0)] if reason is not Reason.SKIPPED else []
    return ProbeResult(centre_id, (T0 + timedelta(minutes=minutes)).timestamp(), ok,
                       0.1, reason, "" if ok else "x", samples=samples)


def test_failed_centres_are_those_with_a_failed_or_skipped_poll_in_the_window(store):
    centres = hue_centres()[:5]
    store.sync_centres(centres)
    a, b, c, d, e = (x.id for x in centres)
    store.write([poll(x, m, True) for x in (a, b, c, d, e) for m in range(0, 60, 5)])
    store.write([poll(b, 12, False, Reason.TIMEOUT), poll(c, 31, False, Reason.SKIPPED),
                 poll(d, 90, False, Reason.REFUSED)])  # d fails after the window
    window = (T0, T0 + timedelta(minutes=60))
    assert polls_read.failed_centres(store, *window) == sorted([b, c])
    assert polls_read.failed_centres(store, *window, centre_ids=[a, c]) == [c]
    assert polls_read.failed_centres(store, *window, centre_ids=[]) == []
    assert polls_read.failed_centres(store, T0, T0 + timedelta(minutes=12)) == [b]  # inclusive
    assert polls_read.failed_centres(store, T0 + timedelta(minutes=13),
                                     T0 + timedelta(minutes=120)) == sorted([c, d])
    assert polls_read.failed_centres(store, T0 - timedelta(days=1), T0 - timedelta(hours=1)) \
        == []
