"""The wall display: the whole province at a glance, refreshed in place.

Shows the KPI tiles, the status map, the centres needing attention and the
age of the newest data. `?at=2025-07-03T10:00` (local time) replays the wall
as it was at that moment; `?lang=en` switches to English.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
import streamlit as st

from dashboard import components, data, fmt, i18n

cfg = data.settings()
dash = cfg.dashboard
tz = dash.timezone
tr = i18n.text(components.current_language(dash.language))
components.apply_wall_style()

replay_at: datetime | None = None
if raw_at := st.query_params.get("at"):
    try:
        replay_at = fmt.parse_local(raw_at, tz)
    except ValueError:
        st.warning(tr("wall.bad_at", value=raw_at))


@st.fragment(run_every=None if replay_at else dash.refresh_s)
def live() -> None:
    """Everything that changes with the data; rerun every `refresh_s` on its own."""
    now = replay_at or datetime.now(UTC)
    head, fresh = st.columns([3, 2], vertical_alignment="bottom")
    head.title(cfg.deployment.name)
    head.caption(tr("wall.subtitle", date=fmt.date(now, tz)))
    try:
        view = data.wall_view(cfg, now, replay=replay_at is not None)
    except (sa.exc.SQLAlchemyError, OSError) as exc:
        st.error(tr("wall.no_db", error=type(exc).__name__))
        return
    with fresh:
        if replay_at:
            st.info(tr("wall.replay", t=fmt.date_time(replay_at, tz)))
        components.render_freshness(view.newest, view.stale, now, tr, tz)
    if view.status.is_empty():
        st.info(tr("fresh.no_centres"))
        return
    components.render_tiles(view.kpis, view.newest, now, tr, tz)
    left, right = st.columns([3, 2])
    with left:
        components.render_map(view.status, tr, now, tz, dash.tile_url)
    with right:
        components.render_lagging(view.lagging, tr, now, tz)


live()
