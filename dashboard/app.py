"""The dashboard's entry point (`streamlit run dashboard/app.py`): page setup, sign-in, pages.

Thin on purpose: `dashboard.session.signin.gate` decides who is looking (or draws the
sign-in screen and stops); the navigation then holds only the pages that
principal may open (`auth.pages_for`). Each page under `app_pages/` loads its
own data, within the principal's scope, and runs on its own too.
"""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

import pandas  # noqa: F401  (imported once up front: concurrent first imports from sessions race)
import streamlit as st

from config import logs
from dashboard import i18n
from dashboard.loaders import common as data
from dashboard.session import auth, signin
from dashboard.widgets import components, freshness_banner

PAGES = Path(__file__).resolve().parent / "app_pages"
URL_PATHS = {"wall": None, "commune": "commune", "finder": "finder", "alerts": "alerts",
             "kpi": "kpi", "briefing": "briefing", "audit": "audit"}

st.set_page_config(page_title="IOC · PVHCC", layout="wide",
                   initial_sidebar_state="collapsed")
cfg = data.settings()
if logs.LOGGING_FLAG in sys.argv and not logs.configured():  # under `ioc dashboard`, not AppTest
    logs.configure(cfg.logging)
# A wall display (?kiosk=…) gets no sidebar, menu or control at all.
bare = components.KIOSK_KEY in st.query_params
tr = i18n.text(components.current_language(cfg.dashboard.language) if bare
               else components.render_language_switch(cfg.dashboard.language))
who = signin.gate(cfg, tr)
signin.render_account(cfg, who, tr)
freshness_banner.render(cfg, tr)  # the data's age; loud when stale or unreachable
pages = {name: st.Page(PAGES / f"{name}.py", title=tr(f"nav.{name}"), default=name == "wall",
                      url_path=URL_PATHS[name])
         for name in auth.pages_for(who)}
# A path naming no page this person may open (a stale link, a renamed page, a page of
# another role) gets a page of its own saying so in the page's language, instead of
# Streamlit's English "Page not found" dialog.
asked = urlsplit(st.context.url or "").path.rstrip("/").rsplit("/", 1)[-1]
base = str(st.get_option("server.baseUrlPath") or "").strip("/").rsplit("/", 1)[-1]
if asked and asked != base and asked not in {URL_PATHS[n] for n in pages}:
    pages["not_found"] = st.Page(partial(components.render_not_found, tr, asked, pages["wall"]),
                                 title=tr("common.not_found.title"), url_path=asked,
                                 visibility="hidden")
page = st.navigation(list(pages.values()), position="hidden" if who.kiosk else "top")
if (destination := signin.pop_destination()) is not None:  # signed in: go where the link led
    path, query = destination
    target = next((pages[n] for n, p in URL_PATHS.items() if p and p == path and n in pages),
                  None)
    if target is not None and target is not page:
        st.switch_page(target, query_params=query)
    st.query_params.update(query)
page.run()
