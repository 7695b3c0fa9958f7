"""Faults with one culprit each (docs/faults.md, issue 22): a centre that trickles its answer,
a database black hole between the collector and PostgreSQL, a spool on a tiny filesystem
that fills and turns read-only, and a centre flooding its document with long label keys.

Each runs the real `ioc simulate` and `ioc collect` (and, for the black hole, `ioc
dashboard`) as child processes on a scratch PostgreSQL database, and prints the figures
the issue asks for (look for "figure:" with -s).
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from collectors.validate import MAX_REJECTIONS, REJECTION_CHARS
from config.registry import fleet
from metrics.store import dialects
from tests.conftest import PG_URL
from tests.faults import pages
from tests.faults.blackhole import BlackHoleProxy
from tests.faults.checks import events
from tests.faults.procs import wait_until
from tests.faults.product import Knobs, Product, settle
from tests.faults.runner import STALE, spool_keys, store_keys
from tests.faults.scratch_pg import ScratchDatabase

pytestmark = [pytest.mark.faults, pytest.mark.slow, pytest.mark.postgres]

HUE = [c.id for c in fleet("hue")]
KNOBS = Knobs()


@pytest.fixture
def scratch() -> Iterator[tuple[ScratchDatabase, sa.Engine]]:
    try:
        db = ScratchDatabase(PG_URL).create()
    except sa.exc.OperationalError as exc:
        pytest.fail(f"PostgreSQL at {PG_URL} is unreachable: {exc.orig}; these tests never "
                    "skip", pytrace=False)
    engine = dialects.create_engine(db.url)
    try:
        yield db, engine
    finally:
        engine.dispose()
        db.drop()


@contextlib.contextmanager
def running(product: Product) -> Iterator[Product]:
    try:
        product.start()
        yield product
    finally:
        product.stop()


def rows(engine: sa.Engine, sql: str, **params: Any) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.text(sql), params).mappings()]


def cycles_after(product: Product, t: float) -> list[dict[str, Any]]:
    return [c for c in product.cycles() if c["at"] > t]


def no_duplicate_polls(engine: sa.Engine) -> list[dict[str, Any]]:
    return rows(engine, "SELECT centre_id, ts, count(*) AS n FROM polls "
                "GROUP BY centre_id, ts HAVING count(*) > 1")


# --- a centre that trickles its answer -----------------------------------------------------

def test_a_trickling_centre_is_a_timeout_with_its_reason_and_no_other_centre_is_skipped(
        scratch, tmp_path):
    db, engine = scratch
    interval, timeout, connect = 3.0, 1.0, 0.5
    product = Product(tmp_path, db.url, KNOBS, dashboard=False, collector={
        "interval_s": interval, "timeout_s": timeout, "connect_timeout_s": connect,
        "workers": 2})
    culprit = HUE[7]
    with running(product):
        before = product.cycles()[-1]["cycle_s"]
        # One byte every 0.3 s: each byte well within the 1 s read timeout, the whole answer
        # (several KB) hours long. Only the exchange's total deadline (1.5 s) stops it.
        product.inject([culprit], "trickle", 120, every_s=0.3, bytes=1)
        started = time.time()
        wait_until("four cycles with the trickle", lambda: len(
            cycles_after(product, started + interval)) >= 4, 60, product.collector)
        seen = cycles_after(product, started + interval)[:4]
    print(f"\n  figure: cycle time (poll phase) with a trickling centre: "
          f"{', '.join(f'{c['cycle_s']:.2f} s' for c in seen)} (healthy: {before:.2f} s; "
          f"interval {interval:g} s, deadline {connect + timeout:g} s)")
    problems = []
    for c in seen:
        if c.get("workers_restarted") or "skipped" in c["failed"]:
            problems.append(f"cycle {c.get('cycle')}: a worker was restarted or centres "
                            f"skipped: {c}")
        if c["failed"] != {"timeout": 1} or c["ok"] != len(HUE) - 1:
            problems.append(f"cycle {c.get('cycle')}: expected 39 ok and the trickler's one "
                            f"timeout, got ok={c['ok']} failed={c['failed']}")
    polls = rows(engine, "SELECT centre_id, ok, reason, detail FROM polls WHERE ts >= :t "
                 "AND NOT ok", t=int((started + interval) * 1000))
    others = [p for p in polls if p["centre_id"] != culprit]
    mine = [p for p in polls if p["centre_id"] == culprit]
    if others:
        problems.append(f"other centres failed while one trickled: {others[:5]}")
    if not mine or any(p["reason"] != "timeout" or "answer too slow" not in p["detail"]
                       for p in mine):
        problems.append(f"the trickler's polls are not timeouts 'answer too slow': {mine[:3]}")
    assert not problems, "\n".join(problems)


# --- a database black hole -----------------------------------------------------------------

def test_a_database_black_hole_never_stops_polling_and_every_cycle_lands_once(
        scratch, tmp_path):
    db, engine = scratch
    pg = make_url(db.url)
    proxy = BlackHoleProxy((pg.host or "127.0.0.1", pg.port or 5432))
    through = make_url(db.url).set(host="127.0.0.1", port=proxy.port) \
        .render_as_string(hide_password=False)
    # The spool holds the whole outage, so every cycle polled in it must land.
    product = Product(tmp_path, db.url, KNOBS, collector_db_url=through, collector={
        "spool_max_bytes": 40 * KNOBS.cycle_bytes})
    outage_s = 10 * KNOBS.interval_s
    try:
        with running(product):
            proxy.blackhole()
            cut = time.time()
            wait_until("cycles spooled in the black hole", lambda: sum(
                "spooled" in c for c in cycles_after(product, cut)) >= 3, 30, product.collector)
            time.sleep(max(0.0, cut + outage_s - time.time()))
            wall = pages.render(product.dashboard_url)
            snapshot = spool_keys(product.spool_dir, tmp_path / "snap")
            in_hole = cycles_after(product, cut)
            proxy.forward()
            back = time.time()
            settle(product, 90)
            code = product.collector.terminate()
    finally:
        proxy.close()
    log = product.collector.text()
    polls, _ = store_keys(engine)
    polled = {(c, ts) for c, ts in polls if cut * 1000 <= ts <= back * 1000}
    expected = len(in_hole) * len(HUE)
    lost = expected - len({k for k in polled if k[1] <= in_hole[-1]["at"] * 1000})
    print(f"\n  figure: database black hole of {back - cut:.0f} s: {len(in_hole)} cycles polled "
          f"on time ({outage_s / KNOBS.interval_s:.0f} ticks), "
          f"{sum('spooled' in c for c in in_hole)} spooled, "
          f"{sum('dropped' in c for c in in_hole)} dropped; polls lost: {max(lost, 0)}")
    problems = []
    if code != 0:
        problems.append(f"the collector did not stop cleanly (exit {code})")
    if len(in_hole) < outage_s / KNOBS.interval_s / 2:
        problems.append(f"polling stalled in the black hole: {len(in_hole)} cycles in "
                        f"{outage_s:g} s")
    if any("dropped" in c for c in in_hole):
        problems.append("cycles dropped although the spool could hold the outage")
    if missing := snapshot - polls:
        problems.append(f"{len(missing)} spooled polls never replayed")
    if lost > 0:
        problems.append(f"{lost} polls of the black hole's cycles are not in the store")
    if dupes := no_duplicate_polls(engine):
        problems.append(f"polls stored twice: {dupes[:5]}")
    if not (wall.ok and STALE in wall.everything()):
        problems.append(f"the wall does not say its data is stale, with its age:\n"
                        f"{wall.everything()[-2000:]}")
    states = _database_states(log)
    if states[:1] not in (["database_stuck"], ["database_unreachable"]) \
            or "database_reachable" not in states or len(states) > 4:
        problems.append(f"the outage should be said once when it starts and once when it "
                        f"ends, got {states}")
    if (n := log.count("Traceback")) > 0:
        problems.append(f"{n} tracebacks logged during a database outage")
    assert not problems, "\n".join(problems) + f"\n{product.collector.tail()}"


def _database_states(log: str) -> list[str]:
    """The collector's database state lines (database_stuck, _unreachable, _reachable)."""
    return [json.loads(line[line.index("{"):])["event"] for line in log.splitlines()
            if '"event": "database_' in line and "{" in line]


# --- a spool on a tiny filesystem ------------------------------------------------------------

@contextlib.contextmanager
def tiny_filesystem(where: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` mounted at `where` (the suite runs as root); unmounted after."""
    where.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs",
                    str(where)], check=True, capture_output=True)
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False, capture_output=True)


@contextlib.contextmanager
def read_only(where: Path) -> Iterator[None]:
    """`where` read-only while inside: a read-only bind mount over it (a plain remount is
    refused while the collector holds a file there open for writing, its lock)."""
    subprocess.run(["mount", "--bind", str(where), str(where)], check=True, capture_output=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(where)], check=True,
                       capture_output=True)
        yield
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False, capture_output=True)


def test_a_spool_on_a_filling_filesystem_drops_by_policy_records_gaps_and_replays_once(
        scratch, tmp_path):
    db, engine = scratch
    # The bound is far beyond the disk: the disk fills first (ENOSPC), then turns read-only.
    product = Product(tmp_path, db.url, KNOBS, dashboard=False, collector={
        "spool_max_bytes": 100 * KNOBS.cycle_bytes})
    with (tiny_filesystem(product.spool_dir, f"{int(2.5 * KNOBS.cycle_bytes)}"),
          running(product)):
        db.cut()
        cut = time.time()
        wait_until("cycles dropped on the full disk", lambda: sum(
            c.get("drop_reason") == "spool_full" for c in cycles_after(product, cut)) >= 3,
            60, product.collector)
        with read_only(product.spool_dir):
            ro = time.time()
            wait_until("cycles dropped on the read-only folder", lambda: sum(
                c.get("drop_reason") == "spool_unwritable"
                for c in cycles_after(product, ro)) >= 2, 60, product.collector)
        snapshot = spool_keys(product.spool_dir, tmp_path / "snap")
        db.restore()
        settle(product, 90)
        alive = product.collector.alive
        code = product.collector.terminate()
    log = product.collector.text()
    cycles = cycles_after(product, cut)
    dropped = [c for c in cycles if "dropped" in c]
    spooled = sum("spooled" in c for c in cycles)
    replayed = sum(c.get("replayed", 0) for c in cycles)
    gaps = rows(engine, "SELECT reason, cycles FROM collection_gaps ORDER BY start_ts")
    polls, _ = store_keys(engine)
    print(f"\n  figure: spool on a {2.5 * KNOBS.cycle_bytes / 1000:.0f} KB filesystem: "
          f"{spooled} cycles spooled, {replayed} replayed, {len(dropped)} dropped "
          f"({', '.join(sorted({c['drop_reason'] for c in dropped}))}); gaps {gaps}")
    problems = []
    if not alive or code != 0:
        problems.append(f"the collector did not stay up (alive {alive}, exit {code})")
    if replayed != spooled:
        problems.append(f"{spooled} cycles spooled but {replayed} replayed")
    if missing := snapshot - polls:
        problems.append(f"{len(missing)} spooled polls never replayed")
    if dupes := no_duplicate_polls(engine):
        problems.append(f"polls stored twice: {dupes[:5]}")
    if {g["reason"] for g in gaps} != {"spool_full", "spool_unwritable"}:
        problems.append(f"gaps should name both reasons: {gaps}")
    if sum(g["cycles"] for g in gaps) != len(dropped):
        problems.append(f"{len(dropped)} cycles dropped, the gaps hold "
                        f"{sum(g['cycles'] for g in gaps)}")
    said = len(events(log, "spool_full")) + len(events(log, "spool_unwritable"))
    if not 2 <= said <= 4:
        problems.append(f"{said} spool refusal lines for {len(dropped)} dropped cycles: one "
                        "per change of state expected")
    if (n := log.count("Traceback")) > 0:
        problems.append(f"{n} tracebacks logged")
    assert not problems, "\n".join(problems) + f"\n{product.collector.tail()}"


# --- a centre flooding its document with label keys ------------------------------------------

def test_a_label_flooding_centre_adds_a_bounded_number_of_bytes_to_a_spooled_cycle(
        scratch, tmp_path):
    db, engine = scratch
    product = Product(tmp_path, db.url, KNOBS, dashboard=False, collector={
        "spool_max_bytes": 100 * KNOBS.cycle_bytes})
    culprit = HUE[3]
    with running(product):
        db.cut()
        wait_until("two spooled cycles", lambda: len(
            list(product.spool_dir.glob("cycle-*"))) >= 2, 30, product.collector)
        calm = sorted(product.spool_dir.glob("cycle-*"))[-1].stat().st_size
        product.inject([culprit], "label_flood", 60, keys=500, key_bytes=2000)
        flood = time.time()
        wait_until("three cycles with the flood", lambda: sum(
            "spooled" in c for c in cycles_after(product, flood + KNOBS.interval_s)) >= 3, 30,
            product.collector)
        sizes = [p.stat().st_size for p in sorted(product.spool_dir.glob("cycle-*"))[-2:]]
        db.restore()
        settle(product, 90)
    flooded = rows(engine, "SELECT rejected, rejected_detail FROM polls WHERE centre_id = :c "
                   "AND ts >= :t", c=culprit, t=int((flood + KNOBS.interval_s) * 1000))
    print(f"\n  figure: spooled bytes per cycle: {calm} calm, {max(sizes)} with a centre "
          f"sending 500 label keys of 2,000 bytes ({max(sizes) / calm:.2f}×)")
    problems = []
    # What one centre may add (docs/collectors.md): ~25 KB — MAX_REJECTIONS texts of
    # REJECTION_CHARS (JSON-escaped: at most 6 bytes a character) and a count. Unbounded, this
    # flood added ~2.1 MB.
    allowed = 25_000
    assert allowed >= MAX_REJECTIONS * (REJECTION_CHARS * 6 + 4) + 64
    if max(sizes) - calm > allowed:
        problems.append(f"the flood added {max(sizes) - calm} bytes to a spooled cycle "
                        f"(allowed {allowed})")
    if not flooded or any(r["rejected"] < 500 for r in flooded):
        problems.append(f"the rejections are not counted: {[r['rejected'] for r in flooded]}")
    assert not problems, "\n".join(problems)
