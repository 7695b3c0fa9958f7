"""The alert life cycle on synthetic evaluations: for-duration, resolution, grouping,
inhibition, silences, maintenance windows across midnight, reminders, flap damping."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from config.alerts import AlertsConfig, Maintenance
from metrics.alerts import lifecycle as lc
from metrics.alerts.rules import Evaluation, Hit

T0 = 1_751_511_600_000
S = 1000
HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def config(**over) -> AlertsConfig:
    base = {
        "rules": [
            {"name": "down", "condition": {"kind": "failed_polls"}, "severity": "critical",
             "labels": {"team": "tech"}, "summary": "{centre_name}"},
            {"name": "otp", "condition": {"kind": "threshold", "metric": "otp_p95_seconds",
                                          "op": ">", "value": 30},
             "for": 120, "severity": "warning", "labels": {"team": "ioc"},
             "summary": "{centre_name}"},
            {"name": "prov", "condition": {"kind": "province_down"}, "severity": "critical",
             "labels": {"team": "tech"}, "summary": "{province_name}"},
        ],
        "channels": {"hook": {"type": "webhook", "url": "http://127.0.0.1:9/x"},
                     "ops": {"type": "webhook", "url": "http://127.0.0.1:9/y"}},
        "routes": [{"match": {"labels": {"team": "ioc"}}, "channels": ["ops"]},
                   {"channels": ["hook"]}],
        "grouping": {"by": ["rule", "province_code"], "wait_s": 0, "interval_s": 60,
                     "repeat_s": 3600},
        "inhibit": [{"source": {"labels": {"rule": "prov"}}, "target": {"labels":
                     {"team": "tech"}}, "equal": ["province_code"]}],
        **over,
    }
    return AlertsConfig.model_validate(base)


def hit(rule: str, centre: str | None, province: int = 46) -> Hit:
    labels = {"province_code": str(province)} | ({"centre_id": centre} if centre else {})
    fp = f"{rule}/c{centre}" if centre else f"{rule}/p{province}"
    return Hit(fp, labels, 1.0, "timeout", f"{rule} {centre}", centre, province)


def ev(rule: str, hits: list[Hit], observed: list[str] = ()) -> Evaluation:
    return Evaluation(rule, tuple(hits), frozenset([h.fingerprint for h in hits] + list(observed)))


def run(cfg, alerts, evals, now, silences=()):
    step = lc.advance(cfg, alerts, evals, now)
    starts: dict[str, list[int]] = {}
    for a in step.alerts:
        starts.setdefault(a.fingerprint, []).append(a.pending_since)
    planned, out = lc.plan(cfg, step.alerts, silences, starts, now)
    return planned.alerts, out, step.events


def test_a_rule_without_for_fires_and_notifies_once_then_resolves_with_a_notice():
    cfg = config()
    alerts, out, events = run(cfg, [], [ev("down", [hit("down", "a")])], T0)
    assert [a.state for a in alerts] == ["firing"]
    assert [(o.channel, o.status, o.group_key) for o in out] == [
        ("hook", "firing", "rule=down,province_code=46")]
    assert [e.kind for e in events] == ["pending", "firing"]
    alerts, out, _ = run(cfg, alerts, [ev("down", [hit("down", "a")])], T0 + 5 * S)
    assert out == []  # still firing: nothing new to say
    alerts, out, events = run(cfg, alerts, [ev("down", [], ["down/ca"])], T0 + 10 * S)
    assert alerts[0].state == "resolved" and [o.status for o in out] == ["resolved"]


def test_for_duration_keeps_an_alert_pending_and_one_that_clears_never_notifies():
    cfg = config()
    h = hit("otp", "a")
    alerts, out, _ = run(cfg, [], [ev("otp", [h])], T0)
    assert alerts[0].state == "pending" and out == []
    alerts, out, _ = run(cfg, alerts, [ev("otp", [h])], T0 + 119 * S)
    assert alerts[0].state == "pending"
    fired, out, _ = run(cfg, alerts, [ev("otp", [h])], T0 + 120 * S)
    assert fired[0].state == "firing" and [o.channel for o in out] == ["ops"]
    cleared, out, _ = run(cfg, alerts, [ev("otp", [], ["otp/ca"])], T0 + 60 * S)
    assert cleared[0].state == "resolved" and out == []  # never notified: no resolved notice


def test_no_data_keeps_an_alert_firing():
    cfg = config()
    alerts, _, _ = run(cfg, [], [ev("down", [hit("down", "a")])], T0)
    alerts, out, _ = run(cfg, alerts, [ev("down", [])], T0 + 30 * S)
    assert alerts[0].state == "firing" and out == []


def test_grouping_sends_one_message_for_many_centres_of_a_kind():
    cfg = config()
    hits = [hit("down", c) for c in "abcdef"]
    _, out, _ = run(cfg, [], [ev("down", hits)], T0)
    assert len(out) == 1 and len(out[0].indexes) == 6


def test_group_interval_holds_new_alerts_of_a_recently_notified_group():
    cfg = config()
    alerts, _, _ = run(cfg, [], [ev("down", [hit("down", "a")])], T0)
    both = [hit("down", "a"), hit("down", "b")]
    alerts, out, _ = run(cfg, alerts, [ev("down", both)], T0 + 30 * S)
    assert out == []
    _, out, _ = run(cfg, alerts, [ev("down", both)], T0 + 60 * S)
    assert [len(o.indexes) for o in out] == [1]  # only b: a was notified already


def test_group_wait_delays_the_first_message():
    cfg = config(grouping={"wait_s": 30})
    alerts, out, _ = run(cfg, [], [ev("down", [hit("down", "a")])], T0)
    assert out == []
    _, out, _ = run(cfg, alerts, [ev("down", [hit("down", "a"), hit("down", "b")])],
                    T0 + 30 * S)
    assert [len(o.indexes) for o in out] == [2]


def test_a_province_wide_outage_inhibits_its_centres_alerts():
    cfg = config()
    hits = [hit("down", c) for c in "abcd"] + [hit("down", "x", province=38)]
    alerts, out, events = run(cfg, [], [ev("down", hits), ev("prov", [hit("prov", None)])], T0)
    inhibited = {a.fingerprint for a in alerts if a.inhibited_by == "prov/p46"}
    assert inhibited == {"down/ca", "down/cb", "down/cc", "down/cd"}
    assert sorted(o.group_key for o in out) == ["rule=down,province_code=38",
                                                "rule=prov,province_code=46"]
    assert sum(e.kind == "inhibited" for e in events) == 4


def test_an_active_silence_mutes_matching_alerts_only():
    cfg = config()
    quiet = lc.Silence(1, {"centre_id": "a"}, T0 - S, T0 + 3600 * S, "lan", "sửa đường dây")
    alerts, out, _ = run(cfg, [], [ev("down", [hit("down", "a"), hit("down", "b")])], T0,
                         [quiet])
    assert [[alerts[i].centre_id for i in o.indexes] for o in out] == [["b"]]
    # After the silence ends, the still-firing alert notifies.
    _, out, _ = run(cfg, alerts, [ev("down", [hit("down", "a"), hit("down", "b")])],
                    T0 + 3600 * S + 60 * S, [quiet])
    assert [(o.status, [alerts[i].centre_id for i in o.indexes]) for o in out] == [
        ("firing", ["a"]), ("reminder", ["b"])]


def local_ms(day: int, hh: int, mm: int) -> int:
    return int(datetime(2025, 7, day, hh, mm, tzinfo=HCM).timestamp() * 1000)


@pytest.mark.parametrize(("day", "hh", "mm", "inside"), [
    (5, 22, 59, False),  # Saturday 5 July, before it starts
    (5, 23, 0, True),    # Saturday 23:00
    (6, 1, 59, True),    # Sunday 01:59: still Saturday's window, past midnight
    (6, 2, 0, False),    # Sunday 02:00: over
    (6, 23, 30, False),  # Sunday evening: no window starts on Sunday
    (4, 0, 30, False),   # Friday just after midnight: Thursday has no window
])
def test_maintenance_window_across_midnight_in_local_time(day, hh, mm, inside):
    w = Maintenance(name="n", days=("sat",), start="23:00", end="02:00")
    assert lc.in_maintenance(w, local_ms(day, hh, mm), "Asia/Ho_Chi_Minh") is inside


def test_maintenance_window_mutes_firing_notices():
    cfg = config(maintenance=[{"name": "n", "days": ["sat"], "start": "23:00", "end": "02:00"}])
    _, out, _ = run(cfg, [], [ev("down", [hit("down", "a")])], local_ms(6, 0, 30))
    assert out == []
    _, out, _ = run(cfg, [], [ev("down", [hit("down", "a")])], local_ms(6, 2, 30))
    assert len(out) == 1


def test_reminders_repeat_for_unacknowledged_firing_alerts_only():
    cfg = config()
    alerts, _, _ = run(cfg, [], [ev("down", [hit("down", "a"), hit("down", "b")])], T0)
    alerts[1] = lc.replace(alerts[1], acked_by="lan", acked_at=T0 + S)
    later = T0 + 3600 * S
    _, out, _ = run(cfg, alerts, [ev("down", [hit("down", "a"), hit("down", "b")])], later)
    assert [(o.status, [alerts[i].centre_id for i in o.indexes]) for o in out] == [
        ("reminder", ["a"])]


def test_a_flapping_alert_stops_notifying_until_it_settles():
    cfg = config(flapping={"window_s": 600, "max_starts": 3})
    alerts: list[lc.AlertState] = []
    notices = []
    for k in range(4):  # down 10 s, up 10 s, four times within the window
        t = T0 + k * 20 * S
        alerts, out, _ = run(cfg, alerts, [ev("down", [hit("down", "a")])], t)
        notices += [o.status for o in out]
        alerts, out, _ = run(cfg, alerts, [ev("down", [], ["down/ca"])], t + 10 * S)
        notices += [o.status for o in out]
    assert notices.count("firing") == 2  # the third start within the window is held back
    assert notices.count("firing") == notices.count("resolved")
    # Steady for the whole window: it notifies again.
    alerts, out, _ = run(cfg, alerts, [ev("down", [hit("down", "a")])], T0 + 100 * S)
    alerts, out, _ = run(cfg, alerts, [ev("down", [hit("down", "a")])], T0 + 700 * S)
    assert [o.status for o in out] == ["firing"]


def test_routes_send_to_the_first_match_unless_continue():
    cfg = config(routes=[{"match": {"severity": ["critical"]}, "channels": ["ops"],
                          "continue": True}, {"channels": ["hook"]}])
    assert lc.route(cfg, {"severity": "critical"}) == ["ops", "hook"]
    assert lc.route(cfg, {"severity": "warning"}) == ["hook"]


def test_utc_helpers_are_consistent():
    assert datetime.fromtimestamp(T0 / 1000, UTC).astimezone(HCM).hour == 10
