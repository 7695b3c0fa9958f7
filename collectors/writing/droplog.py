"""The record of dropped cycles, kept in the spool's folder until the database has it.

`dropped.jsonl`: one JSON line per cycle the spool refused (`collectors.writing.gaps.Drop`),
appended and fsynced before the refusal is logged, so it survives a SIGKILL (and a power
cut) of the collector. When the folder itself cannot take the line (the disk is full, the
folder read-only or gone), the drop is kept in memory instead: it still becomes a gap once
the database answers, unless the collector dies first. A line leaves out `centres` when they
are the previous line's, so a long outage of a national collector costs ~150 bytes a cycle,
not its 3,355 ids. A line cut short by a crash mid-write is dropped on open (its cycle was
never logged as dropped either).

Once the database answers, the collector merges the lines into gaps, writes them
(`metrics.store.gaps.record`, idempotent) and only then forgets exactly those drops (`forget`): a
crash in between writes the same gaps again, to the same rows, and a drop added while the
gaps were being written stays for the next time.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Collection
from dataclasses import asdict
from pathlib import Path

from collectors.writing.gaps import Drop
from metrics.durable import fsync_path
from metrics.store.gaps import SPOOL_FULL

log = logging.getLogger("ioc.collector")
NAME = "dropped.jsonl"
_FIELDS = ("run", "seq", "start_ms", "end_ms", "polls", "spool_bytes", "max_bytes")
Key = tuple[str, int]  # (run, seq): one cycle of one collector process


def encode(drop: Drop, previous: tuple[str, ...] | None) -> bytes:
    """One line; `centres` only when they differ from `previous` (the line before's)."""
    obj = {k: v for k, v in asdict(drop).items() if k in _FIELDS}
    if drop.reason != SPOOL_FULL:
        obj["reason"] = drop.reason
    if drop.centres != previous:
        obj["centres"] = list(drop.centres)
    return (json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def decode(data: bytes, name: str = NAME) -> list[Drop]:
    """Every whole line of a record; a last line without its newline (a write cut short)
    and an unreadable line are skipped, the latter with an error naming it."""
    drops: list[Drop] = []
    centres: tuple[str, ...] = ()
    lines = data.split(b"\n")
    for n, line in enumerate(lines[:-1], start=1):  # the last piece has no newline
        try:
            obj = json.loads(line)
            if "centres" in obj:
                centres = tuple(str(c) for c in obj["centres"])
            drops.append(Drop(run=str(obj["run"]), seq=int(obj["seq"]),
                              start_ms=int(obj["start_ms"]), end_ms=int(obj["end_ms"]),
                              centres=centres, polls=int(obj["polls"]),
                              spool_bytes=int(obj["spool_bytes"]),
                              max_bytes=int(obj["max_bytes"]),
                              reason=str(obj.get("reason", SPOOL_FULL))))
        except (ValueError, KeyError, TypeError) as exc:
            log.error("spool: %s line %d unreadable (%s); skipped", name, n, exc)
    return drops


class DropLog:
    """The dropped cycles of the collector owning `directory` (the spool's folder): on
    disk, or in memory (`unsaved`) while the folder cannot take them. Thread-safe: the
    cycle loop adds, the database writer forgets."""

    def __init__(self, directory: str | Path):
        self.path = Path(directory) / NAME
        self.unsaved: list[Drop] = []
        self._previous: tuple[str, ...] | None = None  # centres of the last line written
        self._lock = threading.Lock()
        try:
            self._repair()
        except OSError as exc:  # an unreadable folder: the spool reports it
            log.error("spool: cannot read %s (%s)", self.path, exc.strerror or exc)

    def _repair(self) -> None:
        """Cut a line left half-written by a crash, so the next append starts clean."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return
        whole = data.rfind(b"\n") + 1
        if whole < len(data):
            log.warning("spool: %s ends in a half-written line; cut", self.path)
            os.truncate(self.path, whole)

    @property
    def pending(self) -> bool:
        """Whether dropped cycles wait to be written to the database."""
        if self.unsaved:
            return True
        try:
            return self.path.stat().st_size > 0
        except OSError:
            return False

    def add(self, drop: Drop) -> OSError | None:
        """Append one dropped cycle, on disk (fsynced) when this returns None; the error
        when the folder could not take it (the drop is then kept in memory)."""
        with self._lock:
            try:
                self._append(drop)
            except OSError as exc:
                self.unsaved.append(drop)
                self._previous = None  # a partly written line may follow: repeat centres
                return exc
            return None

    def _append(self, drop: Drop) -> None:
        created = not self.path.exists()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, encode(drop, self._previous))
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            fsync_path(self.path.parent)
        self._previous = drop.centres

    def _read_file(self) -> list[Drop]:
        """The drops on disk; none when the file is absent or its folder unusable."""
        try:
            return decode(self.path.read_bytes(), str(self.path))
        except OSError:
            return []

    def read(self) -> list[Drop]:
        """Every remembered drop: the file's, then those kept in memory."""
        with self._lock:
            return self._read_file() + list(self.unsaved)

    def forget(self, done: Collection[Key]) -> None:
        """The database has the gaps of these drops: remove them, keep any other."""
        with self._lock:
            self.unsaved = [d for d in self.unsaved if (d.run, d.seq) not in done]
            try:
                self.path.stat()
            except OSError:  # nothing on disk (or no folder): only memory held drops
                return
            kept = [d for d in self._read_file() if (d.run, d.seq) not in done]
            if not kept:
                self.path.unlink(missing_ok=True)
                fsync_path(self.path.parent)
                self._previous = None
                return
            tmp = self.path.with_name(".tmp-" + NAME)
            previous: tuple[str, ...] | None = None
            with open(tmp, "wb") as f:
                for d in kept:
                    f.write(encode(d, previous))
                    previous = d.centres
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
            fsync_path(self.path.parent)
            self._previous = previous

    def clear(self) -> None:
        """The database has every gap: forget them."""
        with self._lock:
            self.unsaved = []
            self.path.unlink(missing_ok=True)
            fsync_path(self.path.parent)
            self._previous = None
