"""The fault-injection suite (docs/faults.md): the real processes, killed and cut at random.

`ioc simulate`, `ioc collect` and `ioc dashboard` run as child processes on a scratch
PostgreSQL database, with a webhook receiver on loopback. A seeded plan (printed; replay
with IOC_FAULT_SEED, lengthen with IOC_FAULT_SECONDS) SIGKILLs and restarts the collector
and the dashboard, cuts the database (refusing connections, terminating backends) long
enough to fill the spool past its bound, and injects every simulator fault on some centre.
A closing round injects every fault at once on other centres with nothing else going
wrong. Then: no committed poll or sample lost, none twice, spooled cycles replayed and
dropped ones reported, every notification exactly once, no alert left open, the dashboard
back within one refresh after each restart, and every failure shown with its reason.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from config.registry import fleet
from dashboard.i18n import text
from dashboard.views.alert_text import rule_name
from metrics.store import dialects
from tests.conftest import PG_URL
from tests.faults import checks, pages
from tests.faults.plan import EXPECTED, Step, chaos_plan, final_faults
from tests.faults.procs import wait_until
from tests.faults.product import Knobs, Product, settle
from tests.faults.runner import Chaos, Record, store_keys
from tests.faults.scratch_pg import ScratchDatabase

pytestmark = [pytest.mark.faults, pytest.mark.slow, pytest.mark.postgres]

KNOBS = Knobs()
MAX_BODY = 1_048_576  # collector.max_body_bytes (default)
BOOT_S = 30.0  # a restarted dashboard must answer /_stcore/health by itself within this
HUE = [c.id for c in fleet("hue")]
tr = text("vi")


DEFAULT_SEED = 348715525  # `make test` replays this plan; IOC_FAULT_SEED=random draws one


def seed() -> int:
    raw = os.environ.get("IOC_FAULT_SEED") or str(DEFAULT_SEED)
    return random.SystemRandom().randrange(1, 1 << 31) if raw == "random" else int(raw)


def chaos_seconds() -> float:
    return float(os.environ.get("IOC_FAULT_SECONDS") or 45)


@pytest.fixture
def running(tmp_path) -> Iterator[tuple[Product, ScratchDatabase, sa.Engine]]:
    try:
        db = ScratchDatabase(PG_URL).create()
    except sa.exc.OperationalError as exc:
        pytest.fail(f"PostgreSQL at {PG_URL} is unreachable: {exc.orig}; these tests never "
                    "skip", pytrace=False)
    product = Product(tmp_path, db.url, KNOBS)
    engine = dialects.create_engine(db.url)
    try:
        product.start()
        yield product, db, engine
    finally:
        product.stop()
        engine.dispose()
        db.drop()


def rule_of(kind: str) -> str:
    return EXPECTED[kind][5:] if EXPECTED[kind].startswith("rule:") else "centre_down"


def arrivals(product: Product) -> list[tuple[str, str, str]]:
    """(status, rule, centre) of every alert the receiver got, in order."""
    return [(a["status"], a["labels"]["alertname"], a["labels"].get("centre", ""))
            for r in product.sink.snapshot() for a in r.body["alerts"]]


def rows(engine: sa.Engine, sql: str, **params: Any) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.text(sql), params).mappings()]


def alerts_quiet(engine: sa.Engine, centres: set[str], timeout_s: float) -> None:
    """No open alert on these centres and every outbox row sent."""
    def quiet() -> bool:
        open_ = rows(engine, "SELECT centre_id FROM alerts WHERE state <> 'resolved'")
        unsent = rows(engine, "SELECT id FROM notifications WHERE state <> 'sent'")
        return not unsent and not {r["centre_id"] for r in open_} & centres

    try:
        wait_until("alerts to resolve and the outbox to drain", quiet, timeout_s)
    except AssertionError:
        left = rows(engine, "SELECT rule, centre_id, state, cause FROM alerts "
                    "WHERE state <> 'resolved'")
        unsent = rows(engine, "SELECT id, state, attempts, last_error FROM notifications "
                      "WHERE state <> 'sent'")
        raise AssertionError(f"forgotten: open alerts {left}, unsent notices {unsent}") from None


def timeline_rows(page: pages.Page) -> list[dict[str, object]]:
    kind = tr("commune.timeline.kind")
    return [r for r in page.rows() if kind in r]


def shows(page: pages.Page, step: Step, reason: str | None) -> bool:
    """The commune page shows the failure `step` caused: an outage with its reason (and the
    status for HTTP errors), or the alert its rule raised."""
    kind, what = tr("commune.timeline.kind"), tr("commune.timeline.what")
    detail = tr("commune.timeline.detail")
    for r in timeline_rows(page):
        if reason is not None:
            if r[kind] == tr("commune.kind.outage") and r[what] == tr(f"reason.{reason}") and (
                    step.fault != "http_5xx" or f"HTTP {int(step.params['status'])}" in
                    str(r[detail])):
                return True
        elif r[kind] == tr("commune.kind.alert") and r[what] == rule_name(rule_of(step.fault),
                                                                           tr):
            return True
    return False


def check_chaos_faults(product: Product, engine: sa.Engine, rec: Record) -> list[str]:
    """Every chaos fault the collector saw and stored is on its centre's page with its
    reason (faults that fell while the collector was dead or the spool full left no trace)."""
    problems, seen = [], 0
    for inj in rec.injected:
        cid, kind = inj.step.centres[0], inj.step.fault
        a, b = int(inj.start * 1000), int((inj.end + KNOBS.interval_s) * 1000)
        if EXPECTED[kind].startswith("rule:"):
            stored = rows(engine, "SELECT id FROM alerts WHERE centre_id = :c AND rule = :r "
                          "AND pending_since BETWEEN :a AND :b", c=cid, r=rule_of(kind),
                          a=a, b=b)
            reason = None
        else:
            failed = rows(engine, "SELECT reason FROM polls WHERE centre_id = :c AND NOT ok "
                          "AND ts BETWEEN :a AND :b", c=cid, a=a, b=b)
            stored = [r for r in failed if r["reason"] != "skipped"]
            reason = EXPECTED[kind]
            if stored and reason not in {r["reason"] for r in stored}:
                problems.append(f"{kind} on {cid}: polls failed with "
                                f"{sorted({r['reason'] for r in stored})}, not {reason}")
        if not stored:
            print(f"  chaos {kind} on {cid}: not observed (collector dead or cycles dropped)")
            continue
        seen += 1
        page = pages.render(product.dashboard_url, "commune", f"centre={cid}")
        if not page.ok or not shows(page, inj.step, reason):
            problems.append(f"commune page of {cid} does not show the {kind} fault "
                            f"({reason or rule_of(kind)}):\n{page.everything()[-1500:]}")
    print(f"  chaos faults observed and shown: {seen}/{len(rec.injected)}")
    return problems


def test_the_product_loses_nothing_repeats_nothing_and_shows_every_failure_under_chaos(
        running, tmp_path):
    product, db, engine = running
    run_seed, chaos_s = seed(), chaos_seconds()
    print(f"\nfault suite: seed {run_seed} (replay: IOC_FAULT_SEED={run_seed}), "
          f"{chaos_s:g} s of chaos (IOC_FAULT_SECONDS)")
    steps, spare = chaos_plan(run_seed, HUE, chaos_s, interval_s=KNOBS.interval_s,
                              timeout_s=KNOBS.timeout_s, stale_after_s=KNOBS.stale_after_s,
                              spool_cycles=KNOBS.spool_cycles, max_body_bytes=MAX_BODY)
    rec = Chaos(product, db, engine, tmp_path).run(steps)
    print("\n".join("  " + line for line in rec.log))

    # Chaos over: everything up again, faults cleared, the spool drained.
    db.restore()
    for proc in (product.collector, product.dashboard):
        if not proc.alive:
            proc.start()
    product.clear_faults()
    settle(product)
    faulted = {i.step.centres[0] for i in rec.injected}
    alerts_quiet(engine, faulted, 90)  # returns as soon as quiet; a loaded machine needs longer

    # The closing round: every fault at once on other centres, nothing else going wrong.
    final = final_faults(run_seed, spare, interval_s=KNOBS.interval_s,
                         timeout_s=KNOBS.timeout_s, max_body_bytes=MAX_BODY)
    started = time.time()
    for step in final:
        product.inject(list(step.centres), step.fault, step.duration_s, **step.params)
    wanted = {(rule_of(s.fault), s.centres[0]) for s in final}

    def all_firing() -> bool:
        got = {(rule, c) for status, rule, c in arrivals(product) if status == "firing"}
        return wanted <= got

    wait_until(f"firing notices for {sorted(wanted)}", all_firing, final[0].duration_s - 2)
    firing_after = time.time() - started
    wall = pages.render(product.dashboard_url)
    commune = {s.centres[0]: pages.render(product.dashboard_url, "commune",
                                          f"centre={s.centres[0]}") for s in final}
    wait_until("the closing round's faults to end",
               lambda: time.time() > started + final[0].duration_s, 60)

    def all_resolved() -> bool:
        got = {(rule, c) for status, rule, c in arrivals(product) if status == "resolved"}
        return wanted <= got

    wait_until(f"resolved notices for {sorted(wanted)}", all_resolved, 30)
    settle(product)
    alerts_quiet(engine, faulted | {s.centres[0] for s in final}, 60)
    print(f"  closing round: {len(final)} faults, all notified within {firing_after:.1f} s")

    problems: list[str] = []

    # The dashboard: back within one refresh after each restart; failures shown, with reasons.
    # Back by itself (health), then showing the wall within one refresh of being back: the
    # process's own start (Python and Streamlit imports) depends on the machine's load.
    for r in rec.recoveries:
        print(f"  dashboard restart: health after {r.health_s or 0:.1f} s, wall rendered "
              f"after {r.render_s or 0:.1f} s")
        if r.health_s is None or r.render_s is None or r.health_s > BOOT_S \
                or r.render_s - r.health_s > KNOBS.refresh_s:
            problems.append(f"dashboard not back (health within {BOOT_S:g} s, then the wall "
                            f"within one refresh, {KNOBS.refresh_s:g} s): {r}")
    problems += [f"{what}: not shown\n{txt}" for what, ok, txt in rec.looks if not ok]
    if not wall.ok:
        problems.append(f"wall during the closing round: {wall.exceptions}")
    down_words = {tr(f"reason.{EXPECTED[s.fault]}") for s in final if s.fault != "soft_down"
                  and not EXPECTED[s.fault].startswith("rule:")}
    if not any(w in wall.everything() for w in down_words):
        problems.append(f"the wall lists no failing centre with its reason:\n"
                        f"{wall.everything()[-2000:]}")
    for step in final:
        cid, kind = step.centres[0], step.fault
        reason = None if EXPECTED[kind].startswith("rule:") else EXPECTED[kind]
        page = commune[cid]
        if not page.ok or not shows(page, step, reason):
            problems.append(f"commune page of {cid} does not show {kind} "
                            f"({reason or rule_of(kind)}):\n{page.everything()[-1500:]}")
    problems += check_chaos_faults(product, engine, rec)

    # From here on the store and the collector's log are compared: stop the collector first
    # (as a service manager does), or a cycle written between reading the one and the
    # other counts as lost.
    if (code := product.collector.terminate()) != 0:
        problems.append(f"the collector did not stop cleanly on SIGTERM (exit code {code}):\n"
                        f"{product.collector.tail()}")

    # Notifications: exactly once each, across the collector's restarts; none forgotten.
    outbox = [(r["id"], r["state"], r["payload"]) for r in rows(
        engine, "SELECT id, state, payload FROM notifications ORDER BY id")]
    got = [checks.Arrival(r.at, r.body) for r in product.sink.snapshot()]
    note_problems, notes = checks.reconcile_notifications(outbox, got, product.collector.kills)
    problems += note_problems
    for alert in rows(engine, "SELECT rule, centre_id, state, last_notified, resolved_at "
                      "FROM alerts WHERE last_notified IS NOT NULL"):
        if alert["state"] != "resolved" and alert["centre_id"] in faulted:
            problems.append(f"alert left open: {alert}")
    print(f"  notifications: {len(outbox)} queued, {len(got)} received; "
          f"{'; '.join(notes) or 'no re-delivery'}")

    # The store: every poll and sample seen at a checkpoint or in the spool is there, once.
    polls, samples = store_keys(engine)
    for n, (cp_polls, cp_samples) in enumerate(rec.checkpoints):
        if lost := cp_polls - polls:
            problems.append(f"checkpoint {n}: {len(lost)} polls lost, e.g. {sorted(lost)[:3]}")
        if lost := cp_samples - samples:
            problems.append(f"checkpoint {n}: {len(lost)} samples lost")
    for n, snap in enumerate(rec.spool_snapshots):
        if missing := snap - polls:
            problems.append(f"spool snapshot {n}: {len(missing)} spooled polls never replayed")
    dupes = rows(engine, "SELECT centre_id, ts, count(*) AS n FROM polls "
                 "GROUP BY centre_id, ts HAVING count(*) > 1")
    if dupes:
        problems.append(f"polls stored twice: {dupes[:5]}")
    cycles = product.cycles()
    problems += checks.reconcile_cycles(cycles, len(polls), len(samples),
                                        len(product.collector.kills), len(HUE))
    dropped = [c for c in cycles if "dropped" in c]
    full = checks.events(product.collector.text(), "spool_full")
    # Each stretch of refusals is said once (issue 22: one line per change of state).
    if not dropped or not 1 <= len(full) <= len(dropped):
        problems.append(f"the long cut must overflow the spool, said once per stretch of "
                        f"dropped cycles: {len(dropped)} cycles dropped, "
                        f"{len(full)} spool_full lines")
    # … and shown: one `collection_gaps` row per dropped stretch, named on the wall and
    # listed on a centre's page with its reason.
    lost = rows(engine, "SELECT start_ts, end_ts, cycles, reason FROM collection_gaps")
    problems += checks.reconcile_gaps(cycles, lost, len(product.collector.kills),
                                      slack_ms=2_000 * KNOBS.interval_s)
    if dropped and tr("gaps.reason.spool_full") not in wall.everything():
        problems.append(f"the wall does not name the dropped cycles' reason:\n"
                        f"{wall.everything()[-2000:]}")
    gap_kind = tr("commune.kind.gap")
    if dropped and not any(r.get(tr("commune.timeline.kind")) == gap_kind
                           for page in commune.values() for r in timeline_rows(page)):
        problems.append("no commune page of the closing round lists the collection gap")
    if list(product.spool_dir.glob("corrupt/*")):
        problems.append("spool files moved to corrupt/")
    print(f"  store: {len(polls)} polls, {len(samples)} samples; "
          f"{len(cycles)} cycles logged over {product.collector.starts} collector starts "
          f"({len(product.collector.kills)} SIGKILLs); "
          f"{sum('spooled' in c for c in cycles)} spooled, {len(dropped)} dropped at the bound "
          f"({len(lost)} gaps recorded); "
          f"{len(rec.spool_snapshots)} spool snapshots, {len(rec.checkpoints)} checkpoints")
    assert not problems, f"seed {run_seed}:\n" + "\n".join(problems)
