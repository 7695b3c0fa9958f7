"""HTTP for the collectors: the one module that imports `requests`.

`make_session()` builds a Session for polling thousands of hosts: pooled
keep-alive connections per host kept cycle after cycle, no environment lookups
(proxies, netrc) and a lean adapter. `session_for()` sizes each host's pool for the URLs a
worker polls: where many centres share one host (a fleet served from one host:port, paths per
centre), up to `concurrency` polls hit it at once, and a pool smaller than that closes the
connections it cannot keep (urllib3 "pool is full"), and the next polls of that host open new
ones.

`fetch()` makes one GET and returns a `Fetched` value: the status and body, or the failure
reason; it never raises for network errors.

Every exchange ends by its deadline (connect + read timeout after it starts, or sooner when
the caller says so): the per-operation socket timeouts bound each wait for data, and a
`Reaper` (collectors/polling/deadline.py) shuts the socket down when the whole exchange — connect,
headers, body — runs past the deadline, so a centre trickling its answer byte by byte is a
`timeout` ("answer too slow") at its deadline, never a poll that holds its worker.

Where the CPU of a plain `session.get()` goes, and what is cut here (docs/collectors.md):
- proxy and netrc lookups from the environment on every request → `trust_env = False`;
- `Session.request`: merging settings, hooks, cookies, preparing the URL and
  headers again → each URL is prepared once and sent straight to the adapter;
- the adapter's per-request proxy selection and URL re-parsing → the pool and
  the request path are looked up once per host and URL;
- `build_response`: copying headers, guessing the encoding, reading cookies
  (which a centre has no business setting) → a bare Response;
- headers no centre needs (Accept, Connection, Accept-Encoding: gzip) → only
  User-Agent and Accept-Encoding: identity are sent.
"""

from __future__ import annotations

import errno
import http.client
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import ReadTimeoutError as Urllib3ReadTimeout

from collectors.polling.deadline import Reaper, Watch
from collectors.probes.outcome import Fetched
from metrics.results import TOO_SLOW, Reason

USER_AGENT = "ioc-pvhcc-collector/0.1"
CHUNK = 65_536
DETAIL_CHARS = 160


class _Exchange(threading.local):
    """The exchange the current thread is making: its reaper, deadline and watch."""

    reaper: Reaper | None = None
    deadline: float = 0.0
    watch: Watch | None = None


_current = _Exchange()


def _watch_response(conn: HTTPConnection) -> None:
    """Put the connection's socket under the current exchange's deadline before the
    headers are read (a keep-alive connection is watched again for each exchange)."""
    ex = _current
    if ex.reaper is not None and conn.sock is not None and ex.watch is None:
        ex.watch = ex.reaper.watch(conn.sock, ex.deadline)


class DeadlineHTTPConnection(HTTPConnection):
    """urllib3's connection, its answer read under the exchange's deadline."""

    def getresponse(self):
        _watch_response(self)
        return super().getresponse()


class DeadlineHTTPSConnection(HTTPSConnection):
    """urllib3's TLS connection, its answer read under the exchange's deadline."""

    def getresponse(self):
        _watch_response(self)
        return super().getresponse()


def origin(url: str) -> str:
    """`scheme://host[:port]` of an absolute URL: the key of its connection pool."""
    return url[: url.find("/", url.find("//") + 2)] if url.count("/") > 2 else url


class LeanAdapter(HTTPAdapter):
    """An HTTPAdapter that caches per-host pools and request paths and builds bare Responses.

    Only for direct connections (no proxies): the collector's sessions never
    use one. The pools are urllib3's own; only the lookups are cached.
    """

    def __init__(self, hosts: int, per_host: int = 2, sizes: Mapping[str, int] | None = None):
        # pool_connections: how many host pools urllib3 keeps before evicting (and closing)
        # one; it must cover every host the session polls or keep-alive is lost each cycle.
        super().__init__(pool_connections=hosts, pool_maxsize=per_host, max_retries=0)
        self.sizes = dict(sizes or {})  # origin → connections kept, where not `per_host`
        self._pools: dict[str, HTTPConnectionPool] = {}
        self._paths: dict[str, str] = {}
        self._prepared: dict[str, requests.PreparedRequest] = {}
        self.reaper = Reaper()

    def prepared(self, url: str) -> requests.PreparedRequest:
        """The GET for `url`, prepared once and reused (urllib3 does not modify it)."""
        prep = self._prepared.get(url)
        if prep is None:
            prep = requests.Request("GET", url).prepare()
            prep.headers = CaseInsensitiveDict(
                {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
            )
            self._prepared[url] = prep
        return prep

    def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):
        key = origin(request.url)
        pool = self._pools.get(key)
        if pool is None or pool.pool is None:  # new host, or a pool urllib3 closed
            size = self.sizes.get(key)
            if size is None:
                pool = super().get_connection_with_tls_context(request, verify, None, cert)
            else:  # requests' documented way to change a pool's key attributes
                params, kwargs = self.build_connection_pool_key_attributes(request, verify, cert)
                pool = self.poolmanager.connection_from_host(
                    **params, pool_kwargs={**kwargs, "maxsize": size})
            # ConnectionCls is the pool's documented hook for the connection class it makes.
            pool.ConnectionCls = (DeadlineHTTPSConnection if key.startswith("https:")
                                  else DeadlineHTTPConnection)
            self._pools[key] = pool
        return pool

    def request_url(self, request, proxies):
        path = self._paths.get(request.url)
        if path is None:
            path = self._paths[request.url] = request.path_url
        return path

    def build_response(self, req, resp):
        response = requests.Response()
        response.status_code = resp.status
        response.headers = resp.headers  # urllib3's HTTPHeaderDict is case-insensitive
        response.raw = resp
        response.reason = resp.reason
        response.url = req.url
        response.request = req
        response.connection = self
        return response


def make_session(
    hosts: int = 1024, per_host: int = 2, sizes: Mapping[str, int] | None = None
) -> requests.Session:
    """A Session for polling `hosts` distinct hosts, keeping `per_host` connections to each
    (`sizes`: origin → connections kept, for hosts that need more)."""
    session = requests.Session()
    session.trust_env = False  # no proxy or netrc lookups on the hot path
    adapter = LeanAdapter(max(hosts, 10), per_host, sizes)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def session_for(urls: Iterable[str], concurrency: int, per_host: int = 2) -> requests.Session:
    """A Session for polling `urls` from `concurrency` threads: each host keeps as many
    connections as polls may hit it at once (its URLs, at most `concurrency`), so
    keep-alive connections are reused even when every centre is on one host."""
    hosts = Counter(origin(u) for u in urls)
    sizes = {h: min(n, concurrency) for h, n in hosts.items() if n > per_host}
    return make_session(len(hosts) + 16, per_host, sizes)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything it wraps (requests → urllib3 → socket errors)."""
    seen: set[int] = set()
    todo = [exc]
    while todo and len(seen) < 20:
        e = todo.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        todo += [
            x
            for x in (e.__cause__, e.__context__, getattr(e, "reason", None), *e.args)
            if isinstance(x, BaseException)
        ]


def classify(exc: BaseException) -> tuple[Reason, str]:
    """The reason and a short detail for a failed exchange."""
    causes = list(_causes(exc))
    for e in causes:
        if isinstance(e, ConnectionRefusedError):
            return Reason.REFUSED, "connection refused"
    for e in causes:
        if isinstance(e, ConnectionResetError | BrokenPipeError):  # RemoteDisconnected too
            return Reason.REFUSED, "connection reset"
        if isinstance(e, OSError) and e.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
            return Reason.REFUSED, "host unreachable"
        if isinstance(e, socket.gaierror):
            return Reason.REFUSED, "host name not resolved"
    for e in causes:
        if isinstance(e, requests.exceptions.ConnectTimeout):
            return Reason.TIMEOUT, "connect timeout"
        if isinstance(e, TimeoutError | requests.exceptions.Timeout | Urllib3ReadTimeout):
            return Reason.TIMEOUT, "read timeout"
    for e in causes:
        if isinstance(e, http.client.IncompleteRead):
            return Reason.REFUSED, "connection closed mid-body"
        if isinstance(e, http.client.HTTPException):
            return Reason.BAD_PAYLOAD, f"not an HTTP answer: {type(e).__name__}"
    return Reason.REFUSED, f"{type(exc).__name__}: {str(exc)[:DETAIL_CHARS]}"


def _read(raw, limit: int, deadline: float) -> bytes | None:
    """Up to `limit` + 1 bytes of the body; None when the deadline passed first."""
    parts: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = raw.read(min(CHUNK, limit + 1 - size), decode_content=True)
        if time.monotonic() >= deadline:
            return None
        if not chunk:
            break
        parts.append(chunk)
        size += len(chunk)
        if raw.length_remaining == 0:  # the announced length is in: no read to see EOF
            break
    return parts[0] if len(parts) == 1 else b"".join(parts)


def fetch(
    session: requests.Session,
    url: str,
    *,
    connect_timeout: float,
    read_timeout: float,
    max_body_bytes: int,
    deadline: float | None = None,
) -> Fetched:
    """GET `url`: a 2xx answer's body, or the failure (timeout, refused, http_status,
    too_large, bad_payload for a broken HTTP answer). Never raises for network errors.

    `connect_timeout` bounds the connection, `read_timeout` each wait for data, and
    the whole exchange — connect, headers, body, however slowly it trickles — ends by
    `deadline` (time.monotonic(); default: their sum from now): past it the answer is a
    `timeout` with the detail "answer too slow". Bodies are read at most
    `max_body_bytes` far; a larger one is dropped unread.
    """
    adapter = session.get_adapter(url)
    lean = adapter if isinstance(adapter, LeanAdapter) else None
    prep = (lean.prepared(url) if lean is not None
            else session.prepare_request(requests.Request("GET", url)))
    started = time.monotonic()
    end = started + connect_timeout + read_timeout if deadline is None else deadline
    left = max(end - started, 0.001)
    ex = _current
    ex.reaper, ex.deadline, ex.watch = (lean.reaper if lean is not None else None), end, None
    resp = None
    fired = False
    try:
        try:
            resp = adapter.send(prep, stream=True,
                                timeout=(min(connect_timeout, left), min(read_timeout, left)))
            raw = resp.raw
            length = raw.headers.get("Content-Length", "")
            if length.isdigit() and int(length) > max_body_bytes:
                raw.close()  # drop the connection rather than read what we will not keep
                return Fetched(
                    time.monotonic() - started,
                    resp.status_code,
                    reason=Reason.TOO_LARGE,
                    detail=f"{int(length)} bytes announced",
                )
            body = _read(raw, max_body_bytes, end)
        finally:
            if ex.watch is not None:
                fired = ex.reaper.release(ex.watch)
            ex.reaper, ex.watch = None, None
    except (requests.RequestException, Urllib3Error, OSError, http.client.HTTPException) as exc:
        if resp is not None:
            resp.raw.close()
        reason, detail = (Reason.TIMEOUT, TOO_SLOW) if fired else classify(exc)
        return Fetched(
            time.monotonic() - started,
            resp.status_code if resp else None,
            reason=reason,
            detail=detail,
        )
    elapsed = time.monotonic() - started
    status = resp.status_code
    if body is None:
        raw.close()
        return Fetched(elapsed, status, reason=Reason.TIMEOUT, detail=TOO_SLOW)
    if len(body) > max_body_bytes:
        raw.close()
        return Fetched(
            elapsed, status, reason=Reason.TOO_LARGE, detail=f"more than {max_body_bytes} bytes"
        )
    if not 200 <= status < 300:
        return Fetched(elapsed, status, reason=Reason.HTTP_STATUS, detail=f"HTTP {status}")
    return Fetched(elapsed, status, body)
