"""Runs a chaos plan against the running product and records what it saw.

Steps run at their planned time (late, never early). Looks at the dashboard and
dashboard recoveries are recorded here and asserted by the test afterwards, so one bad
moment does not hide the rest of the run.
"""

from __future__ import annotations

import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from collectors.writing.spool import Spool
from tests.faults import pages
from tests.faults.plan import Step
from tests.faults.procs import http_ok
from tests.faults.product import Product
from tests.faults.scratch_pg import ScratchDatabase

NO_DB = "Không mở được cơ sở dữ liệu"  # dashboard/i18n.py wall.no_db
STALE = "Dữ liệu không cập nhật từ"  # banner.stale


@dataclass
class Recovery:
    """One dashboard restart: seconds until /_stcore/health, until a page rendered."""

    restarted_at: float
    health_s: float | None = None
    render_s: float | None = None
    problem: str = ""


@dataclass
class Injected:
    step: Step
    start: float  # time.time()
    end: float


@dataclass
class Record:
    log: list[str] = field(default_factory=list)
    injected: list[Injected] = field(default_factory=list)
    spool_snapshots: list[set[tuple[str, int]]] = field(default_factory=list)
    checkpoints: list[tuple[set[tuple[str, int]], set[tuple[int, int]]]] = field(
        default_factory=list)
    looks: list[tuple[str, bool, str]] = field(default_factory=list)  # (what, as expected, text)
    recoveries: list[Recovery] = field(default_factory=list)
    cuts: list[tuple[float, float]] = field(default_factory=list)


def store_keys(engine: sa.Engine) -> tuple[set[tuple[str, int]], set[tuple[int, int]]]:
    """(centre, ts) of every poll and (series, ts) of every sample in the store."""
    with engine.connect() as conn:
        polls = {(c, ts) for c, ts in conn.execute(sa.text("SELECT centre_id, ts FROM polls"))}
        samples = {(s, ts) for s, ts in conn.execute(sa.text(
            "SELECT series_id, ts FROM samples"))}
    return polls, samples


def spool_keys(spool_dir: Path, into: Path) -> set[tuple[str, int]]:
    """(centre, ts ms) of every poll in the spool now, read back through its own format."""
    shutil.rmtree(into, ignore_errors=True)
    shutil.copytree(spool_dir, into, ignore=shutil.ignore_patterns(".lock", ".tmp-*",
                                                                   "corrupt"))
    copy = Spool(into, 1 << 30)
    try:
        return {(r.centre_id, round(r.ts * 1000)) for p in copy.files() for r in copy.read(p)}
    finally:
        copy.close()


class Chaos:
    def __init__(self, product: Product, db: ScratchDatabase, engine: sa.Engine, tmp: Path):
        self.p, self.db, self.engine, self.tmp = product, db, engine, tmp
        self.rec = Record()
        self.db_cut = False
        self._threads: list[threading.Thread] = []

    def run(self, steps: list[Step]) -> Record:
        t0 = time.monotonic()
        for step in steps:
            time.sleep(max(0.0, t0 + step.at_s - time.monotonic()))
            late = time.monotonic() - t0 - step.at_s
            self.rec.log.append(f"{step.describe()} (ran {late:+.2f} s late)")
            getattr(self, step.action)(step)
        for t in self._threads:
            t.join(60)
        return self.rec

    # -- the actions --------------------------------------------------------------------

    def fault(self, step: Step) -> None:
        self.p.inject(list(step.centres), step.fault, step.duration_s, **step.params)
        now = time.time()
        self.rec.injected.append(Injected(step, now, now + step.duration_s))

    def kill_collector(self, step: Step) -> None:
        self.p.collector.kill()

    def start_collector(self, step: Step) -> None:
        if not self.p.collector.alive:
            self.p.collector.start()

    def kill_dashboard(self, step: Step) -> None:
        self.p.dashboard.kill(group=True)

    def start_dashboard(self, step: Step) -> None:
        if self.p.dashboard.alive:
            return
        self.p.dashboard.start()
        rec = Recovery(time.time())
        self.rec.recoveries.append(rec)
        thread = threading.Thread(target=self._watch_recovery, args=(rec,), daemon=True)
        thread.start()
        self._threads.append(thread)

    def _watch_recovery(self, rec: Recovery, timeout_s: float = 60.0) -> None:
        """Health first, then a wall that renders with no exception box (and no error box,
        unless the database is cut at that moment and the box says so)."""
        while time.time() - rec.restarted_at < timeout_s:
            if http_ok(self.p.health_url):
                rec.health_s = time.time() - rec.restarted_at
                break
            time.sleep(0.1)
        else:
            rec.problem = f"no /_stcore/health within {timeout_s:g} s"
            return
        while time.time() - rec.restarted_at < timeout_s:
            try:
                page = pages.render(self.p.dashboard_url)
            except Exception as exc:  # the server is up but the stream not yet: try again
                rec.problem = f"{type(exc).__name__}: {exc}"
                time.sleep(0.2)
                continue
            excused = self.db_cut and all(NO_DB in e for e in page.errors)
            if page.ok and (not page.errors or excused):
                rec.render_s, rec.problem = time.time() - rec.restarted_at, ""
                return
            rec.problem = f"{page.status}: {page.exceptions or page.errors}"
            time.sleep(0.2)

    def cut_db(self, step: Step) -> None:
        self.db.cut()
        self.db_cut = True
        self.rec.cuts.append((time.time(), float("inf")))

    def restore_db(self, step: Step) -> None:
        self.db.restore()
        self.db_cut = False
        self.rec.cuts[-1] = (self.rec.cuts[-1][0], time.time())

    def drop_connections(self, step: Step) -> None:
        if not self.db_cut:
            self.db.drop_connections()

    def snapshot_spool(self, step: Step) -> None:
        if step.params.get("overflow"):
            self._await_overflow()
        n = len(self.rec.spool_snapshots)
        self.rec.spool_snapshots.append(spool_keys(self.p.spool_dir, self.tmp / f"snap{n}"))

    def _await_overflow(self, most_s: float = 60.0) -> None:
        """Keep the database cut until the collector has dropped a cycle at the spool's
        bound (at most `most_s` longer; the check after the chaos reports a miss)."""
        start = time.monotonic()
        while time.monotonic() - start < most_s:
            if any("dropped" in c for c in self.p.cycles()):
                break
            time.sleep(0.2)
        if (waited := time.monotonic() - start) > 0.5:
            self.rec.log.append(f"  the long cut held {waited:.1f} s longer, until the "
                                "spool overflowed")

    def checkpoint(self, step: Step) -> None:
        self.rec.checkpoints.append(store_keys(self.engine))

    def _look(self, what: str, expect: str) -> None:
        try:
            page = pages.render(self.p.dashboard_url)
        except Exception as exc:
            self.rec.looks.append((what, False, f"{type(exc).__name__}: {exc}"))
            return
        text = page.everything()
        self.rec.looks.append((what, page.ok and expect in text, text[-3000:]))

    def look_no_db(self, step: Step) -> None:
        self._look("wall while the database is cut", NO_DB)

    def look_stale(self, step: Step) -> None:
        self._look("wall while the collector is dead", STALE)
