"""Blips never alarm, outages always do, and nothing alarms at start-up: `ioc simulate` and
`ioc collect` as real processes at a 5-s interval with the shipped alert rules, over real
loopback HTTP, on SQLite and PostgreSQL.

Weak lines drop for a few seconds at a time: 3-s blips (refused, hanging, HTTP 503) are
injected again and again on some centres while others go down for good (refused, hanging,
soft-down: the centre's own system says it is down). Every outage must reach the webhook
as one `centre_down` firing notice (and one resolved notice once it ends); no blip may.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from config.alerts import alerts_path
from config.registry import fleet
from metrics.store import dialects
from tests.conftest import PG_URL
from tests.faults.procs import wait_until
from tests.faults.product import Knobs, Product
from tests.faults.scratch_pg import ScratchDatabase

pytestmark = pytest.mark.slow

HUE = [c.id for c in fleet("hue")]
BLIPPING = {"refuse": HUE[0:2], "hang": HUE[2:4], "http_5xx": HUE[4:6]}
DOWN = {"refuse": HUE[10], "hang": HUE[11], "soft_down": HUE[12]}
BLIP_S, ROUNDS = 3.0, 6
COLLECTION = ("centre_down", "province_down", "centre_silent", "collector_silent")
KNOBS = Knobs(interval_s=5.0, timeout_s=3.0, connect_timeout_s=2.0)


def shipped_rules(sink_url: str) -> dict[str, Any]:
    """The shipped alerts.yaml, its notices sent to the test's receiver at once, each
    centre's alone (no province incident groups them: nine centres of one province fail)."""
    cfg = yaml.safe_load(alerts_path(None).read_text(encoding="utf-8"))
    cfg["shared_cause"] = {**cfg["shared_cause"], "causes": {}}
    cfg["channels"] = {"hook": {"type": "webhook", "url": sink_url, "backoff_s": 0.2,
                                "backoff_max_s": 1}}
    cfg["routes"] = [{"channels": ["hook"]}]
    units = cfg["assignments"]["units"]
    cfg["assignments"]["units"] = {k: {**u, "channel": "hook"} for k, u in units.items()}
    cfg["grouping"] = {**cfg["grouping"], "interval_s": 0}
    return cfg


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ioc.db'}"
        return
    db = ScratchDatabase(PG_URL).create()
    try:
        yield db.url
    finally:
        db.drop()


def notices(product: Product) -> list[tuple[str, str, str]]:
    """(status, rule, centre) of every alert in every webhook delivery, in order."""
    return [(a.get("status", ""), a["labels"].get("alertname", ""),
             a["labels"].get("centre", "")) for r in product.sink.snapshot()
            if isinstance(r.body, dict) for a in r.body.get("alerts", [])]


def rows(url: str, sql: str) -> list[tuple]:
    engine = dialects.create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql))]
    finally:
        engine.dispose()


def test_blips_never_alarm_outages_always_do_and_start_up_is_quiet(tmp_path, db_url):
    product = Product(tmp_path, db_url, KNOBS, dashboard=False, rules=shipped_rules,
                      collector={"workers": 1, "concurrency": 32})
    try:
        product.start()  # returns after two written cycles
        # Start-up: the first cycles raise no alert about the collection itself (no
        # "silent" centre not yet reached, no centre down before any failure); what the
        # centres' own data says (overdue dossiers in the simulated day) may alert.
        assert rows(db_url, f"SELECT rule, centre_id FROM alerts WHERE rule IN {COLLECTION}"
                    ) == []
        for fault, centre in DOWN.items():
            product.inject([centre], fault, 3600)
        started = time.monotonic()
        for _ in range(ROUNDS):  # blips again and again, at every phase of the cycle
            for fault, centres in BLIPPING.items():
                product.inject(centres, fault, BLIP_S)
            time.sleep(BLIP_S + 3.7)
        wait_until("every outage notified", lambda: {
            c for s, rule, c in notices(product) if rule == "centre_down" and s == "firing"}
            >= set(DOWN.values()), 30)
        product.clear_faults()
        wait_until("every outage resolved", lambda: {
            c for s, rule, c in notices(product) if rule == "centre_down" and s == "resolved"}
            >= set(DOWN.values()), 30)
        elapsed = time.monotonic() - started
    finally:
        product.stop()
    seen = notices(product)
    blipping = {c for cs in BLIPPING.values() for c in cs}
    # The blips were seen failing (so the window was put to the test), and never alarmed.
    failed = {r[0] for r in rows(db_url, "SELECT centre_id FROM polls WHERE NOT ok")}
    assert failed & blipping, "no blip was ever observed: the test proved nothing"
    assert [n for n in seen if n[2] in blipping] == []
    assert rows(db_url, "SELECT rule, centre_id FROM alerts WHERE rule IN "
                "('centre_silent', 'collector_silent')") == []
    # Each outage: one firing notice, one resolved notice.
    for centre in DOWN.values():
        assert [s for s, rule, c in seen if c == centre and rule == "centre_down"] == [
            "firing", "resolved"], (centre, seen)
    # The collector kept its 5-s grid: no tick skipped while it all happened.
    cycles = product.cycles()
    assert cycles and max(c.get("ticks_skipped", 0) for c in cycles) == 0, elapsed
