"""A local spool: a collector that cannot write to the database keeps each cycle on disk.

One file per cycle, `cycle-<ms>-<seq>.jsonl`: a header line then one JSON object per
ProbeResult. Written atomically (temporary file, fsync, rename, fsync of the folder), so a
file is either whole or absent; a `.tmp-*` left by a crash is deleted on open. Files are
replayed oldest first and deleted only after the database accepted them; a replay cut short
by a crash is replayed again, which the store ignores (writes are idempotent on
(centre, ts) and (series, ts)), so every spooled poll lands exactly once.

The bound (`collector.spool_max_bytes`) counts the bytes of the spooled files. A cycle that
would go past it is refused — the NEWEST is dropped, with an error line and a counter —
and everything already spooled is kept. Why the newest: the spool then holds one unbroken
stretch from the start of the outage (the moments worth explaining afterwards), nothing
written to disk is ever deleted unreplayed, and once the database is back the collector's
fresh polls show the present anyway. A file that cannot be read back is moved to
`corrupt/` with an error naming it; the rest replay. Each refused cycle is also remembered
in the folder (`collectors/droplog.py`) and becomes a row of `collection_gaps` once the
database is back, so the loss shows on the dashboard with its reason.

`SpoolingWriter` puts the store and the spool together for `ioc collect`.
"""

from __future__ import annotations

import fcntl
import json
import logging
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from collectors.base import ProbeResult, Reason, Sample
from collectors.droplog import DropLog, fsync_dir
from collectors.gaps import Drop, merge
from config import logs
from metrics import gaps

log = logging.getLogger("ioc.collector")

FORMAT = 1
PREFIX, SUFFIX, TMP = "cycle-", ".jsonl", ".tmp-"
CORRUPT_DIR = "corrupt"


class SpoolError(ValueError):
    """A spool file that cannot be read back; the message names the file and line."""


# --- the format (pure) ------------------------------------------------------------------

def _result_obj(r: ProbeResult) -> dict[str, Any]:
    return {
        "centre_id": r.centre_id, "ts": r.ts, "ok": r.ok, "duration_s": r.duration_s,
        "reason": r.reason.value if r.reason else None, "detail": r.detail,
        "http_status": r.http_status,
        "samples": [[s.metric, s.value, s.label] for s in r.samples],
        "rejected": r.rejected, "confirmed": r.confirmed,
    }


def encode(results: Sequence[ProbeResult]) -> bytes:
    """A cycle as JSON lines: a header with the count, then one result per line."""
    lines = [json.dumps({"spool": FORMAT, "results": len(results)})]
    lines += [json.dumps(_result_obj(r), ensure_ascii=False, allow_nan=False) for r in results]
    return ("\n".join(lines) + "\n").encode()


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _result(o: Any) -> ProbeResult:
    if not isinstance(o, dict):
        raise ValueError("not an object")
    cid, ts, ok, duration = o.get("centre_id"), o.get("ts"), o.get("ok"), o.get("duration_s")
    if not isinstance(cid, str) or not _number(ts) or not isinstance(ok, bool) \
            or not _number(duration):
        raise ValueError("centre_id, ts, ok or duration_s missing or of the wrong type")
    samples = o.get("samples")
    if not isinstance(samples, list) or not all(
            isinstance(s, list) and len(s) == 3 and isinstance(s[0], str) and _number(s[1])
            and isinstance(s[2], str) for s in samples):
        raise ValueError("samples must be [metric, finite number, label] triples")
    rejected, status = o.get("rejected", []), o.get("http_status")
    if not isinstance(rejected, list) or not all(isinstance(x, str) for x in rejected):
        raise ValueError("rejected must be a list of strings")
    if status is not None and (not isinstance(status, int) or isinstance(status, bool)):
        raise ValueError("http_status must be an integer or null")
    reason = o.get("reason")
    return ProbeResult(cid, float(ts), ok, float(duration),
                       Reason(reason) if reason is not None else None, str(o.get("detail", "")),
                       status, [Sample(m, float(v), lab) for m, v, lab in samples], rejected,
                       bool(o.get("confirmed", False)))


def decode(data: bytes, name: str) -> list[ProbeResult]:
    """The results of one spool file; SpoolError naming `name` and the line when unreadable."""
    try:
        lines = data.decode().splitlines()
    except UnicodeDecodeError as exc:
        raise SpoolError(f"{name}: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    try:
        header = json.loads(lines[0]) if lines else None
    except json.JSONDecodeError:
        header = None
    if not isinstance(header, dict) or header.get("spool") != FORMAT \
            or not isinstance(header.get("results"), int):
        raise SpoolError(f"{name}: line 1 is not a spool header (format {FORMAT})")
    if len(lines) - 1 != header["results"]:
        raise SpoolError(f"{name}: header announces {header['results']} results, "
                         f"the file has {len(lines) - 1}")
    out = []
    for n, line in enumerate(lines[1:], start=2):
        try:
            out.append(_result(json.loads(line)))
        except (json.JSONDecodeError, ValueError) as exc:
            raise SpoolError(f"{name}: line {n}: {exc}") from None
    return out


# --- the files --------------------------------------------------------------------------

def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` whole or not at all: temporary file, fsync, rename, fsync dir."""
    tmp = path.with_name(TMP + path.name)
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


@dataclass
class Counters:
    spooled_cycles: int = 0
    replayed_cycles: int = 0
    dropped_cycles: int = 0  # refused at the bound
    dropped_results: int = 0
    corrupt_files: int = 0


class Spool:
    """Cycles kept in `directory`, at most `max_bytes` of them, oldest first."""

    def __init__(self, directory: str | Path, max_bytes: int,
                 clock: Callable[[], float] = time.time):
        self.dir = Path(directory)
        self.max_bytes = max_bytes
        self.clock = clock
        self.counters = Counters()
        self.dir.mkdir(parents=True, exist_ok=True)
        self._lock = os.open(self.dir / ".lock", os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock)
            raise SpoolError(f"spool {self.dir} is in use by another collector: give each "
                             "collector on this machine its own collector.spool_dir") from None
        for stale in self.dir.glob(TMP + "*"):  # a crash mid-write: never a whole cycle
            log.warning("spool: deleting %s, an unfinished write", stale)
            stale.unlink(missing_ok=True)
        self._seq = 0
        self._sizes = {p: p.stat().st_size for p in self.files()}

    def close(self) -> None:
        """Let another process use this folder (the files stay)."""
        if self._lock >= 0:
            os.close(self._lock)  # closing the descriptor drops the flock
            self._lock = -1

    def files(self) -> list[Path]:
        """Spooled cycles, oldest first (the names sort in time order)."""
        return sorted(self.dir.glob(f"{PREFIX}*{SUFFIX}"))

    @property
    def bytes(self) -> int:
        return sum(self._sizes.values())

    def __len__(self) -> int:
        return len(self._sizes)

    def try_put(self, results: Sequence[ProbeResult]) -> Path | None:
        """Spool one cycle; None when it would go past the bound (nothing written)."""
        data = encode(results)
        if self.bytes + len(data) > self.max_bytes:
            return None
        name = f"{PREFIX}{int(self.clock() * 1000):013d}-{os.getpid()}-{self._seq:06d}{SUFFIX}"
        self._seq += 1
        path = self.dir / name
        write_atomic(path, data)
        self._sizes[path] = len(data)
        self.counters.spooled_cycles += 1
        return path

    def put(self, results: Sequence[ProbeResult]) -> Path | None:
        """Spool one cycle; None, with an error line and the drop counted, past the bound."""
        path = self.try_put(results)
        if path is None:
            self.refused(results)
        return path

    def refused(self, results: Sequence[ProbeResult]) -> None:
        """Count a cycle `try_put` refused, with its `spool_full` error line."""
        self.counters.dropped_cycles += 1
        self.counters.dropped_results += len(results)
        logs.event(log, "spool_full", logging.ERROR, dir=str(self.dir), bytes=self.bytes,
                   max_bytes=self.max_bytes, dropped_results=len(results),
                   dropped_cycles_total=self.counters.dropped_cycles,
                   why="the spool keeps the oldest cycles; this newest one is lost")

    def read(self, path: Path) -> list[ProbeResult]:
        return decode(path.read_bytes(), str(path))

    def done(self, path: Path) -> None:
        """`path` is in the database: delete it."""
        path.unlink(missing_ok=True)
        self._sizes.pop(path, None)
        self.counters.replayed_cycles += 1

    def quarantine(self, path: Path, why: str) -> Path:
        """Move an unreadable (or refused) file to `corrupt/`, with an error naming it."""
        target = self.dir / CORRUPT_DIR / path.name
        target.parent.mkdir(exist_ok=True)
        os.replace(path, target)
        self._sizes.pop(path, None)
        self.counters.corrupt_files += 1
        log.error("spool: %s; moved to %s, the other files still replay", why, target)
        return target

    def replay(self, write: Callable[[list[ProbeResult]], int],
               budget_s: float = math.inf, clock: Callable[[], float] = time.monotonic
               ) -> tuple[int, int]:
        """Write spooled cycles oldest first until none is left or `budget_s` has passed
        (at least one is tried). Returns (cycles replayed, samples written).

        A database error stops the replay (the file stays, to be tried again) and is
        raised; a file that cannot be read, or that the store refuses as invalid data
        (ValueError), is quarantined and the replay goes on.
        """
        started, cycles, samples = clock(), 0, 0
        for path in self.files():
            if cycles and clock() - started >= budget_s:
                break
            try:
                results = self.read(path)
            except (SpoolError, OSError) as exc:
                self.quarantine(path, str(exc))
                continue
            try:
                samples += write(results)
            except sa.exc.SQLAlchemyError:
                raise
            except ValueError as exc:
                self.quarantine(path, f"{path}: refused by the store: {exc}")
                continue
            self.done(path)
            cycles += 1
        return cycles, samples


# --- the store with a spool behind it ---------------------------------------------------

class SpoolingWriter:
    """Writes each cycle to the store, or to the spool when the store is unreachable.

    `open_store` opens (and migrates) the store and syncs the centres; it is retried at
    every cycle while the database is down, so a collector may start without it. While
    spooled cycles remain, each cycle first replays them (oldest first, for at most
    `budget_s`) and goes to the spool's tail itself, so the store receives the cycles in
    the order they were polled; only if the spool is full while the database is up is a
    cycle written straight away (out of order, never lost).

    A cycle the spool refuses is remembered on disk first (`DropLog`, before its error
    line); once the database answers, the remembered cycles are written as gaps of
    collector `name` (`metrics.gaps.record`) and only then forgotten.
    """

    def __init__(self, open_store: Callable[[], Any], spool: Spool | None,
                 store: Any = None, on_open: Callable[[Any], None] | None = None,
                 name: str = "", clock: Callable[[], float] = time.time):
        self.open_store = open_store
        self.spool = spool
        self.store = store
        self.on_open = on_open
        self.name = name
        self.drops = DropLog(spool.dir) if spool is not None else None
        self.run = f"{int(clock() * 1000):013d}-{os.getpid()}"  # this process, for the gaps
        self.seq = 0  # cycles written (or spooled, or dropped) by this process
        self.clock = clock
        self.last: dict[str, Any] = {}  # what the last write did, for the cycle's log line
        self.open_error: Exception | None = None

    def ensure_store(self) -> bool:
        if self.store is not None:
            return True
        try:
            self.store = self.open_store()
        except sa.exc.SQLAlchemyError as exc:
            self.open_error = exc
            log.warning("database unreachable (%s); polling on, %s", _brief(exc),
                        "spooling to " + str(self.spool.dir) if self.spool is not None
                        else "NOT spooling")
            return False
        log.info("database reachable: store opened")
        if self.on_open is not None:
            self.on_open(self.store)
        return True

    def write(self, results: list[ProbeResult], budget_s: float = math.inf) -> int:
        """Write (or spool) one cycle; the samples newly stored by this call (replays
        included). Raises a database error only when there is no spool to keep it."""
        self.last = {}
        self.seq += 1
        if not self.ensure_store():
            return self._spool(results, None)
        written = 0
        try:
            self._record_gaps()
            if self.spool is not None and len(self.spool):
                replayed, written = self.spool.replay(self.store.write, budget_s)
                self.last["replayed"] = replayed
                if len(self.spool):
                    if self.spool.try_put(results) is not None:
                        self.last["spooled"] = len(results)
                        self.last["spool_files"] = len(self.spool)
                        return written
                    log.warning("spool: full while replaying; this cycle written out of order")
            return written + self.store.write(results)
        except sa.exc.SQLAlchemyError as exc:
            return written + self._spool(results, exc)

    def _spool(self, results: list[ProbeResult], exc: Exception | None) -> int:
        if self.spool is None:  # nowhere to keep it: fail as a collector without spool did
            raise exc or self.open_error or RuntimeError("the database is unreachable")
        if exc is not None:
            log.warning("database write failed (%s); spooling to %s", _brief(exc), self.spool.dir)
        if self.spool.try_put(results) is not None:
            self.last["spooled"] = len(results)
        else:
            self._remember_drop(results)  # on disk before the drop is logged
            self.spool.refused(results)
            self.last["dropped"] = len(results)
        self.last["spool_files"] = len(self.spool)
        self.last["spool_bytes"] = self.spool.bytes
        return 0

    def _remember_drop(self, results: list[ProbeResult]) -> None:
        assert self.spool is not None and self.drops is not None
        times = [round(r.ts * 1000) for r in results] or [round(self.clock() * 1000)]
        drop = Drop(run=self.run, seq=self.seq, start_ms=min(times), end_ms=max(times),
                    centres=tuple(sorted({r.centre_id for r in results})), polls=len(results),
                    spool_bytes=self.spool.bytes, max_bytes=self.spool.max_bytes)
        try:
            self.drops.add(drop)
        except OSError as exc:  # e.g. the disk itself is full: the loss is still logged
            log.error("spool: cannot remember the dropped cycle in %s (%s); it will not "
                      "show as a gap", self.drops.path, exc)

    def _record_gaps(self) -> None:
        """Write the remembered dropped cycles as gaps, then forget them (the database
        raising leaves them for the next cycle; writing them twice changes nothing)."""
        if self.drops is None or not self.drops.pending:
            return
        found = merge(self.drops.read())
        gaps.record(self.store.engine, self.name, found)
        try:
            self.drops.clear()
        except OSError as exc:  # recorded already; the next cycle records them again, once
            log.error("spool: cannot delete %s (%s)", self.drops.path, exc)
        self.last["gaps"] = len(found)
        for g in found:
            logs.event(log, "collection_gap", logging.WARNING, collector=self.name,
                       start_ms=g.start_ms, end_ms=g.end_ms, cycles=g.cycles,
                       centres=len(g.centres), reason=g.reason, **g.detail)


def _brief(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return f"{type(orig).__name__}: {str(orig).strip().splitlines()[0][:160] if str(orig) else ''}"
