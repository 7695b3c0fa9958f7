"""Who polls what when several collectors share a fleet: pure assignment and lease planning.

The fleet is cut into *cells*: one per (province, shard i of N). A centre's shard is its
rank by id within its province, mod N: balanced to one centre (a hash of the id can split
Huế's 40 centres 10/30 in two), and every collector with the same registry computes the same
cells on its own. Collectors sharing a database must run the same registry (release): a
commune added to the registry moves later-ranked centres of its province. A collector's *home*
is the cells of its `--provinces` (default: every province of the deployment) and its
`--shard I/N` (default 1/1). Every collector sharing a database must use the same N.

Cells are coordinated through leases (`collectors/polling/leases.py` is the shell): a collector
polls exactly the cells it holds a live lease on. `plan` decides, from the lease rows
and the database's clock, what to renew, release, acquire and claim: home cells first,
then any cell nobody holds (a stopped collector's, once its lease expired), while a cell
another collector's home claims is handed back at the start of the holder's next cycle.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from config.registry import Centre

CLAIM_PREFIX = "claim:"  # a lease row "claim:<cell>": the cell's home collector wants it back


class AssignmentError(ValueError):
    """`--provinces` names a province the deployment does not watch."""


@dataclass(frozen=True, slots=True, order=True)
class Shard:
    """Shard `index` of `count` (1-based, as written on the command line: 1/3, 2/3, 3/3)."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if not 1 <= self.index <= self.count:
            raise ValueError(f"shard {self.index}/{self.count}: want 1 ≤ I ≤ N")

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> Shard:
    """'2/3' → Shard(2, 3); ValueError naming the text otherwise."""
    left, sep, right = text.partition("/")
    if not sep or not left.strip().isdigit() or not right.strip().isdigit():
        raise ValueError(f"--shard {text!r}: want I/N, e.g. 1/2")
    count = int(right)
    if count < 1 or count > 256:
        raise ValueError(f"--shard {text!r}: N must be 1 to 256")
    try:
        return Shard(int(left), count)
    except ValueError as exc:
        raise ValueError(f"--shard {text!r}: {exc}") from None


def parse_provinces(text: str) -> tuple[int, ...]:
    """'46,1' → (1, 46); ValueError naming the bad item otherwise."""
    out: set[int] = set()
    for item in text.split(","):
        if not item.strip().isdigit():
            raise ValueError(f"--provinces {text!r}: {item!r} is not a province code")
        out.add(int(item))
    return tuple(sorted(out))


def shard_map(centres: Iterable[Centre], count: int) -> dict[str, int]:
    """Each centre's 1-based shard among `count`: its rank by id within its province, mod N.

    Balanced to one centre per province per shard, and the same in every process that
    has the same registry, whatever the order of `centres`.
    """
    by_province: dict[int, list[str]] = {}
    for c in centres:
        by_province.setdefault(c.province_code, []).append(c.id)
    return {cid: rank % count + 1
            for ids in by_province.values() for rank, cid in enumerate(sorted(ids))}


def in_shard(centres: Sequence[Centre], shard: Shard) -> list[Centre]:
    """The centres of `shard` (static sharding: no database needed)."""
    of = shard_map(centres, shard.count)
    return [c for c in centres if of[c.id] == shard.index]


def cell_key(province: int, index: int, count: int) -> str:
    """The lease key of one cell, e.g. 'p46/s1of2'."""
    return f"p{province}/s{index}of{count}"


def cell_count(key: str) -> int | None:
    """N of a cell key, or None when `key` is not a cell key."""
    head, _, tail = key.partition("/s")
    _, of, n = tail.partition("of")
    return int(n) if head.startswith("p") and of and n.isdigit() else None


@dataclass(frozen=True)
class Assignment:
    """The deployment's cells and this collector's home among them."""

    cells: Mapping[str, frozenset[str]]  # cell key → its centre ids (empty cells left out)
    home: frozenset[str]  # this collector's home cells
    count: int  # N: shards per province

    def centres_of(self, keys: Iterable[str]) -> frozenset[str]:
        return frozenset().union(*(self.cells.get(k, frozenset()) for k in keys))


def assign(centres: Sequence[Centre], shard: Shard | None = None,
           provinces: Sequence[int] | None = None) -> Assignment:
    """Cells of `centres` and the home of a collector with `--shard`/`--provinces`.

    AssignmentError names a listed province that has no centre in the deployment.
    """
    shard = shard or Shard(1, 1)
    of = shard_map(centres, shard.count)
    cells: dict[str, set[str]] = {}
    for c in centres:
        key = cell_key(c.province_code, of[c.id], shard.count)
        cells.setdefault(key, set()).add(c.id)
    present = sorted({c.province_code for c in centres})
    wanted = list(provinces) if provinces else present
    if missing := sorted(set(wanted) - set(present)):
        raise AssignmentError(f"--provinces: {missing} not in this deployment (it has {present})")
    home = {cell_key(p, shard.index, shard.count) for p in wanted} & cells.keys()
    return Assignment({k: frozenset(v) for k, v in cells.items()}, frozenset(home), shard.count)


@dataclass(frozen=True, slots=True)
class Lease:
    holder: str
    expires_at: int  # ms, on the database's clock


@dataclass(frozen=True)
class Plan:
    """What one collector does to the lease table at the start of a cycle."""

    release: frozenset[str]  # taken-over cells whose home collector claims them
    renew: frozenset[str]  # cells (and claims) it keeps
    acquire: tuple[str, ...]  # free cells to try to take, home cells first
    claim: frozenset[str]  # claim keys to hold: home cells another collector holds
    drop_claims: frozenset[str]  # its own claim keys no longer needed
    foreign: frozenset[str]  # live cell keys with another N: a misconfiguration


def plan(me: str, rows: Mapping[str, Lease], now: int, assignment: Assignment) -> Plan:
    """Decide the lease operations for collector `me` from the rows as read at `now`."""
    cells = assignment.cells.keys()
    home = assignment.home

    def live_other(key: str) -> bool:
        row = rows.get(key)
        return row is not None and row.holder != me and row.expires_at >= now

    held = {k for k, r in rows.items() if r.holder == me and k in cells}
    claimed = {k for k in cells if live_other(CLAIM_PREFIX + k)}
    release = {k for k in held if k not in home and k in claimed}
    keep = held - release
    free = [k for k in cells
            if k not in held and not live_other(k) and (k in home or k not in claimed)]
    acquire = tuple(sorted(free, key=lambda k: (k not in home, k)))
    claim = {CLAIM_PREFIX + k for k in home if live_other(k)}
    mine = {k for k, r in rows.items() if r.holder == me and k.startswith(CLAIM_PREFIX)}
    foreign = {k for k, r in rows.items()
               if r.expires_at >= now and cell_count(k) not in (None, assignment.count)}
    return Plan(frozenset(release), frozenset(keep | (claim & mine)), acquire,
                frozenset(claim - mine), frozenset(mine - claim), frozenset(foreign))
