"""How a shared-cause incident is shown in an alert list (no I/O, no Streamlit).

An incident row (`alert_stats.fold_incidents`: its `grouped` centres) is one row naming
the likely shared cause in the page's language and the affected centres; a centre alert
grouped into one says so.
"""

from __future__ import annotations

from collections.abc import Mapping

from dashboard.i18n import Tr
from dashboard.views import fmt
from metrics.alerts.rules import INCIDENT_PREFIX


def incident_cells(row: Mapping, tr: Tr, causes: Mapping[str, str]) -> tuple[str, str] | None:
    """(where, what) of an incident row: "Sự cố chung · 4 trung tâm" and the likely cause
    with the centres folded into it (`grouped`), if any; None for any other row. `causes`:
    rule → cause in the page's language (config/alerts.yaml `shared_cause`); the stored
    Vietnamese cause otherwise. Unfolded (history), the count is the incident's value."""
    if not (row.get("fingerprint") or "").startswith(INCIDENT_PREFIX):
        return None
    names = row.get("grouped") or []
    n = len(names) if names else int(row.get("value") or 0)
    cause = causes.get(row["rule"]) or row["cause"]
    what = (tr("incident.summary", cause=cause, centres=", ".join(names)) if names
            else tr("incident.cause", cause=cause))
    return tr("incident.where", n=fmt.number(n, tr.lang)), what


def grouped_note(row: Mapping, tr: Tr) -> str:
    """" · gộp vào sự cố chung" for a centre alert muted by an incident, else ""."""
    by = row.get("inhibited_by") or ""
    return " · " + tr("incident.grouped") if by.startswith(INCIDENT_PREFIX) else ""
