"""The wall display: the whole province (or country) at a glance, refreshed in place.

Shows the KPI tiles, the status map (national: the province grid), the active
alerts, the centres needing attention and the age of the newest data.
Query parameters: `?at=2025-07-03T10:00` replays a moment; `?lang=en`;
`?kiosk=1` hides every control; `?province=46` narrows a national wall to one
province; `?metric=sync_lag` colours the map by a metric;
`?playlist=wall,alerts,province:46&every=30` rotates views and stops on one
with a new critical alert nobody has acknowledged (`dashboard.views.playlist`).
In kiosk mode the page is sized to the screen (`dashboard.views.wall_fit`).
"""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from config.registry import provinces
from dashboard import i18n
from dashboard.loaders import actions as data_actions
from dashboard.loaders import ahead as data_ahead
from dashboard.loaders import common as data
from dashboard.loaders import compare as data_compare
from dashboard.loaders import figures
from dashboard.loaders import gaps as data_gaps
from dashboard.loaders.actions import WallOverdue
from dashboard.loaders.alerts import incident_causes
from dashboard.session import signin
from dashboard.views import fmt, wall_fit
from dashboard.views import gaps as gaps_view
from dashboard.views import playlist as pl_
from dashboard.views.week import WeekDisplay
from dashboard.widgets import components
from metrics import queries as q
from metrics.alerts import stats as alert_stats
from metrics.store import DatabaseError
from metrics.store.records import from_ms, to_ms

cfg = data.settings()
dash = cfg.dashboard
tz = dash.timezone
tr = i18n.text(components.current_language(dash.language))
who = signin.require()
scope = who.scope  # every load below reads only this part of the fleet
kiosk = who.kiosk
components.apply_wall_style(kiosk)
# The kiosk wall's map is drawn for the screen's height (its type scaled with it).
screen_px = wall_fit.screen_height() if kiosk else None
known = provinces()
national = cfg.deployment.scope == "national" and scope.is_national

replay_at: datetime | None = None
if raw_at := st.query_params.get("at"):
    try:
        replay_at = fmt.parse_local(raw_at, tz)
    except ValueError:
        st.warning(tr("wall.bad_at", value=components.Quoted(raw_at)))

chosen_province: int | None = None
if raw_province := st.query_params.get("province"):
    if raw_province.isdigit() and int(raw_province) in known:
        chosen_province = int(raw_province)
    else:
        st.warning(tr("wall2.bad_province", value=components.Quoted(raw_province)))

views: list[pl_.View] = []
every_s = pl_.DEFAULT_EVERY_S
try:
    views = pl_.parse(st.query_params.get("playlist"), list(known))
    every_s = pl_.parse_every(st.query_params.get("every"))
except ValueError as exc:
    views = []
    st.warning(tr("wall2.playlist.bad", error=components.md_text(exc)))

metric = st.query_params.get("metric", "status")
if metric not in components.MAP_METRICS:
    metric = "status"
if not kiosk and not views:
    metric = st.segmented_control(
        tr("wall2.metric"), list(components.MAP_METRICS), default=metric,
        format_func=lambda k: tr(f"wall2.metric.{k}"), key="wall-metric") or "status"

refresh_s = None if replay_at else (min(dash.refresh_s, every_s) if views else dash.refresh_s)


def follow(target: tuple[str, str] | None) -> None:
    """A click on the map or the grid: a centre's drill-down, or a province's wall."""
    if target is None:
        return
    kind, value = target
    if kind == "province":
        st.query_params["province"] = value
        st.rerun(scope="app")
    try:
        st.switch_page(components.COMMUNE_PAGE, query_params={"centre": value})
    except st.errors.StreamlitAPIException:
        st.warning(tr("wall2.drill.missing"))


def show_view(view: data.WallView, now: datetime, province: int | None, board,
              week: WeekDisplay, overdue: WallOverdue) -> None:
    """One wall: tiles (today's dossiers beside last week's), map or province grid, alerts,
    lagging centres; outside kiosk, the overdue follow-up assignments (the kiosk's badge
    counts them)."""
    if view.status.is_empty():
        st.info(tr("fresh.no_centres"))
        return
    counted = view.newest if view.today.exact else from_ms(view.today.until_ms)
    components.render_tiles(view.kpis, counted, now, tr, tz, compact=kiosk, week=week)
    if basis := components.today_basis(view.today, now, tr, tz):
        st.caption(basis)  # only roll-ups are kept for this moment: say which
    whole_country = national and province is None
    if kiosk:
        show_kiosk_body(view, now, board, whole_country)
        return
    if overdue.count:
        st.warning(tr("actions.wall.overdue", n=fmt.number(overdue.count, tr.lang)) + ": "
                   + "; ".join(components.md_text(line) for line in overdue.lines))
    left, right = st.columns([3, 2])
    with left:
        if whole_country:
            follow(components.render_provinces(figures.province_figure(view, tr.lang), tr,
                                               selectable=not kiosk))
        else:
            follow(components.render_map(figures.map_figure(view, tr.lang, now, tz,
                                                            dash.tile_url, metric),
                                         selectable=not kiosk))
    with right:
        components.render_alert_board(board, tr, now, tz, shown=4)
        components.render_lagging(view.lagging, tr, now, tz, shown=4 if kiosk else 6)
    if whole_country and not kiosk and view.provinces["located"].sum():
        st.caption(tr("wall2.prov.located", n=int((view.provinces["located"] > 0).sum())))
        follow(components.render_map(figures.map_figure(view, tr.lang, now, tz,
                                                        dash.tile_url, metric),
                                     selectable=True))


def show_kiosk_body(view: data.WallView, now: datetime, board, whole_country: bool) -> None:
    """The kiosk wall's body, sized to the screen: the map (or province grid) filling its
    box, and beside it both lists with as many rows as fit (`wall_fit.fit_rows`)."""
    height, scale = wall_fit.map_size(screen_px)
    with st.container(key="wall-body"):
        left, right = st.columns([3, 2], gap="small")
        with left, st.container(key="wall-mapbox"):
            if whole_country:
                components.render_provinces(
                    figures.province_figure(view, tr.lang, height=height, font_scale=scale),
                    tr, selectable=False, height="stretch")
            else:
                components.render_map(
                    figures.map_figure(view, tr.lang, now, tz, dash.tile_url, metric,
                                       height=height, font_scale=scale),
                    selectable=False, height="stretch")
        n_alerts = alert_stats.fold_incidents(board).height
        shown_alerts, shown_lagging = wall_fit.fit_rows(n_alerts, view.lagging.height,
                                                        view.kpis.counts[q.DOWN])
        head = view.lagging.head(shown_lagging)
        reasons = [components.why(row, tr, now, tz) for row in head.iter_rows(named=True)]
        right.markdown(
            '<div class="ioc-lists">'
            + wall_fit.alert_rows_html(board, tr, now, tz, incident_causes(tr.lang),
                                       shown_alerts)
            + '<div class="ioc-gap"></div>'
            + wall_fit.lagging_rows_html(view.lagging, reasons, tr, shown_lagging)
            + "</div>", unsafe_allow_html=True)


@st.fragment(run_every=refresh_s)
def live() -> None:
    """Everything that changes with the data; rerun every `refresh_s` on its own."""
    if not signin.kiosk_still_valid(cfg):
        st.session_state.pop(signin.WHO_KEY, None)  # the link was revoked: back to the gate
        st.rerun(scope="app")
    now = replay_at or datetime.now(UTC)
    replay = replay_at is not None
    province, choice = chosen_province, None
    held_names: dict = {}
    try:
        # A playlist picks its view from the whole scope's alerts; one province reads its own.
        board = data.wall_alerts(cfg, now, scope=scope, replay=replay,
                                 province=None if views else province)
        if views:
            facts, held_names = wall_fit.critical_facts(board)
            choice = pl_.choose(views, now, every_s, facts, dash.playlist_hold_s)
            province = choice.view.province
        view = data.wall_view(cfg, now, scope=scope, replay=replay, province=province)
        lost = data_gaps.wall_gaps(cfg, now, scope=scope, replay=replay, province=province)
        week = data_compare.week_for(cfg, now, scope=scope, tr=tr, province=province,
                                     today=view.today)
        overdue = data_actions.wall_overdue(cfg.store.url, str(scope), to_ms(now), tr)
    except (DatabaseError, OSError) as exc:
        st.error(tr("wall.no_db", error=type(exc).__name__))
        return
    if not replay:  # from now on computed ahead, once per collection cycle
        data_ahead.wall(cfg, scope=scope, province=province, lang=tr.lang, metric=metric,
                        shown=data_ahead.wall_figures(kiosk, national and province is None,
                                                      screen_px))
    if province is not None:
        board = board.filter(board["province_code"] == province)
    head, fresh = st.columns([3, 2], vertical_alignment="center" if kiosk else "bottom")
    title = cfg.deployment.name
    if province is not None:
        title = known[province].name
    elif scope.province in known and cfg.deployment.scope == "national":
        title = known[scope.province].name
    elif national:
        title = f"{cfg.deployment.name} · {tr('wall2.national')}"
    held = choice if choice is not None and choice.held else None  # the playlist stopped
    if held is not None and kiosk:  # the stop notice takes the title's place, as large as the badge
        head.markdown(f'<div class="ioc-badges ioc-left">'
                      f'{wall_fit.held_html(held, held_names, tr, tz, title=title)}</div>',
                      unsafe_allow_html=True)
    else:
        head.title(title)
        subtitle = tr("wall.subtitle", date=fmt.date(now, tz))
        if choice is not None and held is None:
            subtitle += " · " + tr("wall2.playlist.at", i=choice.index + 1, n=len(views),
                                   every=fmt.duration(every_s, tr.lang))
        head.caption(subtitle)
    with fresh:
        badges = []
        if kiosk and not view.status.is_empty():
            badges.append(wall_fit.badge_html(
                wall_fit.counts(view.kpis, board, overdue.count), tr))
        if held is not None and not kiosk:
            badges.append(wall_fit.held_html(held, held_names, tr, tz))
        if badges:
            st.markdown(f'<div class="ioc-badges">{"".join(badges)}</div>',
                        unsafe_allow_html=True)
        if replay_at:
            st.info(tr("wall.replay", t=fmt.date_time(replay_at, tz)))
        if replay_at or view.newest is None:  # live, the banner above gives the data's age
            components.render_freshness(view.newest, view.stale, now, tr, tz)
    gaps_view.render_wall(lost, tr, now, tz)  # cycles a collector polled but could not keep
    if choice is not None and choice.view.kind == pl_.ALERTS:
        if kiosk:
            st.markdown('<div class="ioc-lists">' + wall_fit.alert_rows_html(
                board, tr, now, tz, incident_causes(tr.lang), wall_fit.board_rows()) + "</div>",
                unsafe_allow_html=True)
        else:
            components.render_alert_board(board, tr, now, tz, shown=15)
        return
    show_view(view, now, province, board, week, overdue)


live()
