"""Loaders of the admins' audit page: the audit log and the kiosk links, as display tables.

Not cached on purpose: only administrators open the page, the reads are a
few hundred rows, and a revocation must show at once.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from dashboard.i18n import Tr
from dashboard.loaders import common as data
from dashboard.views import alert_text, fmt
from metrics.access import audit, kiosk

ROWS = 500


def _when(ts: datetime | None, tz: str) -> str:
    return fmt.DASH if ts is None else fmt.date_time(ts, tz)


def audit_table(url: str, tr: Tr, tz: str, actions: list[str] | None = None) -> pl.DataFrame:
    """The newest `ROWS` audit rows as display text (the page shows them in st.dataframe,
    which renders no markup)."""
    found = audit.entries(data.store(url), actions=actions or None, limit=ROWS)
    keys = ("time", "actor", "role", "action", "ok", "target", "detail")
    cols = [tr(f"audit.col.{k}") for k in keys]
    rows = [dict(zip(cols, (_when(r["ts"], tz), r["actor"], alert_text.role_name(r["role"], tr),
                            alert_text.audit_action(r["action"], tr), "✓" if r["ok"] else "✗",
                            r["target"], alert_text.audit_detail(r["action"], r["detail"], tr,
                                                                 tz)), strict=True))
            for r in found.iter_rows(named=True)]
    return pl.DataFrame(rows, schema=dict.fromkeys(cols, pl.String))


def kiosk_table(url: str, tr: Tr, tz: str) -> tuple[pl.DataFrame, list[int]]:
    """(every kiosk link as display text, the ids of those still active)."""
    found = kiosk.links(data.store(url))
    keys = ("id", "label", "scope", "created", "by", "revoked")
    cols = [tr(f"audit.kiosk.col.{k}") for k in keys]
    rows = [dict(zip(cols, (str(r["id"]), r["label"], r["scope"], _when(r["created_at"], tz),
                            r["created_by"], _when(r["revoked_at"], tz)), strict=True))
            for r in found.iter_rows(named=True)]
    active = found.filter(pl.col("revoked_at").is_null())["id"].to_list()
    return pl.DataFrame(rows, schema=dict.fromkeys(cols, pl.String)), active
