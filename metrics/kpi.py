"""Service-quality indicators of Decision 766/QĐ-TTg, computed from dossier counters (pure).

Input: per-centre counter increases over a period (`queries.increase` rows:
centre_id, metric, label, increase) and the centres frame. Output: per centre
and per province a `Scorecard` — each indicator's value, points, points lost
and the rule that produced them, the five group scores and the total.

The rules are those of /work/shared/docs/domain.md: a rate reaches full marks at
its threshold, below it the points are linear (rate × max points ÷ threshold).
Where the collected data cannot follow the official note exactly the rule text
says so (docs/kpi.md). "No data" (nothing collected, or no dossier to divide
by) is never 0 and never full marks: its points are None.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from metrics.kpi_text import WORDS, fnum, fpct, fsec

OK, NO_DATA, NOT_SCORED = "ok", "no_data", "not_scored"
GROUP_MAX: dict[int, float] = {1: 18.0, 2: 20.0, 3: 22.0, 4: 22.0, 5: 18.0}

# Counters an indicator reads (all `*_total`, increases over the period).
INPUTS: tuple[str, ...] = (
    "dossiers_received_total", "sync_synced_total", "dossiers_resolved_total",
    "dossiers_resolved_on_time_total", "dossiers_resolved_late_total",
    "dossiers_supplement_multi_total", "dossiers_resolution_seconds_total",
    "dossiers_online_total", "dossiers_fee_bearing_total", "dossiers_paid_online_total",
    "dossiers_e_result_total", "dossiers_digitised_total", "dossiers_complaints_total",
)


@dataclass(frozen=True, slots=True)
class Spec:
    """One indicator: its group, the threshold of full marks (None: not scored), and
    whether it is estimated from proxies instead of the data the official note asks for
    (its name then says "(ước tính)" and its rule text says how: `estimate.<code>`)."""

    code: str
    group: int
    threshold: float | None
    estimated: bool = False


SPECS: tuple[Spec, ...] = (
    Spec("1.4", 1, 1.0),
    Spec("2.1", 2, 1.0),
    Spec("2.2", 2, None),
    Spec("3.3", 3, 0.5),
    Spec("3.6", 3, 1.0),
    Spec("4.1", 4, 1.0),
    Spec("4.2", 4, 0.8),
    Spec("5.4", 5, 0.9, estimated=True),  # no satisfaction survey: lateness and complaints
)
ESTIMATED: frozenset[str] = frozenset(s.code for s in SPECS if s.estimated)


def estimated_group(group: int) -> bool:
    """Whether a group's score rests on an estimated indicator."""
    return any(s.estimated for s in SPECS if s.group == group and s.threshold is not None)


def plain_on_time(resolved: float | None, late: float | None) -> float | None:
    """The wall's "Tỉ lệ đúng hạn": (resolved − resolved late) ÷ resolved, None without
    resolutions. Unlike indicator 2.1 it does not count dossiers asked for supplements
    more than once as late (the KPI page shows both and why they differ)."""
    if not resolved or late is None:
        return None
    return (resolved - late) / resolved


def _weights() -> dict[str, float]:
    """Points of each scored indicator: its group's points shared equally among the
    group's scored indicators (the note's other indicators are not computable here)."""
    out: dict[str, float] = {}
    for group, total in GROUP_MAX.items():
        scored = [s.code for s in SPECS if s.group == group and s.threshold is not None]
        out |= {code: total / len(scored) for code in scored}
    return out


WEIGHTS = _weights()


@dataclass(frozen=True, slots=True)
class Score:
    """One indicator for one centre or province over one period."""

    code: str
    group: int
    status: str  # ok | no_data | not_scored
    value: float | None  # a ratio in [0, 1] (2.2: seconds)
    points: float | None  # None when no data or not scored
    max_points: float  # 0 when not scored
    inputs: dict[str, float | None]
    missing: str | None  # why there is no value: the input that is absent or zero

    @property
    def lost(self) -> float | None:
        return None if self.points is None else self.max_points - self.points

    def rule(self, lang: str = "vi") -> str:
        """The rule that produced this number: formula, inputs, threshold → points."""
        return explain(self, lang)


@dataclass(frozen=True, slots=True)
class Group:
    group: int
    points: float | None  # sum over indicators with data; None if none has data
    assessed: float  # the points those indicators can reach
    max_points: float  # the group's official points


@dataclass(frozen=True, slots=True)
class Scorecard:
    scores: dict[str, Score]
    groups: dict[int, Group]

    @property
    def total(self) -> float | None:
        got = [g.points for g in self.groups.values() if g.points is not None]
        return sum(got) if got else None

    @property
    def assessed(self) -> float:
        return sum(g.assessed for g in self.groups.values())


def _ratio(num: float | None, den: float | None) -> float | None:
    if num is None or den is None or den <= 0:
        return None
    return min(1.0, max(0.0, num / den))


def _missing(x: Mapping[str, float | None], names: tuple[str, ...], den: str) -> str | None:
    for name in names:
        if x.get(name) is None:
            return name
    return den if not x.get(den) else None


def _value(code: str, x: Mapping[str, float | None]) -> tuple[float | None, tuple[str, ...], str]:
    """(value, inputs used, denominator) of one indicator from the period's counters."""
    g = x.get
    used: tuple[str, ...]
    if code == "1.4":
        used, den = ("sync_synced_total", "dossiers_received_total"), "dossiers_received_total"
        return _ratio(g(used[0]), g(den)), used, den
    if code in ("2.1", "5.4"):
        names = ["dossiers_resolved_on_time_total", "dossiers_supplement_multi_total",
                 "dossiers_resolved_total"]
        if code == "5.4":
            names.append("dossiers_complaints_total")
        used, den = tuple(names), "dossiers_resolved_total"
        on_time_n, multi, resolved = g(names[0]), g(names[1]), g(den)
        complaints_n = g("dossiers_complaints_total") if code == "5.4" else 0.0
        if on_time_n is None or multi is None or not resolved or complaints_n is None:
            return None, used, den
        on_time = _ratio(on_time_n - multi, resolved)
        if code == "2.1" or on_time is None:
            return on_time, used, den
        late, complaints = 1.0 - on_time, complaints_n / resolved
        return max(0.0, 1.0 - late - complaints), used, den
    if code == "2.2":
        used = ("dossiers_resolution_seconds_total", "dossiers_resolved_total")
        den = used[1]
        seconds, resolved = g(used[0]), g(den)
        if seconds is None or not resolved:
            return None, used, den
        return seconds / resolved, used, den
    num, den = {
        "3.3": ("dossiers_online_total", "dossiers_received_total"),
        "3.6": ("dossiers_paid_online_total", "dossiers_fee_bearing_total"),
        "4.1": ("dossiers_e_result_total", "dossiers_resolved_total"),
        "4.2": ("dossiers_digitised_total", "dossiers_received_total"),
    }[code]
    return _ratio(g(num), g(den)), (num, den), den


def score(spec: Spec, x: Mapping[str, float | None]) -> Score:
    """One indicator from a mapping metric → increase (None: not collected)."""
    value, used, den = _value(spec.code, x)
    inputs = {name: x.get(name) for name in used}
    missing = _missing(x, used, den) if value is None else None
    if spec.threshold is None:
        status = NO_DATA if value is None else NOT_SCORED
        return Score(spec.code, spec.group, status, value, None, 0.0, inputs, missing)
    weight = WEIGHTS[spec.code]
    if value is None:
        return Score(spec.code, spec.group, NO_DATA, None, None, weight, inputs, missing)
    points = weight * min(1.0, value / spec.threshold)
    return Score(spec.code, spec.group, OK, value, points, weight, inputs, None)


def scorecard(x: Mapping[str, float | None]) -> Scorecard:
    """Every indicator, the five groups and the total, from one set of period counters."""
    scores = {s.code: score(s, x) for s in SPECS}
    groups = {}
    for group, top in GROUP_MAX.items():
        with_data = [s for s in scores.values() if s.group == group and s.points is not None]
        earned = [s.points for s in with_data if s.points is not None]
        points = sum(earned) if earned else None
        groups[group] = Group(group, points, sum(s.max_points for s in with_data), top)
    return Scorecard(scores, groups)


def inputs_wide(increases: pl.DataFrame, centres: pl.DataFrame) -> pl.DataFrame:
    """One row per centre (id, name, kind, province_code, province_name) and one column per
    INPUTS counter: its increase over the period, null when the centre sent none."""
    base = centres.select("id", "name", "kind", "province_code", "province_name")
    used = (increases.filter(pl.col("metric").is_in(INPUTS) & (pl.col("label") == ""))
            .group_by("centre_id", "metric").agg(pl.col("increase").sum()))
    for name in INPUTS:
        col = used.filter(pl.col("metric") == name).select(
            pl.col("centre_id").alias("id"), pl.col("increase").alias(name))
        base = base.join(col, on="id", how="left")
    return base


def province_inputs(wide: pl.DataFrame) -> pl.DataFrame:
    """The provinces' counters: sums over their centres (null only when no centre sent one)."""
    sums = [pl.when(pl.col(n).is_not_null().any()).then(pl.col(n).sum()).alias(n)
            for n in INPUTS]
    return (wide.group_by("province_code", "province_name")
            .agg(pl.len().alias("centres"), *sums).sort("province_code"))


def scorecards(wide: pl.DataFrame, key: str = "id") -> tuple[dict[str, Scorecard], list[str]]:
    """A scorecard per row of `inputs_wide` (key "id") or `province_inputs` (key
    "province_code"), and the problems found. A negative or NaN increase is a bad
    value: it is dropped (that input has no data) and named, and the other rows go on."""
    out: dict[str, Scorecard] = {}
    problems: list[str] = []
    for row in wide.iter_rows(named=True):
        values: dict[str, float | None] = {}
        for name in INPUTS:
            value = row[name]
            if value is not None and (value != value or value < 0):
                problems.append(f"{key} {row[key]}: {name} = {value} over the period "
                                "(negative or NaN), ignored")
                value = None
            values[name] = None if value is None else float(value)
        out[str(row[key])] = scorecard(values)
    return out, problems


def explain(s: Score, lang: str = "vi") -> str:
    """The rule text of a score in Vietnamese ("vi") or English ("en")."""
    w = WORDS[lang if lang in WORDS else "vi"]
    name = w[f"name.{s.code}"]
    if s.code in ESTIMATED:
        name = f"{name} {w['estimated']}"
    args = "; ".join(f"{w[f'in.{k}']} = {fnum(v, lang)}" for k, v in s.inputs.items())
    parts = [f"{s.code} {name}: {w[f'formula.{s.code}']}", f"{w['inputs']}: {args}"]
    if s.value is None:
        why = s.missing or "?"
        key = "why.absent" if s.inputs.get(why) is None else "why.zero"
        parts.append(w["no_data"].format(why=w[key].format(name=w[f"in.{why}"])))
        return ". ".join(parts) + "."
    shown = fsec(s.value, lang) if s.code == "2.2" else fpct(s.value, lang)
    parts.append(w["value"].format(value=shown))
    if s.status == NOT_SCORED:
        parts.append(w[f"not_scored.{s.code}"])
        return ". ".join(parts) + "."
    spec = next(x for x in SPECS if x.code == s.code)
    parts.append(w["points"].format(
        threshold=fpct(spec.threshold, lang), value=shown, weight=fnum(s.max_points, lang, 2),
        points=fnum(s.points, lang, 2), lost=fnum(s.lost, lang, 2), group=s.group,
        group_max=fnum(GROUP_MAX[s.group], lang)))
    if note := w.get(f"note.{s.code}"):
        parts.append(note)
    return ". ".join(parts) + "."


def estimate_rule(code: str, lang: str = "vi") -> str | None:
    """How an estimated indicator is estimated ("(ước tính) 5.4 …: …"), or None."""
    if code not in ESTIMATED:
        return None
    w = WORDS[lang if lang in WORDS else "vi"]
    return f"{w['estimated']} {code} {w[f'name.{code}']}: {w[f'estimate.{code}']}"
