"""A burn rate is not judged over a window reaching into history still being filled
(`ioc demo` fills the week behind the live data): the missing polls would make the window
look smaller and the rate another. Judged once the history is complete."""

from __future__ import annotations

from config.alerts import AlertsConfig
from metrics.alerts.engine import AlertEngine
from metrics.store import history_fill
from metrics.store.history_fill import Fill
from tests.conftest import hue_centres
from tests.fixtures.clock import Clock
from tests.fixtures.personas import healthy_ward, unreachable_mountain_commune

T0 = 1_751_511_600.0  # 10:00 on 3 July 2025, Huế
CENTRES = hue_centres()


def config() -> AlertsConfig:
    return AlertsConfig.model_validate({
        "rules": [{"name": "burn", "condition": {
            "kind": "burn_rate", "slo": 0.995, "scope": "province", "min_polls": 10,
            "pairs": [{"long_s": 3600, "short_s": 300, "factor": 1}]},
            "severity": "info", "summary": "{province_name}: burn"}],
        "channels": {"hook": {"type": "webhook", "url": "http://127.0.0.1:9/"}},
        "routes": [{"channels": ["hook"]}],
    })


def test_burn_rate_waits_for_the_history_its_window_reaches_into(store):
    store.sync_centres(CENTRES)
    # The last 10 minutes, a third of the centres down: far beyond the error budget.
    down = {c.id for c in CENTRES[::3]}
    for ts in range(int(T0) - 600, int(T0), 60):
        store.write([unreachable_mountain_commune(c.id, ts) if c.id in down
                     else healthy_ward(c.id, ts) for c in CENTRES])
    now_ms = int(T0 * 1000)
    # History complete only for the last 20 minutes: the 1-hour window is not judged.
    history_fill.record(store.engine, Fill(now_ms - 86_400_000, now_ms, now_ms - 1_200_000,
                                           10, 288, now_ms))
    engine = AlertEngine(store, config(), clock=Clock(T0))
    window = engine.read_window(list(engine.cfg.rules), now_ms)
    assert set(window.poll_counts["window_s"]) == {300.0}
    engine.evaluate()
    assert not _firing(store)
    # Complete: judged, and it fires.
    history_fill.record(store.engine, Fill(now_ms - 86_400_000, now_ms, now_ms - 86_400_000,
                                           288, 288, now_ms))
    later = AlertEngine(store, config(), clock=Clock(T0 + 1))
    later.evaluate()
    assert _firing(store) == ["burn/p46"]


def _firing(store) -> list[str]:
    import sqlalchemy as sa

    from metrics.store import schema as t

    with store.engine.connect() as conn:
        return [r[0] for r in conn.execute(sa.select(t.alerts.c.fingerprint)
                                           .where(t.alerts.c.state == "firing"))]
