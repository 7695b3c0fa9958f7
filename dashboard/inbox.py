"""The demo's notification inbox: a loopback webhook receiver a person can read.

`ioc demo` points the product's webhook channels at it, so alerts in a demo land
somewhere visible instead of failing for want of a URL. It follows the webhook
contract of metrics/alerts/notifiers/webhook.py (docs/notifications.md): a POST of the
Alertmanager v4 JSON document, answered 2xx; a notice whose `X-Idempotency-Key`
(or `notificationId`) it has already kept is a retry's duplicate and is not kept
again. Each notice is appended to a JSONL file (one JSON object a line:
`received_at`, `key`, `payload`); `GET /` serves them newest first as an HTML page,
Vietnamese first (`?lang=en` for English), every value escaped: alert texts carry
centre data. `ioc demo` runs it as a child process (`main`); the hook is `HOOK_PATH`.
"""

from __future__ import annotations

import argparse
import html
import json
import signal
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from dashboard.i18n import Tr
from dashboard.views import fmt

MAX_BODY = 1_048_576  # a notice larger than this is refused (413)
HOOK_PATH = "/hook"
SHOWN = 200  # the page lists this many newest notices
REFRESH_S = 10


def read_notices(path: Path) -> list[dict[str, Any]]:
    """Every kept notice, oldest first; a line that does not parse is passed over."""
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict) and isinstance(item.get("payload"), dict):
            out.append(item)
    return out


def _parse_time(text: Any) -> datetime | None:
    if not isinstance(text, str) or text.startswith("0001-"):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _alerts(payload: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for a in payload.get("alerts") or []:
        if isinstance(a, dict):
            yield a


def notice_html(item: dict[str, Any], tr: Tr, tz: str) -> str:
    """One notice as an HTML block, every value escaped."""
    e = html.escape
    payload = item["payload"]
    received = _parse_time(item.get("received_at"))
    status = "resolved" if payload.get("status") == "resolved" else "firing"
    rows = []
    for a in _alerts(payload):
        raw_labels, raw_notes = a.get("labels"), a.get("annotations")
        labels = raw_labels if isinstance(raw_labels, dict) else {}
        notes = raw_notes if isinstance(raw_notes, dict) else {}
        severity = str(labels.get("severity", ""))
        sev = tr(f"inbox.severity.{severity}") if severity in ("critical", "warning", "info") \
            else severity
        when = []
        if (start := _parse_time(a.get("startsAt"))) is not None:
            when.append(tr("inbox.since", t=fmt.date_time(start, tz)))
        if (end := _parse_time(a.get("endsAt"))) is not None:
            when.append(tr("inbox.ended", t=fmt.date_time(end, tz)))
        if notes.get("acknowledged_by"):
            when.append(tr("inbox.acked", who=str(notes["acknowledged_by"])))
        rows.append(
            f'<li class="sev-{e(severity)}"><b>{e(sev)}</b> · '
            f'{e(str(labels.get("centre_name") or labels.get("province") or ""))} — '
            f'{e(str(notes.get("summary", "")))}'
            f'<div class="desc">{e(str(notes.get("description", "")))}</div>'
            f'<div class="when">{e(" · ".join(when))}</div></li>')
    # The notifier's own title says firing or resolved; without one, the status says it.
    head = str(payload.get("title") or "") or (
        tr("inbox.firing") if status == "firing" else tr("inbox.resolved"))
    got = tr("inbox.received", t=fmt.local(received, tz).strftime("%H:%M:%S %d/%m/%Y")) \
        if received else ""
    return (f'<section class="{status}"><h2>{e(head)}</h2><p class="got">{e(got)}</p>'
            f'<ul>{"".join(rows)}</ul></section>')


def page_html(notices: list[dict[str, Any]], lang: str, tz: str) -> str:
    """The inbox page: the newest `SHOWN` notices, newest first."""
    tr = Tr(lang)
    other = "en" if lang == "vi" else "vi"
    shown = notices[::-1][:SHOWN]
    body = "".join(notice_html(n, tr, tz) for n in shown) or f"<p>{tr('inbox.none')}</p>"
    count = tr("inbox.count", n=fmt.number(len(notices), lang)) if notices else ""
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="{REFRESH_S}">
<title>{html.escape(tr("inbox.title"))}</title>
<style>
body {{ font-family: "DejaVu Sans", sans-serif; margin: 2rem; background: #0e1117;
  color: #e6edf3; }}
a {{ color: #79c0ff; }} section {{ border-left: 6px solid #f85149; padding: .3rem 1rem;
  margin: 1rem 0; background: #161b22; }}
section.resolved {{ border-color: #3fb950; }} h2 {{ font-size: 1.2rem; margin: .3rem 0; }}
.got, .when {{ color: #8b949e; font-size: .9rem; }} .desc {{ white-space: pre-line; }}
li {{ margin: .4rem 0; }}
</style></head><body>
<p style="text-align:right"><a href="?lang={other}">{html.escape(tr("inbox.switch"))}</a></p>
<h1>{html.escape(tr("inbox.title"))}</h1>
<p>{html.escape(tr("inbox.intro", refresh=REFRESH_S))}</p>
<p>{html.escape(count)}</p>
{body}
</body></html>"""


class Inbox:
    """The receiver on `host:port`, keeping notices in `path`; `start()` serves it from a
    daemon thread, `close()` stops it."""

    def __init__(self, host: str, port: int, path: Path, tz: str = fmt.LOCAL_TZ):
        self.path = path
        self.tz = tz
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._keys = {n.get("key") for n in read_notices(path) if n.get("key")}
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:  # the demo's console stays quiet
                pass

            def _send(self, status: int, body: bytes, ctype: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                if urlsplit(self.path).path != HOOK_PATH:
                    return self._send(404, b"not found\n", "text/plain")
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    return self._send(413, b"too large\n", "text/plain")
                try:
                    payload = json.loads(self.rfile.read(length))
                except ValueError:
                    return self._send(400, b"not JSON\n", "text/plain")
                if not isinstance(payload, dict) or not isinstance(payload.get("alerts"), list):
                    return self._send(400, b"not an alert notice\n", "text/plain")
                key = self.headers.get("X-Idempotency-Key") or payload.get("notificationId")
                inbox.keep(payload, str(key) if key else None)
                return self._send(200, b'{"ok": true}\n', "application/json")

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                if url.path == "/healthz":
                    return self._send(200, b"ok\n", "text/plain")
                if url.path != "/":
                    return self._send(404, b"not found\n", "text/plain")
                lang = parse_qs(url.query).get("lang", ["vi"])[0]
                lang = lang if lang in ("vi", "en") else "vi"
                page = page_html(read_notices(inbox.path), lang, inbox.tz)
                return self._send(200, page.encode("utf-8"), "text/html; charset=utf-8")

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, name="inbox",
                                        daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/"

    @property
    def hook_url(self) -> str:
        return self.url.rstrip("/") + HOOK_PATH

    def keep(self, payload: dict[str, Any], key: str | None) -> bool:
        """Append the notice; False (nothing kept) for a key already kept."""
        with self._lock:
            if key is not None and key in self._keys:
                return False
            line = json.dumps({"received_at": datetime.now(UTC).isoformat(), "key": key,
                               "payload": payload}, ensure_ascii=False)
            with self.path.open("a", encoding="utf-8") as f:
                f.write(line + "\n")
            if key is not None:
                self._keys.add(key)
            return True

    def start(self) -> Inbox:
        self._thread.start()
        return self

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def main(argv: list[str] | None = None) -> int:
    """`python -m dashboard.inbox --port 8710 --file data/demo-inbox.jsonl`: serve until
    stopped (SIGTERM or Ctrl-C); `ioc demo` starts it as one of its children."""
    parser = argparse.ArgumentParser(prog="python -m dashboard.inbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--file", type=Path, required=True, help="JSONL file of the notices")
    parser.add_argument("--tz", default=fmt.LOCAL_TZ, help="time zone of the page")
    args = parser.parse_args(argv)
    inbox = Inbox(args.host, args.port, args.file, args.tz)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        inbox.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        inbox.server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
