"""The line every page shows while the history behind the live data is still being filled
(`ioc demo` fills the week newest first, metrics/store/history_fill.py), so a half-filled
history is never read as complete."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import streamlit as st

from config.settings import Settings
from dashboard.i18n import Tr
from dashboard.loaders import common as data
from dashboard.views import fmt
from metrics.store import DatabaseError, history_fill
from metrics.store.history_fill import Fill

TTL_S = 5.0


@st.cache_data(ttl=TTL_S, show_spinner=False)
def current(url: str) -> Fill | None:
    """The latest backfill's progress; None when there is none or the store does not
    answer (the freshness banner says that)."""
    try:
        return history_fill.read(data.store(url).engine)
    except (DatabaseError, OSError):
        return None


def line(fill: Fill | None, now_ms: int, tr: Tr, tz: str) -> str | None:
    """The line for an unfinished backfill, None when there is nothing to say."""
    if fill is None or fill.finished:
        return None
    values = {"days": fmt.number((fill.to_ms - fill.from_ms) / 86_400_000, tr.lang),
              "pct": fmt.percent(fill.ratio, tr.lang, 0),
              "t": fmt.date_time(datetime.fromtimestamp(fill.complete_from_ms / 1000, UTC), tz)}
    if fill.stalled(now_ms):
        last = fmt.date_time(datetime.fromtimestamp(fill.updated_ms / 1000, UTC), tz)
        return tr("history_fill.stalled", last=last, **values)
    return tr("history_fill.loading", **values)


def render(cfg: Settings, tr: Tr) -> None:
    """The line, if any (call inside the freshness banner's fragment, which refreshes it)."""
    text = line(current(cfg.store.url), int(time.time() * 1000), tr, cfg.dashboard.timezone)
    if text is not None:
        st.markdown(f'<p class="ioc-behind" role="status">{text}</p>', unsafe_allow_html=True)
