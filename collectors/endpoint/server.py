"""The collector's HTTP endpoint: `/metrics` (Prometheus), `/healthz` and `/readyz` (JSON).

One small threaded WSGI server (the stdlib's, as prometheus_client's own
`start_http_server` uses) in a daemon thread. Every other path serves the metrics, as
prometheus_client's own app does (GET on any path, OPTIONS, 405 for other methods, an
empty /favicon.ico, the `name[]` filter), from bytes the exposition rendered ahead
(collectors/endpoint/exposition.py `Exposition.respond`). It binds where it is told —
`collector.metrics_host`, 127.0.0.1 unless the settings say otherwise.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterable, Sequence
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

Check = Callable[[], tuple[int, dict[str, Any]]]
# (Accept, Accept-Encoding, the name[] filter or None) → (headers, body)
Respond = Callable[[str | None, str | None, Sequence[str] | None],
                   tuple[list[tuple[str, str]], list[bytes]]]
ALLOW = [("Allow", "OPTIONS,GET")]
REASONS = {200: "200 OK", 503: "503 Service Unavailable"}


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """No access log: a scraper every 15 s would fill the journal."""


def metrics_app(respond: Respond) -> Callable[..., Iterable[bytes]]:
    """The metrics as a WSGI app, answering as prometheus_client's `make_wsgi_app` does."""

    def metrics(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        if method == "OPTIONS":
            start_response("200 OK", ALLOW)
            return [b""]
        if method != "GET":
            start_response("405 Method Not Allowed", ALLOW)
            return [f"# HTTP 405 Method Not Allowed: {method}; use OPTIONS or GET\n".encode()]
        if environ.get("PATH_INFO") == "/favicon.ico":
            start_response("200 OK", [])
            return [b""]
        names = parse_qs(environ.get("QUERY_STRING", "")).get("name[]")
        headers, body = respond(environ.get("HTTP_ACCEPT"), environ.get("HTTP_ACCEPT_ENCODING"),
                                names)
        start_response("200 OK", headers)
        return body

    return metrics


def app(respond: Respond, checks: dict[str, Check]) -> Callable[..., Iterable[bytes]]:
    """A WSGI app: each path in `checks` answers its JSON; anything else, the metrics."""
    metrics = metrics_app(respond)

    def route(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        check = checks.get(environ.get("PATH_INFO", ""))
        if check is None:
            return metrics(environ, start_response)
        status, body = check()
        data = json.dumps(body, ensure_ascii=False).encode() + b"\n"
        start_response(REASONS.get(status, f"{status} Status"), [
            ("Content-Type", "application/json; charset=utf-8"),
            ("Content-Length", str(len(data))), ("Cache-Control", "no-store")])
        return [data]

    return route


def start(wsgi_app: Callable[..., Iterable[bytes]], host: str,
          port: int) -> tuple[WSGIServer, threading.Thread]:
    """Serve `wsgi_app` on host:port from a daemon thread (OSError if it cannot bind)."""
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                flags=socket.AI_PASSIVE)[0][0]
    server_class = type("Server", (_Server,), {"address_family": family})
    server: WSGIServer = make_server(host, port, wsgi_app, server_class, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, name="metrics-http", daemon=True)
    thread.start()
    return server, thread
