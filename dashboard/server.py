"""What `ioc dashboard` serves: the Streamlit app (dashboard/app.py), the sign-in cookie's
route (dashboard/session/cookie.py) and the map outlines' route (dashboard/geography/serve.py),
as one `st.App` run by `streamlit run` under uvicorn.

Streamlit's own routes (the websocket, health, static files, st.login's) are unchanged;
one extra route sets and clears the HttpOnly session cookie, another serves the
province outlines once per browser (an immutable, content-addressed URL). Running
`streamlit run dashboard/app.py` directly still works, without those routes: local
sign-ins then last only as long as the browser tab's Streamlit session, maps draw
their centres without the province outlines, and the deployment's wall starts computing
ahead only once a wall is first shown.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import streamlit as st
from streamlit import config

from dashboard.geography import serve as geography
from dashboard.session import cookie as session_cookie

APP = Path(__file__).resolve().parent / "app.py"
BASE = config.get_option("server.baseUrlPath") or ""
LOG = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(_app: Any) -> AsyncIterator[None]:
    """At the server's start, the deployment's own wall starts computing ahead
    (`dashboard.loaders.ahead`), so the first walls find it ready or in flight. Settings
    that do not load leave it to the pages, which say why."""
    # Imported here, once Streamlit's runtime runs: its caches are made for it.
    from dashboard.loaders import ahead
    from dashboard.loaders import common as data

    try:
        ahead.start(data.settings())
    except Exception as exc:
        LOG.warning("dashboard.server: the wall is not computed ahead: %s: %s",
                    type(exc).__name__, exc)
    yield


app = st.App(APP, routes=session_cookie.routes(BASE) + geography.routes(BASE),
             lifespan=lifespan)
