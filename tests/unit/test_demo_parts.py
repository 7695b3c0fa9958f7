"""The parts of `ioc demo`: its progress bar, the backfill behind the live data, the alert
inbox, the history line on the pages, the port check and the kiosk link's address."""

from __future__ import annotations

import io
import socket
from datetime import UTC, datetime

import requests

from collectors import cli
from collectors.commands.backfill import backfill, missing
from collectors.commands.demo import port_problem
from collectors.commands.progress import Bar, bar_line
from collectors.validate import probe_samples
from config.channels import WebhookChannel
from config.loader import load_settings
from dashboard.i18n import Tr
from dashboard.inbox import Inbox, read_notices
from dashboard.widgets.history_banner import line
from metrics.alerts import notifiers
from metrics.alerts.notifiers.base import AlertItem, Message
from metrics.results import ProbeResult
from metrics.store import Store, history_fill
from metrics.store.history_fill import Fill

T0 = datetime(2025, 7, 3, 3, 5, tzinfo=UTC)  # 10:05 in Huế


# --- the progress bar ---------------------------------------------------------------------

def test_bar_line_shows_share_counts_and_time_left():
    assert bar_line("h", 0, 4, 0.0) == "h [" + "░" * 24 + "]   0 % 0/4 · 0 s"
    half = bar_line("h", 2, 4, 10.0)
    assert half == "h [" + "█" * 12 + "░" * 12 + "]  50 % 2/4 · 10 s, ~10 s left"
    assert bar_line("h", 4, 4, 20.0).endswith("100 % 4/4 · 20 s")


def test_bar_redraws_one_line_on_a_terminal_and_writes_plain_lines_otherwise():
    tty = io.StringIO()
    bar = Bar("h", tty, tty=True)
    for done in range(5):
        bar(done, 4)
    bar.close()
    text = tty.getvalue()
    assert text.count("\r") == 5 and text.count("\n") == 1 and text.endswith("4/4 · 0 s\n")

    log = io.StringIO()
    bar = Bar("h", log, tty=False, every_pct=25)
    for done in range(0, 101):
        bar(done, 100)
    bar.close()
    lines = log.getvalue().splitlines()
    assert [ln.split("]")[1].split("%")[0].strip() for ln in lines] == \
        ["0", "25", "50", "75", "100"]
    assert "\r" not in log.getvalue()


# --- the backfill behind the live data ----------------------------------------------------

def test_missing_leaves_out_every_time_whose_step_has_a_stored_poll():
    times = [0.0, 300.0, 600.0, 900.0]
    # a live poll at 290 s covers 300; one at 760 s covers 900 (nearest); 0 and 600 remain
    assert missing(times, [290_000, 760_000], 300) == [0.0, 600.0]
    assert missing(times, [], 300) == times


def test_backfill_newest_first_records_its_progress_and_keeps_live_polls(tmp_path):
    url = f"sqlite:///{tmp_path / 'b.db'}"
    settings = load_settings(None, {"IOC_DB_URL": url})
    now = 1_751_511_900.0  # a multiple of 300 s
    seen: list[tuple[int, int]] = []
    days = 15 * 300 / 86_400  # 15 poll times, 5 minutes apart, the newest 5 min before now
    first = backfill(settings, days=days, now=now, newest_first=True, record=True,
                     processes=0, progress=lambda d, t: seen.append((d, t)))
    assert first["polls"] == 40 * 15  # the 40 centres of Huế
    assert seen[0] == (0, 15) and seen[-1] == (15, 15)
    with Store.open(url) as store:
        fill = history_fill.read(store.engine)
        assert fill is not None and fill.finished and fill.ratio == 1.0
        assert fill.to_ms == int(now * 1000) and fill.complete_from_ms == fill.from_ms
        assert fill.from_ms == int((now - 15 * 300) * 1000)
    # Once written, nothing is written again.
    assert backfill(settings, days=days, now=now, processes=0)["polls"] == 0
    # A later run fills only the steps with no poll: not the one a live poll covers.
    with Store.open(url) as store:
        live = ProbeResult(store.centres()["id"][0], now + 590, True, 0.04, None, "", 200,
                           probe_samples(True, 0.04))
        store.write([live])
    later = backfill(settings, days=days, now=now + 900, processes=0)
    assert later["polls"] == 40 * 2  # now and now+300; now+600 has the live poll


# --- the history line on every page -------------------------------------------------------

def test_history_line_says_loading_or_stopped_and_nothing_once_complete():
    start = int(T0.timestamp() * 1000)
    week = 7 * 86_400_000
    fill = Fill(start - week, start, start - 86_400_000, 288, 864, start)
    text = line(fill, start + 1000, Tr("vi"), "Asia/Ho_Chi_Minh")
    assert text == ("Đang nạp lịch sử 7 ngày (33 %): số liệu trước 10:05 02/07/2025 chưa đầy "
                    "đủ — biểu đồ và tỉ lệ nhiều ngày chưa tính đủ")
    stopped = line(fill, start + 600_000, Tr("en"), "Asia/Ho_Chi_Minh")
    assert stopped is not None
    assert stopped.startswith("History loading stopped at 33% (last write 10:05 03/07/2025)")
    done = Fill(start - week, start, start - week, 864, 864, start)
    assert line(done, start + 600_000, Tr("vi"), "Asia/Ho_Chi_Minh") is None
    assert line(None, start, Tr("vi"), "Asia/Ho_Chi_Minh") is None


# --- the alert inbox ----------------------------------------------------------------------

def test_inbox_keeps_the_webhook_notifiers_notice_once_and_shows_it_escaped(tmp_path):
    inbox = Inbox("127.0.0.1", 0, tmp_path / "data" / "inbox.jsonl").start()
    try:
        item = AlertItem(fingerprint="fp", rule="centre_down", severity="critical",
                         centre_id="19753", centre_name="<script>x</script> Phú Xuân",
                         province_name="Thành phố Huế", summary="Phú Xuân ngừng hoạt động",
                         cause="timeout", starts_at=T0, ends_at=None)
        message = Message(status="firing", group_key="centre_down/46", alerts=(item,),
                          key="ioc-1-1751511900000")
        channel = WebhookChannel(type="webhook", url=inbox.hook_url)
        notifiers.send(channel, message, {}, name="ioc-webhook")
        notifiers.send(channel, message, {}, name="ioc-webhook")  # a retry's duplicate
        kept = read_notices(inbox.path)
        assert len(kept) == 1 and kept[0]["key"] == "ioc-1-1751511900000"
        assert kept[0]["payload"]["alerts"][0]["labels"]["alertname"] == "centre_down"
        page = requests.get(inbox.url, timeout=5)
        assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
        assert "Hộp thư cảnh báo" in page.text and "1 thông báo" in page.text
        assert "Nghiêm trọng" in page.text and "từ 10:05 03/07/2025" in page.text
        assert "<script>x" not in page.text and "&lt;script&gt;x" in page.text
        english = requests.get(inbox.url + "?lang=en", timeout=5).text
        assert "Alert inbox" in english and "Critical" in english
        assert requests.post(inbox.hook_url, data=b"{", timeout=5).status_code == 400
        assert requests.post(inbox.url + "other", json={"alerts": []},
                             timeout=5).status_code == 404
    finally:
        inbox.close()
    # A new inbox on the same file remembers the keys it kept.
    again = Inbox("127.0.0.1", 0, tmp_path / "data" / "inbox.jsonl")
    assert not again.keep({"alerts": []}, "ioc-1-1751511900000")
    again.server.server_close()


# --- ports and the kiosk link -------------------------------------------------------------

def test_port_problem_names_a_taken_port_or_one_given_twice():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        problem = port_problem([("dashboard", "--port", "", busy)])
        assert problem is not None and f"port {busy} for the dashboard" in problem
    assert port_problem([("a", "--a", "127.0.0.1", 0)]) is None
    twice = port_problem([("dashboard", "--port", "", 1), ("simulator", "--sim-port", "", 1)])
    assert twice is not None and "both to the dashboard and to the simulator" in twice


def test_kiosk_create_prints_a_link_on_the_dashboards_configured_port(tmp_path, monkeypatch,
                                                                      capsys):
    monkeypatch.setenv("IOC_DB_URL", f"sqlite:///{tmp_path / 'k.db'}")
    monkeypatch.setenv("IOC_DASHBOARD__PORT", "8642")
    assert cli.main(["kiosk", "create", "--label", "wall", "--scope", "province:46"]) == 0
    assert "http://localhost:8642/?kiosk=" in capsys.readouterr().out
    assert cli.main(["kiosk", "create", "--label", "wall", "--scope", "province:46",
                     "--base-url", "http://ioc.hue.gov.vn"]) == 0
    assert "http://ioc.hue.gov.vn/?kiosk=" in capsys.readouterr().out


