"""The age of the data on every page, and a banner over everything when it is stale or the
store cannot be reached (Streamlit fragment, refreshed on its own every `refresh_s`).

Stale is the alert rules' threshold (`collector_silent`: the whole store's newest poll,
two collection intervals by default), the same one that alerts the tech team. Live pages
only: a page replaying a past moment (?at=) says so itself.
"""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from config.settings import Settings
from dashboard.i18n import Tr
from dashboard.loaders import common as data
from dashboard.views import fmt
from dashboard.widgets import history_banner
from metrics.store import from_ms
from metrics.store.cadence import Behind

BANNER_CSS = """
<style>
.ioc-banner {
  position: sticky; top: 0; z-index: 1000; margin: 0 0 .5rem 0; padding: .6rem 1rem;
  background: #5b2a86; color: #ffffff; border: 3px solid #d7b8f3; border-radius: .4rem;
  font-size: clamp(1.4rem, 3.2vh, 4rem); font-weight: 700; line-height: 1.25;
}
.ioc-age { margin: 0; font-size: .95rem; color: #8b949e; text-align: right; }
.ioc-behind { margin: 0; font-size: 1.05rem; font-weight: 600; color: #f0b429;
  text-align: right; }
</style>
"""


def banner_text(newest: datetime | None, unreachable_since: datetime | None, now: datetime,
                stale_after_s: float, tr: Tr, tz: str) -> tuple[bool, str] | None:
    """(loud, text) for the data's state at `now`, None when nothing was ever polled: loud
    when the store is unreachable or its newest poll is older than `stale_after_s`."""
    if unreachable_since is not None:
        return True, tr("banner.unreachable", t=fmt.clock(unreachable_since, tz),
                        age=fmt.duration((now - unreachable_since).total_seconds(), tr.lang))
    if newest is None:
        return None
    age_s = (now - newest).total_seconds()
    when = fmt.clock(newest, tz) if fmt.date(newest, tz) == fmt.date(now, tz) \
        else fmt.date_time(newest, tz)
    if age_s > stale_after_s:
        return True, tr("banner.stale", t=when, age=fmt.duration(age_s, tr.lang))
    return False, tr("banner.fresh", t=when, ago=fmt.ago(newest, now, tr.lang))


def behind_text(behind: Behind, tr: Tr, cfg: Settings) -> str:
    """"Thu thập đang chậm: lúc 10:05:12 bỏ lỡ 1 chu kỳ 5 giây (tổng 3 từ khi khởi động) …"."""
    return tr("banner.behind", t=fmt.clock(from_ms(behind.at_ms), cfg.dashboard.timezone),
              missed=fmt.number(behind.missed, tr.lang),
              interval=fmt.number(behind.interval_s, tr.lang),
              total=fmt.number(behind.total, tr.lang))


def render(cfg: Settings, tr: Tr) -> None:
    """The banner or the age line for the live data, refreshed every `refresh_s`."""
    if "at" in st.query_params:
        return

    @st.fragment(run_every=cfg.dashboard.refresh_s)
    def banner() -> None:
        now = datetime.now(UTC)
        newest_ms, since = data.freshness(cfg.store.url)
        shown = banner_text(None if newest_ms is None else from_ms(newest_ms), since, now,
                            data.policy(cfg).store_stale_after_s, tr, cfg.dashboard.timezone)
        if shown is None:
            return
        loud, text = shown
        st.markdown(BANNER_CSS, unsafe_allow_html=True)
        kind = "ioc-banner" if loud else "ioc-age"
        st.markdown(f'<p class="{kind}" role="{"alert" if loud else "status"}">{text}</p>',
                    unsafe_allow_html=True)
        history_banner.render(cfg, tr)  # history still being filled behind the live data
        if not loud and (behind := data.collection_behind(cfg.store.url)) is not None:
            st.markdown(f'<p class="ioc-behind" role="status">{behind_text(behind, tr, cfg)}'
                        "</p>", unsafe_allow_html=True)

    banner()
