"""What part of the fleet a person may see: the whole country, one province, or one commune.

A scope is written `national`, `province:<code>` (official province code) or
`commune:<centre id>`. It is applied IN the queries: the dashboard's loaders
turn it into the list of centre ids (`query_ids`) and the provinces whose
province-wide alerts it covers (`query_provinces`), and pass both to every
Store and `alerts_read` call. Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

import polars as pl

NATIONAL: Final = "national"
PROVINCE: Final = "province"
COMMUNE: Final = "commune"
ScopeKind = Literal["national", "province", "commune"]
_PATTERN = re.compile(r"^(?:national|province:(\d{1,2})|commune:([0-9A-Za-z_-]{1,16}))$")


@dataclass(frozen=True, slots=True)
class Scope:
    """One scope; build it with `Scope.parse` or the `national`/`province`/`commune` helpers."""

    kind: ScopeKind
    province: int | None = None  # the province's code (PROVINCE only)
    centre: str | None = None  # the commune centre's id (COMMUNE only)

    @classmethod
    def parse(cls, text: str) -> Scope:
        """`national`, `province:46` or `commune:19753`; ValueError quoting the bad text."""
        found = _PATTERN.match(str(text).strip())
        if not found:
            raise ValueError(f"scope {text!r}: write national, province:<code> or "
                             "commune:<centre id>")
        if found.group(1):
            code = int(found.group(1))
            if not 1 <= code <= 99:
                raise ValueError(f"scope {text!r}: province code must be 1..99")
            return cls(PROVINCE, province=code)
        if found.group(2):
            return cls(COMMUNE, centre=found.group(2))
        return cls(NATIONAL)

    def __str__(self) -> str:
        if self.kind == PROVINCE:
            return f"province:{self.province}"
        if self.kind == COMMUNE:
            return f"commune:{self.centre}"
        return NATIONAL

    @property
    def is_national(self) -> bool:
        return self.kind == NATIONAL

    def covers(self, centre_id: str | None, province_code: int | None) -> bool:
        """Whether a centre (or, with centre_id None, a province-wide thing) is in scope."""
        if self.kind == NATIONAL:
            return True
        if self.kind == PROVINCE:
            return province_code == self.province
        return centre_id is not None and centre_id == self.centre

    def within(self, other: Scope, province_of_centre: int | None = None) -> bool:
        """Whether this scope is inside `other` (a commune needs its province to tell)."""
        if other.kind == NATIONAL:
            return True
        if other.kind == PROVINCE:
            if self.kind == PROVINCE:
                return self.province == other.province
            return self.kind == COMMUNE and province_of_centre == other.province
        return self.kind == COMMUNE and self.centre == other.centre

    def filter_centres(self, centres: pl.DataFrame) -> pl.DataFrame:
        """The rows of a centres frame (id, province_code, …) this scope may see."""
        if self.kind == PROVINCE:
            return centres.filter(pl.col("province_code") == self.province)
        if self.kind == COMMUNE:
            return centres.filter(pl.col("id") == self.centre)
        return centres

    def query_ids(self, centres: pl.DataFrame, province: int | None = None) -> list[str] | None:
        """The centre ids to pass to a Store read: None (no filter) for the whole country,
        else this scope's ids among `centres` (maybe none: then every read returns nothing).
        `province`: only that province's centres within the scope (an intersection: a
        page narrowed to a province outside the scope reads nothing)."""
        if self.kind == NATIONAL and province is None:
            return None
        mine = self.filter_centres(centres)
        if province is not None:
            mine = mine.filter(pl.col("province_code") == province)
        return mine["id"].to_list()

    def query_provinces(self, province: int | None = None) -> list[int] | None:
        """Provinces whose province-wide alerts (no centre) this scope sees: None for all,
        [] for a commune officer (only their centre's alerts). `province`: only that one,
        and only if the scope covers it (never widened)."""
        if self.kind == NATIONAL:
            return None if province is None else [province]
        mine = [self.province] if self.kind == PROVINCE and self.province is not None else []
        return mine if province is None else [p for p in mine if p == province]

    def filter_rows(self, frame: pl.DataFrame, centre_col: str = "centre_id",
                    province_col: str = "province_code") -> pl.DataFrame:
        """Rows of an alert-like frame inside the scope (a second check after the query)."""
        if self.kind == NATIONAL:
            return frame
        if self.kind == PROVINCE:
            return frame.filter(pl.col(province_col) == self.province)
        return frame.filter(pl.col(centre_col) == self.centre)


NATIONAL_SCOPE = Scope(NATIONAL)


def national() -> Scope:
    return NATIONAL_SCOPE


def province(code: int) -> Scope:
    return Scope.parse(f"province:{code}")


def commune(centre_id: str) -> Scope:
    return Scope.parse(f"commune:{centre_id}")
