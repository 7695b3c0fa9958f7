"""A centre's problems in the page's words (pure): the alert rules' names, their thresholds
and the figure behind each, for the wall, finder, briefing and their exports."""

from __future__ import annotations

from typing import Any

from dashboard import i18n
from dashboard.i18n import Tr
from dashboard.views import fmt
from metrics.alerts.problems import Condition


def problem_name(rule: str, tr: Tr) -> str:
    """An alert rule's condition in the page's words (`dashboard/texts/problems.py`)."""
    key = f"problem.{rule}"
    return tr(key) if key in i18n.TEXTS[tr.lang] or key in i18n.VI \
        else tr("problem.other", rule=rule)


# A problem's figure, when the centre's row carries it: rule → (column, how to show it).
_PROBLEM_VALUES: dict[str, tuple[str, str]] = {
    "otp_p95_high": ("otp_p95_s", "duration"), "sync_lag_high": ("sync_lag_s", "duration"),
    "overdue_high": ("overdue", "number"),
}


# How a condition's threshold reads: metric → kind of figure (state metrics need none: the
# problem's name says it).
_METRIC_KINDS = {"otp_p95_seconds": "duration", "sync_lag_seconds": "duration",
                 "otp_failure_ratio": "percent", "dossiers_overdue": "number",
                 "sync_unsynced_dossiers": "number"}
_OPS = {">": ">", ">=": "≥", "<": "<", "<=": "≤", "==": "="}


def condition_text(c: Condition, tr: Tr) -> str:
    """An alert condition as the finder lists it: "OTP chậm (> 30 giây)"."""
    name = problem_name(c.rule, tr)
    kind = _METRIC_KINDS.get(c.metric)
    if kind is None:
        return name
    value = {"duration": lambda v: fmt.duration(v, tr.lang),
             "percent": lambda v: fmt.percent(v, tr.lang),
             "number": lambda v: fmt.number(v, tr.lang)}[kind](c.value)
    return tr("problem.with_value", name=name, value=f"{_OPS[c.op]} {value}")


def problem_text(rule: str, row: dict[str, Any], tr: Tr) -> str:
    """A problem with its figure where the row has it: "OTP chậm (1 phút 5 giây)"."""
    name = problem_name(rule, tr)
    column, kind = _PROBLEM_VALUES.get(rule, ("", ""))
    value = row.get(column) if column else None
    if value is None:
        return name
    shown = fmt.duration(value, tr.lang) if kind == "duration" else fmt.number(value, tr.lang)
    return tr("problem.with_value", name=name, value=shown)
