"""The one logging set-up (config/logs.py): text lines, JSON lines, levels, events."""

from __future__ import annotations

import io
import json
import logging
from datetime import datetime

import pytest

from config import logs
from config.settings import LoggingSettings


@pytest.fixture
def stream():
    """A configured root handler writing to a buffer; removed afterwards."""
    buffer = io.StringIO()
    product = logging.getLogger(logs.PRODUCT_LOGGER)
    level = product.level
    yield buffer
    root = logging.getLogger()
    for h in [h for h in root.handlers if isinstance(h, logs._IocHandler)]:
        root.removeHandler(h)
    product.setLevel(level)


def lines(buffer: io.StringIO) -> list[str]:
    return buffer.getvalue().splitlines()


def test_json_lines_carry_local_time_level_logger_and_the_event_fields(stream):
    logs.configure(LoggingSettings(format="json"), stream)
    log = logging.getLogger("ioc.collector")
    logs.event(log, "collect_cycle", cycle=3, centres=40, duration_ms=812, centre="19753")
    log.warning("database unreachable (%s)", "OperationalError")

    cycle, warning = (json.loads(x) for x in lines(stream))
    assert cycle["event"] == "collect_cycle" and cycle["level"] == "INFO"
    assert cycle["logger"] == "ioc.collector"
    assert (cycle["cycle"], cycle["centres"], cycle["duration_ms"], cycle["centre"]) == \
        (3, 40, 812, "19753")
    assert "message" not in cycle
    ts = datetime.fromisoformat(cycle["ts"])
    assert ts.utcoffset().total_seconds() == 7 * 3600  # Asia/Ho_Chi_Minh, no DST
    assert cycle["ts"].endswith("+07:00")
    assert warning == {**warning, "level": "WARNING",
                       "message": "database unreachable (OperationalError)"}


def test_json_lines_keep_vietnamese_text_and_the_traceback(stream):
    logs.configure(LoggingSettings(format="json"), stream)
    try:
        raise ValueError("Phường Phú Xuân")
    except ValueError:
        logging.getLogger("ioc.alerts").exception("quy tắc %s lỗi", "mất kết nối")
    [line] = lines(stream)
    assert "Phú Xuân" in line  # not \u-escaped
    record = json.loads(line)
    assert record["message"] == "quy tắc mất kết nối lỗi" and record["level"] == "ERROR"
    assert "ValueError: Phường Phú Xuân" in record["exc"]


def test_text_lines_are_the_bare_message_for_info_and_name_the_level_above(stream):
    logs.configure(LoggingSettings(format="text"), stream)
    log = logging.getLogger("ioc.collector")
    logs.event(log, "collect_cycle", centres=40)
    log.error("spool: %s", "full")
    assert lines(stream) == ['{"event": "collect_cycle", "centres": 40}',
                             "ERROR ioc.collector: spool: full"]


def test_the_level_setting_filters_the_products_records(stream):
    logs.configure(LoggingSettings(format="text", level="WARNING"), stream)
    log = logging.getLogger("ioc.retention")
    log.info("pruned")
    logs.event(log, "retention", deleted=3)
    log.warning("slow")
    assert lines(stream) == ["WARNING ioc.retention: slow"]


def test_configuring_twice_replaces_the_handler_instead_of_doubling_lines(stream):
    logs.configure(LoggingSettings(format="text"), io.StringIO())
    logs.configure(LoggingSettings(format="json"), stream)
    assert logs.configured()
    logging.getLogger("ioc.collector").info("once")
    [line] = lines(stream)
    assert json.loads(line)["message"] == "once"
    assert sum(isinstance(h, logs._IocHandler) for h in logging.getLogger().handlers) == 1


def test_an_unknown_format_is_refused_by_the_settings():
    with pytest.raises(ValueError, match="format"):
        LoggingSettings(format="xml")


def test_the_environment_sets_the_format_and_a_bad_value_names_the_variable():
    from config.loader import ConfigError, load_settings

    assert load_settings(env={"IOC_LOGGING__FORMAT": "json"}).logging.format == "json"
    with pytest.raises(ConfigError) as err:
        load_settings(env={"IOC_LOGGING__LEVEL": "LOUD"})
    assert "environment IOC_LOGGING__LEVEL" in str(err.value)
    assert "logging.level" in str(err.value)


def test_the_handler_follows_sys_stderr_when_it_is_swapped(stream, monkeypatch):
    logs.configure(LoggingSettings(format="text"))
    later = io.StringIO()
    monkeypatch.setattr("sys.stderr", later)
    logging.getLogger("ioc.collector").info("after the swap")
    assert later.getvalue() == "after the swap\n"
