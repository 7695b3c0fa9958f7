"""A local spool: a collector that cannot write to the database keeps each cycle on disk.

One file per cycle, `cycle-<ms>-<seq>.jsonl`: a header line then one JSON object per
ProbeResult. Written atomically (temporary file, fsync, rename, fsync of the folder), so a
file is either whole or absent; a `.tmp-*` left by a crash is deleted on open. Files are
replayed oldest first and deleted only after the database accepted them; a replay cut short
by a crash is replayed again, which the store ignores (writes are idempotent on (centre, ts)
and (series, ts)), so every spooled poll lands exactly once.

The bound (`collector.spool_max_bytes`) counts the bytes of the spooled files. A cycle that
would go past it is refused — the NEWEST is dropped, counted, with an error line when the
spool starts refusing (one per change of state, not per cycle) — and everything already
spooled is kept. The same policy holds when the disk is full (ENOSPC, a quota) — reason
`spool_full` — and when the folder is missing, read-only or otherwise unusable — reason
`spool_unwritable`: the collector keeps polling, the cycle is dropped, the folder is tried
again at the next cycle, and nothing is ever raised to the cycle loop. Why the newest: the
spool then holds one unbroken stretch from the start of the outage (the moments worth
explaining afterwards), nothing written to disk is ever deleted unreplayed, and once the
database is back the collector's fresh polls show the present anyway. A file that cannot be
read back is moved to `corrupt/` with an error naming it; the rest replay. Each refused
cycle is also remembered in the folder (`collectors/writing/droplog.py`) and becomes a row of
`collection_gaps` once the database is back, so the loss shows on the dashboard with its
reason.

`collectors.writing.writer.SpoolingWriter` puts the store and the spool together for `ioc collect`.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

from config import logs
from metrics.durable import fsync_path
from metrics.results import ProbeResult, Reason, Sample
from metrics.store import DatabaseError
from metrics.store.gaps import SPOOL_FULL, SPOOL_UNWRITABLE

log = logging.getLogger("ioc.collector")

FORMAT = 1
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)  # a write refused for space: reason spool_full
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
        **({"rejected_more": r.rejected_more} if r.rejected_more else {}),
    }


def encode(results: Sequence[ProbeResult]) -> bytes:
    """A cycle as JSON lines: a header with the count, then one result per line."""
    lines = [json.dumps({"spool": FORMAT, "results": len(results)})]
    lines += [json.dumps(_result_obj(r), ensure_ascii=False, allow_nan=False) for r in results]
    return ("\n".join(lines) + "\n").encode()


def _number(v: Any) -> TypeGuard[int | float]:
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
    more = o.get("rejected_more", 0)
    if not isinstance(more, int) or isinstance(more, bool) or more < 0:
        raise ValueError("rejected_more must be a non-negative integer")
    reason = o.get("reason")
    return ProbeResult(cid, float(ts), ok, float(duration),
                       Reason(reason) if reason is not None else None, str(o.get("detail", "")),
                       status, [Sample(m, float(v), lab) for m, v, lab in samples], rejected,
                       bool(o.get("confirmed", False)), more)


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


# --- the files ---------------------------------------------------------------------------

def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` whole or not at all: temporary file, fsync, rename, fsync dir.
    On an error the temporary file is removed (if it can be) and the error raised."""
    tmp = path.with_name(TMP + path.name)
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise
    fsync_path(path.parent)


@dataclass
class Counters:
    spooled_cycles: int = 0
    replayed_cycles: int = 0
    dropped_cycles: int = 0  # refused: at the bound, disk full or folder unusable
    dropped_results: int = 0
    corrupt_files: int = 0


class Spool:
    """Cycles kept in `directory`, at most `max_bytes` of them, oldest first.

    Never raises an OSError to its caller: a folder that cannot be created, locked,
    written or cleaned makes the spool refuse (`refusal` says why) until it can again;
    it is tried again at each `try_put`. Thread-safe for one writer thread putting while
    another replays. Raises SpoolError only when another collector holds the folder.
    """

    def __init__(self, directory: str | Path, max_bytes: int,
                 clock: Callable[[], float] = time.time):
        self.dir = Path(directory)
        self.max_bytes = max_bytes
        self.clock = clock
        self.counters = Counters()
        self._mutex = threading.RLock()
        self._fd = -1
        self._seq = 0
        self._sizes: dict[Path, int] = {}
        self.problem: str | None = None  # why the folder is unusable now (None: usable)
        self.refusal: tuple[str, str] | None = None  # (reason code, why) of the last refusal
        self._refusing: str | None = None  # the reason logged for the refusals in progress
        self._dropped_since = 0
        self._open()

    def _open(self) -> bool:
        """Create and lock the folder and take stock of its files; False (with `problem`
        set) when the folder cannot be used."""
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.dir / ".lock", os.O_CREAT | os.O_RDWR, 0o644)
        except OSError as exc:
            self.problem = f"{self.dir}: {exc.strerror or exc}"
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise SpoolError(f"spool {self.dir} is in use by another collector: give each "
                             "collector on this machine its own collector.spool_dir") from None
        if self._fd >= 0:
            os.close(self._fd)
        self._fd = fd
        for stale in self.dir.glob(TMP + "*"):  # a crash mid-write: never a whole cycle
            log.warning("spool: deleting %s, an unfinished write", stale)
            with contextlib.suppress(OSError):
                stale.unlink(missing_ok=True)
        with self._mutex:
            self._sizes = {p: p.stat().st_size for p in self.files()}
        self.problem = None
        return True

    def close(self) -> None:
        """Let another process use this folder (the files stay)."""
        if self._fd >= 0:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = -1

    def files(self) -> list[Path]:
        """Spooled cycles, oldest first (the names sort in time order)."""
        try:
            return sorted(self.dir.glob(f"{PREFIX}*{SUFFIX}"))
        except OSError:
            return []

    @property
    def bytes(self) -> int:
        with self._mutex:
            return sum(self._sizes.values())

    def __len__(self) -> int:
        with self._mutex:
            return len(self._sizes)

    def try_put(self, results: Sequence[ProbeResult]) -> Path | None:
        """Spool one cycle; None when it cannot be kept (nothing written; `refusal` says
        why: the bound, a full disk or an unusable folder)."""
        data = encode(results)
        if self.bytes + len(data) > self.max_bytes:
            self.refusal = (SPOOL_FULL, f"the spool's bound of {self.max_bytes} bytes is reached")
            return None
        if self.problem is not None and not self._open():
            self.refusal = (SPOOL_UNWRITABLE, self.problem)
            return None
        name = f"{PREFIX}{int(self.clock() * 1000):013d}-{os.getpid()}-{self._seq:06d}{SUFFIX}"
        self._seq += 1
        path = self.dir / name
        try:
            write_atomic(path, data)
        except OSError as exc:
            why = f"{self.dir}: {exc.strerror or exc}"
            if exc.errno in DISK_FULL:
                self.refusal = (SPOOL_FULL, why)
            else:
                self.refusal, self.problem = (SPOOL_UNWRITABLE, why), why
            return None
        with self._mutex:
            self._sizes[path] = len(data)
        self.counters.spooled_cycles += 1
        if self._refusing is not None:
            logs.event(log, "spool_accepting", logging.WARNING, dir=str(self.dir),
                       after=self._refusing, dropped_cycles=self._dropped_since,
                       bytes=self.bytes, max_bytes=self.max_bytes)
            self._refusing, self._dropped_since = None, 0
        return path

    def put(self, results: Sequence[ProbeResult]) -> Path | None:
        """Spool one cycle; None, counted (and logged when the spool starts refusing), when
        it cannot be kept."""
        path = self.try_put(results)
        if path is None:
            self.refused(results)
        return path

    def refused(self, results: Sequence[ProbeResult]) -> None:
        """Count a cycle `try_put` refused; log a line only when the refusing starts or
        its reason changes (`spool_full` / `spool_unwritable`), never once per cycle."""
        self.counters.dropped_cycles += 1
        self.counters.dropped_results += len(results)
        self._dropped_since += 1
        code, why = self.refusal or (SPOOL_FULL, "")
        if code == self._refusing:
            return
        self._refusing = code
        logs.event(log, code, logging.ERROR, dir=str(self.dir), bytes=self.bytes,
                   max_bytes=self.max_bytes, dropped_results=len(results),
                   dropped_cycles_total=self.counters.dropped_cycles, why=why,
                   policy="polling goes on; each newer cycle is dropped and recorded as a "
                          "gap until the spool can take cycles again; nothing spooled is lost")

    def outage_over(self) -> None:
        """The database takes cycles again: a later refusal is a new stretch, said anew."""
        self._refusing, self._dropped_since = None, 0

    def read(self, path: Path) -> list[ProbeResult]:
        return decode(path.read_bytes(), str(path))

    def done(self, path: Path) -> None:
        """`path` is in the database: delete it (OSError when it cannot be)."""
        path.unlink(missing_ok=True)
        with self._mutex:
            self._sizes.pop(path, None)
        self.counters.replayed_cycles += 1

    def quarantine(self, path: Path, why: str) -> Path:
        """Move an unreadable (or refused) file to `corrupt/`, with an error naming it."""
        target = self.dir / CORRUPT_DIR / path.name
        target.parent.mkdir(exist_ok=True)
        os.replace(path, target)
        with self._mutex:
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
        (ValueError), is quarantined and the replay goes on. A file that cannot be
        deleted after its write stops the replay (it is written again next time, which
        the store ignores) with an error line.
        """
        started, cycles, samples = clock(), 0, 0
        with self._mutex:
            paths = sorted(self._sizes)
        for path in paths:
            if cycles and clock() - started >= budget_s:
                break
            try:
                results = self.read(path)
            except (SpoolError, OSError) as exc:
                with contextlib.suppress(OSError):
                    self.quarantine(path, str(exc))
                continue
            try:
                samples += write(results)
            except DatabaseError:
                raise
            except ValueError as exc:
                with contextlib.suppress(OSError):
                    self.quarantine(path, f"{path}: refused by the store: {exc}")
                continue
            try:
                self.done(path)
            except OSError as exc:
                log.error("spool: %s is in the database but cannot be deleted (%s); it is "
                          "written again later, which the store ignores", path,
                          exc.strerror or exc)
                break
            cycles += 1
        return cycles, samples
