"""What `ioc dashboard` serves: the Streamlit app (dashboard/app.py), the sign-in cookie's
route (dashboard/session/cookie.py) and the map outlines' route (dashboard/geography/serve.py),
as one `st.App` run by `streamlit run` under uvicorn.

Streamlit's own routes (the websocket, health, static files, st.login's) are unchanged;
one extra route sets and clears the HttpOnly session cookie, another serves the
province outlines once per browser (an immutable, content-addressed URL). Running
`streamlit run dashboard/app.py` directly still works, without those routes: local
sign-ins then last only as long as the browser tab's Streamlit session, and maps draw
their centres without the province outlines.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit import config

from dashboard.geography import serve as geography
from dashboard.session import cookie as session_cookie

APP = Path(__file__).resolve().parent / "app.py"
BASE = config.get_option("server.baseUrlPath") or ""
app = st.App(APP, routes=session_cookie.routes(BASE) + geography.routes(BASE))
