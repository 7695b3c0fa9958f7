"""The record of dropped cycles, kept in the spool's folder until the database has it.

`dropped.jsonl`: one JSON line per cycle refused at the spool's bound (`collectors.gaps.Drop`),
appended and fsynced before the refusal is logged, so it survives a SIGKILL (and a
power cut) of the collector. A line leaves out `centres` when they are the previous
line's, so a long outage of a national collector costs ~150 bytes a cycle, not its
3,355 ids. A line cut short by a crash mid-write is dropped on open (its cycle was
never logged as dropped either).

Once the database answers, the collector merges the lines into gaps, writes them
(`metrics.gaps.record`, idempotent) and only then deletes the file: a crash in between
writes the same gaps again, to the same rows.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict
from pathlib import Path

from collectors.gaps import Drop

log = logging.getLogger("ioc.collector")
NAME = "dropped.jsonl"
_FIELDS = ("run", "seq", "start_ms", "end_ms", "polls", "spool_bytes", "max_bytes")


def fsync_dir(path: Path) -> None:
    """Make a folder's entries (a new, renamed or removed file) durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def encode(drop: Drop, previous: tuple[str, ...] | None) -> bytes:
    """One line; `centres` only when they differ from `previous` (the line before's)."""
    obj = {k: v for k, v in asdict(drop).items() if k in _FIELDS}
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
                              max_bytes=int(obj["max_bytes"])))
        except (ValueError, KeyError, TypeError) as exc:
            log.error("spool: %s line %d unreadable (%s); skipped", name, n, exc)
    return drops


class DropLog:
    """The dropped cycles of the collector owning `directory` (the spool's folder)."""

    def __init__(self, directory: str | Path):
        self.path = Path(directory) / NAME
        self._previous: tuple[str, ...] | None = None  # centres of the last line written
        self._repair()

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
        return self.path.exists() and self.path.stat().st_size > 0

    def add(self, drop: Drop) -> None:
        """Append one dropped cycle, on disk (fsynced) when this returns."""
        created = not self.path.exists()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, encode(drop, self._previous))
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            fsync_dir(self.path.parent)
        self._previous = drop.centres

    def read(self) -> list[Drop]:
        try:
            return decode(self.path.read_bytes(), str(self.path))
        except FileNotFoundError:
            return []

    def clear(self) -> None:
        """The database has every gap: forget them."""
        self.path.unlink(missing_ok=True)
        fsync_dir(self.path.parent)
        self._previous = None
