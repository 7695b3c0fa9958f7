"""Dropped cycles merged into gaps (pure).

Each cycle the spool refused (at its bound, on a full disk, or with its folder unusable) is
remembered as a `Drop`: which collector
process (`run`) and which of its cycles (`seq`, counted from 1 per process), the first
and last poll time it held, its centres, and the spool's state when it was refused.
Drops of one run with consecutive `seq` and the same reason are one gap: nothing was polled and kept
between them. A restart starts a new run, so a stretch the collector spent dead (no
polls at all) never joins two gaps into one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from metrics.store.gaps import SPOOL_FULL, Gap


@dataclass(frozen=True)
class Drop:
    """One cycle the spool refused."""

    run: str  # the collector process: "<start ms>-<pid>"
    seq: int  # its cycle number in that process
    start_ms: int  # the cycle's first poll
    end_ms: int  # its last poll
    centres: tuple[str, ...]
    polls: int  # results the cycle held
    spool_bytes: int  # bytes spooled when it was refused
    max_bytes: int  # the bound
    reason: str = SPOOL_FULL  # metrics.store.gaps: SPOOL_FULL or SPOOL_UNWRITABLE


def merge(drops: Iterable[Drop]) -> list[Gap]:
    """One `Gap` per run of consecutive cycles of one collector process refused for the
    same reason, oldest first.

    A drop recorded twice (same run and seq) counts once.
    """
    unique = {(d.run, d.seq): d for d in drops}
    ordered = [unique[k] for k in sorted(unique)]
    groups: list[list[Drop]] = []
    for d in ordered:
        last = groups[-1][-1] if groups else None
        if last is not None and last.run == d.run and last.seq + 1 == d.seq \
                and last.reason == d.reason:
            groups[-1].append(d)
        else:
            groups.append([d])
    gaps = [Gap(start_ms=min(d.start_ms for d in g), end_ms=max(d.end_ms for d in g),
                cycles=len(g), centres=tuple(sorted({c for d in g for c in d.centres})),
                reason=g[0].reason,
                detail={"polls": sum(d.polls for d in g),
                        "spool_bytes": max(d.spool_bytes for d in g),
                        "max_bytes": max(d.max_bytes for d in g)})
            for g in groups]
    return sorted(gaps, key=lambda g: g.start_ms)
