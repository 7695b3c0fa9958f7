"""A minimal client of Streamlit's browser protocol, for load tests (`ioc bench load`).

It speaks what the browser speaks on `/_stcore/stream`: binary protobufs,
`BackMsg` up (a `rerun_script` carrying a `ClientState`: page, query string,
widget states, fragment) and `ForwardMsg` down (`new_session`, deltas,
`auto_rerun`, `script_finished`, …). The Sec-WebSocket-Protocol header carries
"streamlit", then the XSRF token and a session id to resume (both empty here).

One `Session` is one browser tab: `run()` sends a rerun and waits for its
`script_finished`, timing the page update; widgets seen in the deltas can be
set by their user key (`set_widget`); fragments that ask to rerun on a timer
(`st.fragment(run_every=…)`, announced by `auto_rerun`) are listed in
`auto_reruns` so the caller can rerun them as the browser would.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import ClientConnection, connect

FINISHED = ForwardMsg.ScriptFinishedStatus
OK_STATUSES = {FINISHED.FINISHED_SUCCESSFULLY, FINISHED.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}
MAX_MESSAGE = 256 * 1024 * 1024  # the server's own default limit (server.maxMessageSize)
HASHES_KEPT = 2000  # at most this many cached message hashes reported back
MAX_MESSAGE_AGE = 2  # Streamlit's global.maxCachedMessageAge, until new_session says otherwise


class ProtocolError(Exception):
    """The server broke the protocol, closed the stream, or a run did not finish in time."""


@dataclass
class RunResult:
    """One page update: what was asked, how long it took, what came back."""

    kind: str
    seconds: float
    status: str  # a ScriptFinishedStatus name, or "timeout"
    deltas: int
    exceptions: list[str] = field(default_factory=list)
    error_alerts: int = 0

    @property
    def ok(self) -> bool:
        return self.status in ("FINISHED_SUCCESSFULLY", "FINISHED_FRAGMENT_RUN_SUCCESSFULLY") \
            and not self.exceptions


def stream_url(base_url: str) -> str:
    """ws(s)://host:port/<base>/_stcore/stream for an http(s) dashboard URL."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"dashboard URL must be http(s)://host:port, not {base_url!r}")
    scheme = "wss" if parts.scheme == "https" else "ws"
    return f"{scheme}://{parts.netloc}{parts.path.rstrip('/')}/_stcore/stream"


def widget_id_key(widget_id: str) -> str | None:
    """The user key at the end of a generated widget id ("$$ID-<hash>-<key>"), if any."""
    if not widget_id.startswith("$$ID-"):
        return None
    _, _, rest = widget_id.partition("-")
    _, sep, key = rest.partition("-")
    return key if sep and key not in ("", "None") else None


class MessageCache:
    """The browser's cache of big messages, as Streamlit's frontend keeps it: a message's
    hash is reported back with every rerun (so the server sends a reference, not the
    message) until `max_age` successful script runs have finished since the message was
    last received or referred to. Keeping every hash instead would make the server hold an
    ever longer list for each session, which no browser sends."""

    def __init__(self, max_age: int = MAX_MESSAGE_AGE, most: int = HASHES_KEPT):
        self.max_age = max_age
        self.most = most
        self.runs = 0  # successful script runs finished so far
        self._last_used: dict[str, int] = {}  # hash -> run count at last use (oldest first)

    def use(self, message_hash: str) -> None:
        """A cacheable message, or a reference to one, arrived."""
        self._last_used.pop(message_hash, None)
        self._last_used[message_hash] = self.runs
        if len(self._last_used) > self.most:
            self._last_used.pop(next(iter(self._last_used)))

    def run_finished(self) -> None:
        """A script run finished successfully: messages unused for too long are dropped."""
        self.runs += 1
        while self._last_used:
            oldest, used = next(iter(self._last_used.items()))
            if self.runs - used <= self.max_age:
                break
            del self._last_used[oldest]

    def hashes(self) -> list[str]:
        return list(self._last_used)


class Session:
    """One browser tab on the dashboard: a websocket and the state the frontend keeps."""

    def __init__(self, base_url: str, *, timeout_s: float = 60.0, url_for_context: str = ""):
        self.url = stream_url(base_url)
        self.base_url = base_url
        self.timeout_s = timeout_s
        self.ws: ClientConnection | None = None
        self.reader: asyncio.Task | None = None
        self.session_id = ""
        self.page_script_hash = ""
        self.pages: dict[str, str] = {}  # url_pathname -> page_script_hash
        self.auto_reruns: dict[str, float] = {}  # fragment id -> interval (s)
        self.widgets: dict[str, tuple[str, object]] = {}  # user key -> (widget id, proto)
        self.elements: dict[str, tuple[str, object]] = {}  # widget id -> (kind, proto)
        self.query = ""  # the page's query string, sent with every rerun as the browser does
        self.widget_values: dict[str, WidgetState] = {}  # widget id -> value we set
        self.cache = MessageCache()
        self.bytes_in = 0
        self.closed_reason: str | None = None
        self._finished: asyncio.Future | None = None
        self._run: RunResult | None = None
        self._fragment_run = False
        self._lock = asyncio.Lock()

    async def open(self) -> None:
        self.ws = await connect(self.url, subprotocols=["streamlit"], max_size=MAX_MESSAGE,
                                open_timeout=self.timeout_s, compression=None)
        self.reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()
            try:
                await self.reader
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise  # the caller itself is being cancelled (Ctrl-C): do not swallow it
            except Exception:  # the reader's own failure was recorded by _close
                pass

    def set_widget(self, key: str, **value: object) -> bool:
        """Give the widget with user `key` a value (e.g. string_value="…") for the next runs."""
        found = self.widgets.get(key)
        if found is None:
            return False
        state = WidgetState(id=found[0], **value)  # type: ignore[arg-type]
        self.widget_values[found[0]] = state
        return True

    def widget(self, key: str) -> object | None:
        """The last proto seen for the widget with user `key` (e.g. a Radio with .options)."""
        found = self.widgets.get(key)
        return found[1] if found else None

    async def run(self, kind: str, *, page: str | None = None, query: str | None = None,
                  fragment_id: str = "", auto: bool = False) -> RunResult:
        """Ask for a rerun (a page, or one fragment) and wait for it to finish; timed."""
        async with self._lock:
            if self.closed_reason:
                raise ProtocolError(f"stream closed: {self.closed_reason}")
            if query is not None:
                self.query = query
            state = ClientState(query_string=self.query, fragment_id=fragment_id,
                                is_auto_rerun=auto)
            if page is not None:  # a navigation: the page's url path, resolved by the server
                state.page_name = page
                state.page_script_hash = self.pages.get(page, "")
                self.widget_values.clear()
            else:
                state.page_script_hash = self.page_script_hash
            state.widget_states.widgets.extend(self.widget_values.values())
            state.cached_message_hashes.extend(self.cache.hashes())
            state.context_info.timezone = "Asia/Ho_Chi_Minh"
            state.context_info.timezone_offset = -420
            state.context_info.locale = "vi-VN"
            state.context_info.url = self.base_url
            msg = BackMsg()
            msg.rerun_script.CopyFrom(state)
            loop = asyncio.get_running_loop()
            self._finished = loop.create_future()
            self._run = RunResult(kind, 0.0, "running", 0)
            self._fragment_run = bool(fragment_id)
            started = time.perf_counter()
            assert self.ws is not None
            await self.ws.send(msg.SerializeToString())
            try:
                status = await asyncio.wait_for(self._finished, self.timeout_s)
            except TimeoutError:
                status = "timeout"
            result = self._run
            result.seconds = time.perf_counter() - started
            result.status = status
            self._finished = self._run = None
            return result

    async def _read(self) -> None:
        assert self.ws is not None
        try:
            async for data in self.ws:
                if isinstance(data, str):
                    raise ProtocolError("text frame on a binary protocol")
                self.bytes_in += len(data)
                msg = ForwardMsg()
                msg.ParseFromString(data)
                self._handle(msg)
            self._close("server closed the stream")
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # anything else ends this tab; the caller sees why
            self._close(f"{type(exc).__name__}: {exc}")

    def _close(self, reason: str) -> None:
        self.closed_reason = self.closed_reason or reason
        if self._finished is not None and not self._finished.done():
            self._finished.set_exception(ProtocolError(f"stream closed: {reason}"))

    def _handle(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        if kind == "ref_hash":
            self.cache.use(msg.ref_hash)
        elif msg.hash and msg.metadata.cacheable:
            self.cache.use(msg.hash)
        run = self._run
        if kind == "new_session":
            ns = msg.new_session
            self.cache.max_age = ns.config.max_cached_message_age or MAX_MESSAGE_AGE
            self.session_id = ns.initialize.session_id or self.session_id
            self.page_script_hash = ns.page_script_hash
            self.pages.update({p.url_pathname: p.page_script_hash for p in ns.app_pages})
            if not self._fragment_run:  # a full run (also one the script asked for with
                self.auto_reruns.clear()  # st.rerun) draws everything afresh
                self.widgets.clear()
                self.elements.clear()
        elif kind == "navigation":
            self.page_script_hash = msg.navigation.page_script_hash or self.page_script_hash
            self.pages.update({p.url_pathname: p.page_script_hash
                               for p in msg.navigation.app_pages})
        elif kind == "delta":
            if run is not None:
                run.deltas += 1
            if msg.delta.WhichOneof("type") == "new_element":
                self._element(msg.delta.new_element, run)
        elif kind == "auto_rerun":
            self.auto_reruns[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval
        elif kind == "stop_auto_rerun":
            self.auto_reruns.clear()
        elif kind == "page_not_found":
            if run is not None:
                run.exceptions.append(f"page not found: {msg.page_not_found.page_name!r}")
        elif kind == "script_finished":
            if msg.script_finished in OK_STATUSES:
                self.cache.run_finished()
            if self._finished is None or self._finished.done():
                return
            status = msg.script_finished
            if status != FINISHED.FINISHED_EARLY_FOR_RERUN:  # the rerun it gave way to follows
                self._finished.set_result(FINISHED.Name(status))

    def _element(self, el: object, run: RunResult | None) -> None:
        which = el.WhichOneof("type")  # type: ignore[attr-defined]
        if which is None:
            return
        body = getattr(el, which)
        if which == "exception" and run is not None:
            run.exceptions.append(f"{body.type}: {body.message}"[:300])
        elif which == "alert" and body.format == body.ERROR and run is not None:
            run.error_alerts += 1
        widget_id = getattr(body, "id", "") if "id" in body.DESCRIPTOR.fields_by_name else ""
        if widget_id:
            self.elements[widget_id] = (which, body)
            key = widget_id_key(widget_id)
            if key:
                self.widgets[key] = (widget_id, body)
