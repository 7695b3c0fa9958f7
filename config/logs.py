"""The one logging set-up every `ioc` process uses: text or JSON lines on stderr.

`configure(settings.logging)` installs one handler on the root logger (replacing the one
it installed before, leaving others alone) with the format from the settings, and sets the
level of the product's loggers (`ioc.*`); libraries keep logging from WARNING up:

- `text`: an INFO line is its message alone (the collector's cycle line stays a JSON
  object, as before); WARNING and above read `LEVEL logger: message`.
- `json`: one object per line: `ts` (ISO 8601 with the Asia/Ho_Chi_Minh offset), `level`,
  `logger`, then `event` and its fields for an event (see `event()`), or `message`, plus
  `exc` with the traceback when there is one.

`event(logger, name, **fields)` logs a structured event: the text line is
`{"event": name, **fields}` and the JSON line carries the same fields at top level
(e.g. `centre`, `cycle`, `duration_ms`). Under journald (`StandardError=journal`) the
lines land in the journal as they are; `journalctl -o cat` shows them unchanged.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PRODUCT_LOGGER = "ioc"  # every module logs under ioc.<part>
RESERVED = ("ts", "level", "logger", "event", "message", "exc")
LOGGING_FLAG = "--ioc-logging"  # a script argument of the dashboard: set up this logging there


class TextFormatter(logging.Formatter):
    """INFO: the message; other levels: `LEVEL logger: message` (and the traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        text = record.getMessage()
        if record.levelno != logging.INFO:
            text = f"{record.levelname} {record.name}: {text}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


class JsonFormatter(logging.Formatter):
    """One JSON object per record, with a local (Asia/Ho_Chi_Minh) ISO timestamp."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, TZ).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
        }
        name = getattr(record, "ioc_event", None)
        if name:
            line["event"] = name
            fields = getattr(record, "ioc_fields", {})
            line.update({k: v for k, v in fields.items() if k not in RESERVED})
        else:
            line["message"] = record.getMessage()
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class _IocHandler(logging.StreamHandler):
    """The handler `configure` owns (so a second call replaces it, not doubles it). Without
    a stream of its own it writes to whatever `sys.stderr` is at the time, as the stdlib's
    last-resort handler does (a test's captured stderr may have been swapped since)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._own: TextIO | None = stream
        super().__init__(stream)

    @property
    def stream(self) -> TextIO:
        return self._own if self._own is not None else sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        self._own = value if value is not sys.stderr else self._own


def formatter(fmt: str) -> logging.Formatter:
    if fmt not in ("text", "json"):
        raise ValueError(f"logging.format must be text or json, not {fmt!r}")
    return JsonFormatter() if fmt == "json" else TextFormatter()


def configure(settings: Any = None, stream: TextIO | None = None) -> logging.Handler:
    """Send log records to `stream` (stderr) in `settings.format`: the product's own
    (`ioc.*`) from `settings.level` up, libraries' from WARNING up (the root's default).
    `settings` is a config.settings.LoggingSettings; None means text, INFO."""
    fmt = getattr(settings, "format", "text")
    level = getattr(settings, "level", "INFO")
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _IocHandler)]:
        root.removeHandler(old)
    handler = _IocHandler(stream)
    handler.setFormatter(formatter(fmt))
    root.addHandler(handler)
    logging.getLogger(PRODUCT_LOGGER).setLevel(level)
    return handler


def configured() -> bool:
    """True once `configure` installed its handler in this process."""
    return any(isinstance(h, _IocHandler) for h in logging.getLogger().handlers)


def event(logger: logging.Logger, name: str, level: int = logging.INFO,
          **fields: Any) -> None:
    """Log event `name` with `fields`: a JSON object in both formats (see the module doc)."""
    if not logger.isEnabledFor(level):
        return
    text = json.dumps({"event": name, **fields}, ensure_ascii=False, default=str)
    logger.log(level, text, extra={"ioc_event": name, "ioc_fields": fields})
