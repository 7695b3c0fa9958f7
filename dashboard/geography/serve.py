"""The HTTP route that hands the built outlines to browsers: one immutable URL per build.

`dashboard/server.py` adds `routes()` to its `st.App`. The URL carries the file's digest
(`url`), so a browser keeps the file for a year (`Cache-Control: immutable`) and plotly.js
keeps it for the page's life (it caches fetched GeoJSON per URL): a wall's refresh sends
only the figure, never the outlines. Public, like Streamlit's own static files: the
outlines say nothing about the deployment.
"""

from __future__ import annotations

import functools
import gzip

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from dashboard.geography import raw, version

PREFIX = "_ioc/geo/provinces-"
CACHE = "public, max-age=31536000, immutable"
MEDIA = "application/geo+json"


def path(base_url_path: str = "") -> str:
    """The outlines' URL path under Streamlit's `server.baseUrlPath`, e.g.
    `/_ioc/geo/provinces-0123456789ab.geojson`."""
    base = base_url_path.strip("/")
    tail = f"{PREFIX}{version()}.geojson"
    return f"/{base}/{tail}" if base else f"/{tail}"


@functools.cache
def _gzipped() -> bytes:
    return gzip.compress(raw(), compresslevel=9, mtime=0)


async def endpoint(request: Request) -> Response:
    """GET: the outlines, gzip-encoded when the browser accepts it."""
    headers = {"Cache-Control": CACHE, "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(_gzipped(), media_type=MEDIA, headers=headers)
    return Response(raw(), media_type=MEDIA, headers=headers)


def routes(base_url_path: str = "") -> list[Route]:
    return [Route(path(base_url_path), endpoint, methods=["GET"])]
