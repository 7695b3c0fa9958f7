"""The dashboard's entry point (`streamlit run dashboard/app.py`): page setup, sidebar, pages.

Thin on purpose: each page under `app_pages/` loads its own data through
`dashboard.data` and runs on its own too.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard import components, data, i18n

PAGES = Path(__file__).resolve().parent / "app_pages"

st.set_page_config(page_title="IOC · PVHCC", layout="wide",
                   initial_sidebar_state="collapsed")
cfg = data.settings()
tr = i18n.text(components.render_language_switch(cfg.dashboard.language))
page = st.navigation([
    st.Page(PAGES / "wall.py", title=tr("nav.wall"), default=True),
])
page.run()
