"""Pure rule evaluation: one rule over a window of store data at a moment → hits.

`evaluate(rule, window, now_ms)` returns an `Evaluation`: the alert instances whose
condition holds (`hits`, each with a fingerprint, identifying labels, a value, a cause,
the rendered Vietnamese summary and the structured `facts` both are made from, so a
reader can word them again in any language) and every fingerprint whose state the data shows
(`observed`). A fingerprint neither hit nor observed (no data about it) keeps its
state: a gap in collection is not a recovery. No I/O; times are int ms UTC.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from config.alerts import (
    BurnRate,
    CollectorSilent,
    FailedPolls,
    Growth,
    ProvinceDown,
    Rule,
    Stale,
    StoreUnreachable,
    Threshold,
)
from config.catalogue import STATE_DOWN
from metrics.numbers import number
from metrics.results import SYSTEM_DOWN, TOO_SLOW, Reason
from metrics.store.migrations.v12_poll_confirmed import V12_MARK

SKIPPED = Reason.SKIPPED.value
# A failed poll's reason in the words of the Vietnamese summaries (templates fill {cause}).
REASON_WORDS = {Reason.TIMEOUT: "quá thời gian chờ", Reason.REFUSED: "từ chối kết nối",
                Reason.HTTP_STATUS: "lỗi HTTP", Reason.BAD_PAYLOAD: "dữ liệu không đọc được",
                Reason.TOO_LARGE: "dữ liệu quá lớn",
                SYSTEM_DOWN: "hệ thống của trung tâm tự báo ngừng hoạt động"}


@dataclass(frozen=True)
class Window:
    """What the engine read from the store for one evaluation (all int ms UTC).

    centres: id, name, province_code, province_name.
    polls: centre_id, ts, ok, reason, detail (and system_down: the centre's own system
      reported down at that poll, see `mark_system_down`) — every poll in the longest
      poll window.
    latest: centre_id, metric, label, ts, value — newest sample per series (now).
    earlier: window_s → newest samples at now − window_s (growth rules).
    observed: centre_id, ts — each centre's newest poll that was not `skipped`.
    poll_counts: centre_id, window_s, total, failed — non-skipped polls per window.
    newest_poll_ms: the newest poll of any centre (dead-man's switch), None if none.
    watching_since_ms: when the evaluator started watching (the collector's start): a
      centre's silence counts from its last observation or from then, whichever is later,
      so a centre not yet reached since start-up has no data yet, never silent.
    """

    centres: pl.DataFrame
    polls: pl.DataFrame = field(default_factory=pl.DataFrame)
    latest: pl.DataFrame = field(default_factory=pl.DataFrame)
    earlier: Mapping[float, pl.DataFrame] = field(default_factory=dict)
    observed: pl.DataFrame = field(default_factory=pl.DataFrame)
    poll_counts: pl.DataFrame = field(default_factory=pl.DataFrame)
    newest_poll_ms: int | None = None
    watching_since_ms: int | None = None


@dataclass(frozen=True)
class Hit:
    fingerprint: str
    labels: dict[str, str]  # identifying labels: centre_id and/or province_code
    value: float | None
    cause: str
    summary: str
    centre_id: str | None = None
    province_code: int | None = None
    # False: the condition is seen but not yet confirmed (one failed poll of `count`): the
    # alert is pending and does not fire on this evaluation, whatever its `for`.
    confirmed: bool = True
    # What the summary and cause say, as values: the condition's kind, the figures
    # (value, threshold, metric, reason, counts, windows in minutes) — JSON-safe.
    facts: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Evaluation:
    rule: str
    hits: tuple[Hit, ...]
    observed: frozenset[str]  # fingerprints whose state the data shows (hits included)


def fingerprint(rule: str, centre_id: str | None = None, province_code: int | None = None) -> str:
    """`rule`, `rule/c<centre>` or `rule/p<province>`: stable across restarts."""
    if centre_id is not None:
        return f"{rule}/c{centre_id}"
    if province_code is not None:
        return f"{rule}/p{province_code}"
    return rule


INCIDENT_PREFIX = "incident:"


def incident_fingerprint(rule: str, province_code: int) -> str:
    """`incident:rule/p<province>`: a shared-cause incident (metrics.alerts.incidents)."""
    return INCIDENT_PREFIX + fingerprint(rule, province_code=province_code)


class _Centres:
    def __init__(self, centres: pl.DataFrame):
        self.rows: dict[str, dict[str, Any]] = {r["id"]: r for r in centres.iter_rows(named=True)}
        self.provinces: dict[int, str] = {r["province_code"]: r["province_name"]
                                          for r in self.rows.values()}

    def fields(self, centre_id: str | None, province_code: int | None) -> dict[str, Any]:
        row = self.rows.get(centre_id or "", {})
        code = row.get("province_code", province_code)
        return {
            "centre_id": centre_id or "",
            "centre_name": row.get("name", centre_id or ""),
            "province_code": "" if code is None else code,
            "province_name": self.provinces.get(code, "") if code is not None else "",
        }


# The collector's own phrases in a poll's detail (collectors/polling/http.py,
# collectors/polling/poll.py), as the stored Vietnamese cause says them; a centre's own text
# stays as it came.
DETAIL_WORDS = {
    "read timeout": "hết thời gian chờ phản hồi", "connect timeout": "hết thời gian chờ kết nối",
    "connection refused": "bị từ chối kết nối", "connection reset": "kết nối bị ngắt",
    "host unreachable": "không tới được máy chủ", "host name not resolved":
    "không phân giải được tên máy chủ", "connection closed mid-body":
    "kết nối đóng giữa chừng", TOO_SLOW: "trả lời quá chậm",
}
_CUT = re.compile(r"\s*\(cut to ([\d.]+) s by the cycle's deadline\)")


def num(value: float, digits: int = 2) -> str:
    """A number as the stored Vietnamese text writes it: "0,35", "1.800", "15"."""
    text = number(value, "vi", digits)
    return text.rstrip("0").rstrip(",") if digits else text


def detail_words(detail: str | None, confirmed: bool = False) -> str:
    """A poll's detail with the collector's phrases in Vietnamese, and whether the failure was
    confirmed: "read timeout" → "hết thời gian chờ phản hồi; đã thăm dò lại để xác nhận".
    (Polls stored before schema version 12 carried the confirmation in the text.)"""
    text = (detail or "").strip()
    confirmed = confirmed or V12_MARK in text
    text = text.replace(V12_MARK, "").strip()
    text = _CUT.sub(lambda m: f" (rút còn {num(float(m.group(1)))} giây theo hạn chu kỳ)", text)
    for phrase, words in DETAIL_WORDS.items():
        text = text.replace(phrase, words)
    return "; ".join(p for p in (text.strip(), "đã thăm dò lại để xác nhận" if confirmed
                                 else "") if p)


def _poll_cause(reason: str | None, detail: str | None, confirmed: bool = False) -> str:
    """'lỗi HTTP (HTTP 503)': the failed poll's reason in words, then the probe's detail."""
    words = REASON_WORDS.get(reason or "", reason or "?")
    said = detail_words(detail, confirmed)
    return f"{words} ({said})" if said else words


def _json_safe(value: Any) -> Any:
    """A fact as JSON can hold it: NaN and infinities become None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def mark_system_down(polls: pl.DataFrame, system_state: pl.DataFrame) -> pl.DataFrame:
    """`polls` with `system_down`: True where the centre's own system reported itself down
    (a `system_state` sample of 0 taken at that poll), else False."""
    down = (system_state.filter((pl.col("metric") == "system_state")
                                & (pl.col("value") == STATE_DOWN))
            .select("centre_id", "ts").unique().with_columns(pl.lit(True).alias("system_down")))
    if polls.is_empty():
        return polls.with_columns(pl.lit(False).alias("system_down"))
    return (polls.join(down, on=["centre_id", "ts"], how="left")
            .with_columns(pl.col("system_down").fill_null(False)))


def _hit(rule: Rule, info: _Centres, value: float | None, cause: str, *,
         centre_id: str | None = None, province_code: int | None = None,
         confirmed: bool = True, facts: Mapping[str, Any] | None = None,
         **extra: Any) -> Hit:
    base = info.fields(centre_id, province_code)
    code = base["province_code"]
    code = code if isinstance(code, int) else province_code
    fields = {**base, "rule": rule.name, "severity": rule.severity,
              "value": float("nan") if value is None else value, "cause": cause, **extra}
    labels = {}
    if centre_id is not None:
        labels["centre_id"] = centre_id
    if code is not None:
        labels["province_code"] = str(code)
    fp = fingerprint(rule.name, centre_id, None if centre_id else province_code)
    known = {"kind": rule.condition.kind, "value": value, "centre_name": base["centre_name"],
             "province_name": base["province_name"], **extra, **(facts or {})}
    return Hit(fp, labels, value, cause, rule.summary.format(**fields), centre_id, code,
               confirmed, {k: _json_safe(v) for k, v in known.items()})


def _failed_polls(rule: Rule, c: FailedPolls, w: Window, now: int, info: _Centres) -> Evaluation:
    hits, observed = [], set()
    if w.polls.is_empty():
        return Evaluation(rule.name, (), frozenset())
    polls = w.polls.with_columns(
        *(pl.lit(False).alias(col) for col in ("system_down", "confirmed")
          if col not in w.polls.columns))
    polls = (polls.filter((pl.col("ts") >= now - int(c.window_s * 1000))
                          & (pl.col("reason").fill_null("") != SKIPPED))
             .sort(["centre_id", "ts"], descending=[False, True])
             .group_by("centre_id", maintain_order=True)
             .agg(pl.col("ok"), pl.col("reason"), pl.col("detail"), pl.col("system_down"),
                  pl.col("confirmed")))
    for cid, oks, reasons, details, softs, sures in polls.iter_rows():
        fp = fingerprint(rule.name, cid)
        first: tuple[str | None, str | None] | None = None
        failures, oks_in_row, sure = 0, 0, False
        for ok, reason, detail, soft, confirmed in zip(oks, reasons, details, softs, sures,
                                                       strict=True):
            soft = bool(soft) and c.system_down
            if ok and not soft:
                if failures:
                    break
                oks_in_row += 1
                continue
            if oks_in_row:
                break
            failures += 1
            sure = sure or bool(confirmed)
            first = first or ((SYSTEM_DOWN, "") if soft and ok else (reason, detail))
        if failures:
            cause = _poll_cause(*first, sure) if first else "failed"
            hits.append(_hit(rule, info, float(failures), cause, centre_id=cid,
                             confirmed=sure or (c.count is not None and failures >= c.count),
                             failures=failures, reason=first[0] if first else "",
                             facts={"detail": first[1] if first else "", "confirmed": sure}))
            observed.add(fp)
        elif oks_in_row >= c.recover_after:
            observed.add(fp)
    return Evaluation(rule.name, tuple(hits), frozenset(observed))


def _province_down(rule: Rule, c: ProvinceDown, w: Window, now: int,
                   info: _Centres) -> Evaluation:
    if w.polls.is_empty():
        return Evaluation(rule.name, (), frozenset())
    newest = (w.polls.filter((pl.col("ts") >= now - int(c.window_s * 1000))
                             & (pl.col("reason").fill_null("") != SKIPPED))
              .sort("ts").group_by("centre_id").agg(pl.col("ok").last()))
    down: dict[int, int] = {}
    seen: set[int] = set()
    for cid, ok in newest.iter_rows():
        code = info.rows.get(cid, {}).get("province_code")
        if code is None:
            continue
        seen.add(code)
        down[code] = down.get(code, 0) + (not ok)
    totals: dict[int, int] = {}
    for row in info.rows.values():
        totals[row["province_code"]] = totals.get(row["province_code"], 0) + 1
    hits = []
    for code in sorted(seen):
        n, total = down.get(code, 0), totals[code]
        if n >= c.min_centres and n >= c.fraction * total:
            hits.append(_hit(rule, info, n / total,
                             f"{n}/{total} trung tâm lỗi ở lượt thu thập gần nhất",
                             province_code=code, down=n, total=total))
    return Evaluation(rule.name, tuple(hits),
                      frozenset(fingerprint(rule.name, province_code=p) for p in seen))


OP_WORDS = {">": "trên", ">=": "từ", "<": "dưới", "<=": "tối đa", "==": "bằng"}
OPS: dict[str, Callable[[float, float], bool]] = {
    ">": lambda a, b: a > b, ">=": lambda a, b: a >= b, "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b, "==": lambda a, b: a == b,
}


def _series(frame: pl.DataFrame, metric: str, label: str | None, since: int | None
            ) -> dict[str, float]:
    if frame.is_empty():
        return {}
    f = frame.filter(pl.col("metric") == metric)
    if label is not None:
        f = f.filter(pl.col("label") == label)
    if since is not None:
        f = f.filter(pl.col("ts") >= since)
    return dict(zip(f["centre_id"].to_list(), f["value"].to_list(), strict=True))


def _threshold(rule: Rule, c: Threshold, w: Window, now: int, info: _Centres) -> Evaluation:
    values = _series(w.latest, c.metric, c.label, now - int(c.window_s * 1000))
    hits = [_hit(rule, info, v, f"{num(v)} ({OP_WORDS[c.op]} {num(c.value)})", centre_id=cid,
                 threshold=c.value, facts={"metric": c.metric, "op": c.op})
            for cid, v in sorted(values.items()) if OPS[c.op](v, c.value)]
    return Evaluation(rule.name, tuple(hits),
                      frozenset(fingerprint(rule.name, cid) for cid in values))


def _growth(rule: Rule, c: Growth, w: Window, now: int, info: _Centres) -> Evaluation:
    newest = _series(w.latest, c.metric, None, now - int(c.window_s * 500))
    before = _series(w.earlier.get(c.window_s, pl.DataFrame()), c.metric, None, None)
    hits, observed = [], set()
    for cid in sorted(newest.keys() & before.keys()):
        observed.add(fingerprint(rule.name, cid))
        grew = newest[cid] - before[cid]
        if grew >= c.min_increase:
            hits.append(_hit(rule, info, grew,
                             f"{num(before[cid])} → {num(newest[cid])} trong "
                             f"{num(c.window_s / 60)} phút", centre_id=cid, increase=grew,
                             window_min=c.window_s / 60,
                             facts={"metric": c.metric, "before": before[cid],
                                    "after": newest[cid]}))
    return Evaluation(rule.name, tuple(hits), frozenset(observed))


def _stale(rule: Rule, c: Stale, w: Window, now: int, info: _Centres) -> Evaluation:
    after = int(_seconds(c.after_s) * 1000)
    if w.newest_poll_ms is None or now - w.newest_poll_ms > after:
        return Evaluation(rule.name, (), frozenset())  # the collector is silent: not ours
    seen = {} if w.observed.is_empty() else dict(w.observed.select("centre_id", "ts").iter_rows())
    hits = []
    since = w.watching_since_ms or 0
    if since > now:  # evaluating a moment before the watching began
        since = 0
    for cid in sorted(seen):
        silent_ms = now - max(seen[cid], since)
        if cid in info.rows and silent_ms > after:
            hits.append(_hit(rule, info, silent_ms / 1000,
                             f"không có lượt thu thập nào trả lời hay thất bại trong "
                             f"{num(silent_ms / 1000, 0)} giây",
                             centre_id=cid, silent_min=silent_ms / 60_000))
    # A centre not observed within the lookback has no data yet: neither stale nor fresh;
    # one not observed since the evaluator started watching is silent only `after` later.
    return Evaluation(rule.name, tuple(hits),
                      frozenset(fingerprint(rule.name, cid) for cid in seen if cid in info.rows))


def _seconds(after_s: float | None) -> float:
    if after_s is None:
        raise ValueError("an interval-relative threshold was not resolved: load the rules "
                         "with `load_alerts(interval_s=…)` or `AlertsConfig.for_interval`")
    return after_s


def _collector_silent(rule: Rule, c: CollectorSilent, w: Window, now: int,
                      info: _Centres) -> Evaluation:
    fp = fingerprint(rule.name)
    silent_s = float("inf") if w.newest_poll_ms is None else (now - w.newest_poll_ms) / 1000
    if silent_s <= _seconds(c.after_s):
        return Evaluation(rule.name, (), frozenset({fp}))
    cause = ("chưa ghi được lượt thu thập nào" if w.newest_poll_ms is None
             else f"lượt thu thập cuối cách đây {num(silent_s, 0)} giây")
    return Evaluation(rule.name, (_hit(rule, info, silent_s, cause, silent_s=silent_s),),
                      frozenset({fp}))


def _burn_rate(rule: Rule, c: BurnRate, w: Window, now: int, info: _Centres) -> Evaluation:
    if w.poll_counts.is_empty():
        return Evaluation(rule.name, (), frozenset())
    counts = w.poll_counts
    if c.scope == "province":
        codes = pl.DataFrame({"centre_id": list(info.rows),
                              "key": [str(r["province_code"]) for r in info.rows.values()]})
    else:
        codes = pl.DataFrame({"centre_id": list(info.rows), "key": list(info.rows)})
    agg = (counts.join(codes, on="centre_id").group_by("key", "window_s")
           .agg(pl.col("total").sum(), pl.col("failed").sum()))
    table: dict[tuple[str, float], tuple[int, int]] = {
        (k, ws): (t, f) for k, ws, t, f in agg.select("key", "window_s", "total", "failed")
        .iter_rows()}
    budget = 1 - c.slo
    hits, observed = [], set()
    for key in sorted({k for k, _ in table}):
        centre, code = (None, int(key)) if c.scope == "province" else (key, None)
        fp = fingerprint(rule.name, centre, code)
        best = None
        for pair in c.pairs:
            rates = []
            for ws in (pair.long_s, pair.short_s):
                total, failed = table.get((key, ws), (0, 0))
                rates.append(None if total < c.min_polls else failed / total / budget)
            long_rate, short_rate = rates
            if long_rate is None or short_rate is None:
                continue
            observed.add(fp)
            if long_rate > pair.factor and short_rate > pair.factor and best is None:
                best = (pair, long_rate, short_rate)
        if best:
            pair, long_rate, short_rate = best
            cause = (f"tốc độ tiêu ngân sách lỗi {num(long_rate, 1)}× trong "
                     f"{num(pair.long_s / 60)} phút và {num(short_rate, 1)}× trong "
                     f"{num(pair.short_s / 60)} phút (giới hạn {num(pair.factor)}×, "
                     f"SLO {num(c.slo * 100)} %)")
            hits.append(_hit(rule, info, long_rate, cause, centre_id=centre, province_code=code,
                             long_rate=long_rate, short_rate=short_rate, factor=pair.factor,
                             long_min=pair.long_s / 60, short_min=pair.short_s / 60,
                             facts={"slo": c.slo}))
    return Evaluation(rule.name, tuple(hits), frozenset(observed))


def _store_unreachable(rule: Rule, c: StoreUnreachable, w: Window, now: int,
                       info: _Centres) -> Evaluation:
    """Not judged from stored data (there is none while the store is down): the collector
    judges it each cycle (`metrics.alerts.store_alarm`)."""
    return Evaluation(rule.name, (), frozenset())


EVALUATORS: dict[type, Callable[..., Evaluation]] = {
    FailedPolls: _failed_polls,
    ProvinceDown: _province_down,
    Threshold: _threshold,
    Growth: _growth,
    Stale: _stale,
    CollectorSilent: _collector_silent,
    BurnRate: _burn_rate,
    StoreUnreachable: _store_unreachable,
}


def evaluate(rule: Rule, window: Window, now_ms: int) -> Evaluation:
    """The rule's hits and observed fingerprints at `now_ms` over `window`."""
    return EVALUATORS[type(rule.condition)](rule, rule.condition, window, now_ms,
                                            _Centres(window.centres))
