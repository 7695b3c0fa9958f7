"""The lagging-commune finder: every centre, filtered and sorted, with the rules it breaks.

Rules come from `dashboard.lagging` in the configuration; their thresholds can
be changed here for the session. Each row links to the centre's drill-down;
the shown rows export to CSV. `?at=2025-07-03T10:00` (local time) reads the
data as of that moment; `?lang=en` switches to English.
"""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import streamlit as st

from dashboard import i18n
from dashboard.loaders import ahead as data_ahead
from dashboard.loaders import common as data
from dashboard.loaders import finder as data_finder
from dashboard.session import signin
from dashboard.views import finder as finder_view
from dashboard.views import fmt, problem_words, search, xlsx
from dashboard.widgets import components
from metrics import lagging
from metrics.store import DatabaseError

cfg = data.settings()
dash = cfg.dashboard
tz = dash.timezone
tr = i18n.text(components.current_language(dash.language))
who = signin.require()  # the table and its exports hold only centres in who.scope


def edit_rules(defaults: list[lagging.Rule]) -> list[lagging.Rule]:
    """The visible rules: the alert rules' problem thresholds as they are (config/alerts.yaml,
    the same for every page and alert), then the service-level rules, each of which can be
    switched off or given another threshold (this session)."""
    rules = []
    with st.expander(tr("finder.rules"), expanded=True):
        st.caption(tr("finder.problems_help",
                      conditions=" · ".join(problem_words.condition_text(c, tr)
                                            for c in data.policy(cfg).conditions)))
        st.caption(tr("finder.rules_help"))
        for i, rule in enumerate(defaults):
            on, value = st.columns([1, 5], vertical_alignment="bottom")
            enabled = on.checkbox(tr("finder.rule_on"), value=True, key=f"finder.on.{i}")
            label = (f"{finder_view.rule_name(rule, tr)} {tr(f'finder.{rule.comparison}')} "
                     f"({tr(f'finder.unit.{rule.metric}')})")
            # Text, not st.number_input: that one writes and reads only "92.5", never "92,5".
            default = fmt.number(lagging.to_display(rule.metric, rule.threshold), tr.lang,
                                 finder_view.DIGITS[rule.metric])
            typed = value.text_input(label, value=default, key=f"finder.threshold.{i}")
            try:
                shown = fmt.parse_number(typed, tr.lang)
                if shown < 0:
                    raise ValueError(typed)
            except ValueError:
                st.error(tr("common.bad_number", label=label, value=components.md_text(typed)))
                shown = float(lagging.to_display(rule.metric, rule.threshold))
            if enabled:
                rules.append(lagging.Rule(rule.metric, rule.comparison,
                                          lagging.from_display(rule.metric, shown), rule.label))
        st.caption(" · ".join(finder_view.rule_text(r, tr) for r in rules))
    return rules


def filters(table: pl.DataFrame) -> dict:
    """Province, type, name and "only lagging" filters; keyword arguments for select_rows."""
    provinces = dict(table.select("province_code", "province_name").unique()
                     .sort("province_code").iter_rows())
    cols = st.columns([2, 2, 3, 2], vertical_alignment="bottom")
    chosen = None
    if len(provinces) > 1:
        chosen = cols[0].multiselect(tr("finder.province"), list(provinces),
                                     format_func=provinces.__getitem__, key="finder.province",
                                     placeholder=tr("common.all"))
    kinds = cols[1].multiselect(tr("finder.kind"), sorted(table["kind"].unique().to_list()),
                                key="finder.kind", placeholder=tr("common.all"))
    query = cols[2].text_input(tr("finder.search"), key="finder.search")
    only = cols[3].toggle(tr("finder.only_lagging"), key="finder.only")
    ids = None
    if query:
        candidates = [search.Candidate(i, n) for i, n in table.select("id", "name").iter_rows()]
        ids = [c.id for c in search.search(candidates, query, limit=len(candidates))]
    return {"provinces": chosen or None, "kinds": kinds or None, "ids": ids,
            "only_lagging": only}


def page() -> None:
    st.title(tr("finder.title"))
    at: datetime | None = None
    if raw_at := st.query_params.get("at"):
        try:
            at = fmt.parse_local(raw_at, tz)
        except ValueError:
            st.warning(tr("finder.bad_at", value=components.Quoted(raw_at)))
    now = at or datetime.now(UTC)
    if at:
        st.info(tr("finder.replay", t=fmt.date_time(at, tz)))
    else:  # from now on computed ahead, once per collection cycle
        data_ahead.availability(cfg, scope=who.scope)
    try:
        table = data_finder.finder_table(cfg, now, scope=who.scope, replay=at is not None)
        today = data_finder.finder_today(cfg, now, scope=who.scope, replay=at is not None)
    except (DatabaseError, OSError) as exc:
        st.error(tr("finder.no_db", error=type(exc).__name__))
        return
    if basis := components.today_basis(today, now, tr, tz):
        st.info(basis)  # the today columns: only roll-ups are kept for this moment
    if table.is_empty():
        st.info(tr("finder.no_centres"))
        return
    rules = edit_rules(lagging.rules_from(dash.lagging))
    evaluated = lagging.evaluate(table, rules)
    rows = lagging.select_rows(evaluated, **filters(table))
    lagging_n = evaluated.filter(pl.col("lagging")).height
    st.caption(tr("finder.count", lagging=lagging_n, total=evaluated.height, shown=rows.height))
    if rows.is_empty():
        st.info(tr("finder.none"))
        return
    problems = [components.why(r, tr, now, tz) for r in rows.iter_rows(named=True)]
    shown = finder_view.display_table(rows, rules, tr, problems)
    link = tr("finder.col.link")
    st.dataframe(finder_view.screen_table(shown, tr), hide_index=True, key="finder.table",
                 column_config={
                     link: st.column_config.LinkColumn(link, display_text=tr("finder.col.open"))})
    name = tr("finder.file", date=fmt.local(now, tz).strftime("%Y-%m-%d"))
    csv_col, xlsx_col, _ = st.columns([1, 1, 3])
    csv_col.download_button(tr("finder.export"), finder_view.csv_bytes(shown, tr),
                            file_name=name, mime="text/csv", on_click="ignore")
    xlsx_col.download_button(tr("common.export_xlsx"), finder_view.xlsx_bytes(shown, tr),
                             file_name=name.removesuffix(".csv") + ".xlsx", mime=xlsx.MIME,
                             on_click="ignore")


page()
