"""A writer killed mid-batch leaves a sound SQLite file with whole batches only."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from bench.store_write import SAMPLES_PER_RESULT, synthetic_batch
from config.registry import all_centres
from metrics.store import Store

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CENTRES = 1500  # ~52,000 samples a batch: a write lasts long enough to be cut
START_TS = 1_751_500_000.0
STEP_S = 15.0

# The child announces each batch before and after writing it, then loops for ever.
WRITER = f"""
import sys
from config.registry import all_centres
from bench.store_write import synthetic_batch
from metrics.store import Store

fleet = list(all_centres())[:{CENTRES}]
ids = [c.id for c in fleet]
store = Store.open(sys.argv[1])
store.sync_centres(fleet)
k = int(sys.argv[2])
while True:
    batch = synthetic_batch(ids, {START_TS} + k * {STEP_S}, k)
    print("writing", k, flush=True)
    store.write(batch)
    print("wrote", k, flush=True)
    k += 1
"""


def kill_mid_write(url: str, first: int, after: int, deadline_s: float = 60) -> set[int]:
    """Run the writer from batch `first`; SIGKILL it inside batch `first + after`.

    Returns the batches it reported as written.
    """
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, url, str(first)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    written: set[int] = set()
    try:
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                pytest.fail(f"writer exited early: {proc.stderr.read()}")
            word, k = line.split()
            if word == "wrote":
                written.add(int(k))
            elif int(k) == first + after:
                # Somewhere inside the write (which lasts a few tenths of a second).
                time.sleep(random.uniform(0.02, 0.15))
                proc.send_signal(signal.SIGKILL)
                break
        else:
            pytest.fail("writer too slow")
    finally:
        proc.kill()
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    return written


def assert_whole_batches(db: Path, reported: set[int]) -> set[int]:
    """The file is sound and holds only complete batches; returns the batches stored."""
    with Store.open(f"sqlite:///{db}") as store, store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
        per_ts = dict(conn.execute(sa.text("SELECT ts, count(*) FROM polls GROUP BY ts")).all())
        assert set(per_ts.values()) == {CENTRES}
        orphans = conn.execute(
            sa.text(
                "SELECT count(*) FROM polls p WHERE (SELECT count(*) FROM series s "
                "JOIN samples x ON x.series_id = s.id WHERE s.centre_id = p.centre_id "
                "AND x.ts = p.ts) != :n"
            ),
            {"n": SAMPLES_PER_RESULT},
        ).scalar_one()
        assert orphans == 0
        samples = conn.execute(sa.text("SELECT count(*) FROM samples")).scalar_one()
        assert samples == len(per_ts) * CENTRES * SAMPLES_PER_RESULT
    stored = {round((ts / 1000 - START_TS) / STEP_S) for ts in per_ts}
    assert reported <= stored
    return stored


def test_store_keeps_whole_batches_when_writer_is_killed_mid_write(tmp_path):
    db = tmp_path / "killed.db"
    reported = kill_mid_write(f"sqlite:///{db}", first=0, after=2)
    stored = assert_whole_batches(db, reported)
    assert {0, 1} <= stored <= {0, 1, 2}

    # A second writer, killed in turn, carries on from there on the same file.
    more = kill_mid_write(f"sqlite:///{db}", first=3, after=1)
    assert 3 in more
    assert_whole_batches(db, reported | more)

    # And the file still takes writes, which are whole and readable.
    ids = [c.id for c in list(all_centres())[:CENTRES]]
    with Store.open(f"sqlite:///{db}") as store:
        assert store.write(synthetic_batch(ids, START_TS + 10 * STEP_S, 10)) == (
            CENTRES * SAMPLES_PER_RESULT
        )
    assert 10 in assert_whole_batches(db, reported | more)
