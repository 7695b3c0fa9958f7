"""One incident for one cause: centre alerts of one rule starting together across a province
are grouped into one province incident with one notification (metrics/alerts/incidents.py)."""

from __future__ import annotations

import pytest
import yaml

from config.alerts import AlertsConfig, check_alerts
from metrics.alerts import incidents
from metrics.alerts import lifecycle as lc
from metrics.alerts.rules import Evaluation, Hit
from tests.unit.test_lifecycle import config as lifecycle_config

T0 = 1_751_511_600_000
S = 1000
HUE, SMALL, BIG = 46, 38, 1
OTP_FP = "incident:otp/p46"
# Huế: 40 centres (10 % is 4), a province of 5 (3 is the floor), a province of 100 (10).
FLEET = incidents.Fleet.of(
    [{"id": f"h{i:02}", "name": f"Phường {i}", "province_code": HUE, "province_name": "Huế"}
     for i in range(40)]
    + [{"id": f"s{i}", "name": f"Xã {i}", "province_code": SMALL, "province_name": "Nhỏ"}
       for i in range(5)]
    + [{"id": f"b{i:03}", "name": f"Xã {i}", "province_code": BIG, "province_name": "Lớn"}
       for i in range(100)])


def config(**over) -> AlertsConfig:
    """The life-cycle tests' rules (tests/unit/test_lifecycle.py) with one channel, no
    grouping delay, and a shared cause for `otp` and `down`."""
    return lifecycle_config(**{
        "channels": {"hook": {"type": "webhook", "url": "http://127.0.0.1:9/x"}},
        "routes": [{"channels": ["hook"]}],
        "grouping": {"by": ["rule", "province_code"], "wait_s": 0, "interval_s": 0,
                     "repeat_s": 3600},
        "shared_cause": {"min_centres": 3, "min_fraction": 0.1, "within_s": 120, "causes": {
            "otp": {"vi": "cổng SMS/OTP của tỉnh", "en": "the province's SMS/OTP gateway"},
            "down": {"vi": "mạng diện rộng của tỉnh", "en": "the province's wide-area network"}}},
        **over})


def hit(rule: str, centre: str) -> Hit:
    code = FLEET.centres[centre][1]
    return Hit(f"{rule}/c{centre}", {"province_code": str(code), "centre_id": centre}, 45.0,
               "slow", f"{rule} {centre}", centre, code)


def ev(rule: str, on: list[str], off: list[str] = ()) -> Evaluation:
    hits = [hit(rule, c) for c in on]
    return Evaluation(rule, tuple(hits), frozenset([h.fingerprint for h in hits]
                                                   + [f"{rule}/c{c}" for c in off]))


def run(cfg, alerts, evals, now):
    step = lc.advance(cfg, alerts, evals, now, fleet=FLEET)
    starts: dict[str, list[int]] = {}
    for a in step.alerts:
        starts.setdefault(a.fingerprint, []).append(a.pending_since)
    planned, out = lc.plan(cfg, step.alerts, [], starts, now)
    return planned.alerts, out, step.events


def slow_otp(cfg, centres_at: dict[str, int], until: int):
    """OTP slow from each centre's start (ms after T0), evaluated every 10 s until `until`."""
    alerts: list[lc.AlertState] = []
    sent = []
    for now in range(T0, T0 + until + 1, 10 * S):
        on = [c for c, start in centres_at.items() if now >= T0 + start]
        alerts, out, _ = run(cfg, alerts, [ev("otp", on)], now)
        sent += [(o, [alerts[i] for i in o.indexes]) for o in out]
    return alerts, sent


@pytest.mark.parametrize(("starts", "needed", "within", "together"), [
    ([0, 10, 20], 3, 120, True),
    ([0, 100, 200], 3, 120, False),
    ([0, 100, 200, 210], 3, 120, True),  # the last three
    ([0, 120, 60], 3, 120, True),  # unordered, the edge included
    ([0, 121, 60], 3, 120, False),
    ([5, 5], 3, 120, False),
])
def test_clustered_finds_needed_starts_within_the_window(starts, needed, within, together):
    assert incidents.clustered(starts, needed, within) is together


@pytest.mark.parametrize(("total", "needed"), [(5, 3), (10, 3), (40, 4), (41, 5), (100, 10)])
def test_needed_is_the_larger_of_min_centres_and_the_fraction(total, needed):
    assert config().shared_cause.needed(total) == needed


def test_four_slow_otp_centres_of_a_province_make_one_incident_and_one_notification():
    cfg = config()
    alerts, sent = slow_otp(cfg, {"h01": 0, "h02": 10 * S, "h03": 20 * S, "h04": 30 * S},
                            until=200 * S)
    (incident,) = [a for a in alerts if lc.is_incident(a)]
    assert (incident.fingerprint, incident.state, incident.centre_id, incident.value) == (
        OTP_FP, "firing", None, 4.0)
    assert incident.firing_since == T0 + 120 * S  # when the first centre's alert fired
    assert incident.cause == "cổng SMS/OTP của tỉnh"
    assert "Huế: 4 trung tâm" in incident.summary
    assert all(f"Phường {i}" in incident.summary for i in (1, 2, 3, 4))
    centre = [a for a in alerts if not lc.is_incident(a)]
    assert len(centre) == 4 and all(a.inhibited_by == OTP_FP for a in centre)
    assert [a.state for a in centre] == ["firing"] * 4  # each centre's alert still exists
    assert [(o.status, [a.fingerprint for a in items]) for o, items in sent] == [
        ("firing", [OTP_FP])]


def test_two_slow_otp_centres_stay_centre_alerts():
    cfg = config()
    alerts, sent = slow_otp(cfg, {"h01": 0, "h02": 10 * S}, until=200 * S)
    assert not any(lc.is_incident(a) for a in alerts)
    notified = sorted(a.fingerprint for _, items in sent for a in items)
    assert notified == ["otp/ch01", "otp/ch02"]


def test_centres_starting_far_apart_are_not_one_incident():
    cfg = config()
    starts = {"h01": 0, "h02": 130 * S, "h03": 260 * S, "h04": 390 * S}
    alerts, sent = slow_otp(cfg, starts, until=600 * S)
    assert not any(lc.is_incident(a) for a in alerts)
    assert len([a for _, items in sent for a in items]) == 4


def test_a_province_of_a_hundred_needs_ten_centres():
    cfg = config()
    alerts, _ = slow_otp(cfg, {f"b{i:03}": i * S for i in range(9)}, until=200 * S)
    assert not any(lc.is_incident(a) for a in alerts)
    alerts, sent = slow_otp(cfg, {f"b{i:03}": i * S for i in range(10)}, until=200 * S)
    assert [a.fingerprint for _, items in sent for a in items] == ["incident:otp/p1"]


def test_a_rule_without_a_shared_cause_is_never_grouped():
    cfg = config(shared_cause={"causes": {"down": {"vi": "mạng", "en": "network"}}})
    alerts, sent = slow_otp(cfg, {f"h{i:02}": 0 for i in range(6)}, until=200 * S)
    assert not any(lc.is_incident(a) for a in alerts)
    assert len(sent) == 1 and len(sent[0][1]) == 6  # the old grouped message of 6 alerts


def test_late_centres_join_the_incident_and_it_resolves_once_with_one_notice():
    cfg = config()
    alerts, _ = slow_otp(cfg, {"h01": 0, "h02": 0, "h03": 0, "h04": 0}, until=150 * S)
    now = T0 + 160 * S
    alerts, out, _ = run(cfg, alerts, [ev("otp", ["h01", "h02", "h03", "h04", "h05"])], now)
    assert out == []  # the newcomer is grouped, not notified
    incident = next(a for a in alerts if lc.is_incident(a))
    assert incident.value == 5.0 and "Phường 5" in incident.summary
    late = next(a for a in alerts if a.fingerprint == "otp/ch05")
    assert late.state == "pending"
    # The gateway recovers at different moments: the incident stays until the last centre.
    alerts, out, _ = run(cfg, alerts, [ev("otp", ["h05"], off=["h01", "h02", "h03", "h04"])],
                         now + 10 * S)
    incident = next(a for a in alerts if lc.is_incident(a))
    assert out == [] and incident.state == "firing"
    assert incident.value == 5.0  # every centre affected while it lasts, recovered ones too
    alerts, out, _ = run(cfg, alerts, [ev("otp", [], off=["h05"])], now + 20 * S)
    assert [(o.status, [alerts[i].fingerprint for i in o.indexes]) for o in out] == [
        ("resolved", [OTP_FP])]
    incident = next(a for a in alerts if lc.is_incident(a))
    assert incident.state == "resolved"
    grouped = incidents.members(incident, alerts)
    assert [a.centre_id for a in grouped] == ["h01", "h02", "h03", "h04", "h05"]


def test_grouped_alerts_say_which_incident_they_are_in():
    cfg = config()
    alerts: list[lc.AlertState] = []
    events = []
    for now in range(T0, T0 + 130 * S, 10 * S):
        alerts, _, step_events = run(cfg, alerts, [ev("otp", ["h01", "h02", "h03", "h04"])],
                                     now)
        events += step_events
    grouped = [e.detail for e in events if e.kind == "inhibited"]
    assert grouped == [f"grouped into incident {OTP_FP}"] * 4


def test_a_province_wide_outage_mutes_the_network_incident_of_its_centres():
    cfg = config()
    down = [hit("down", f"s{i}") for i in range(3)]
    prov = Hit("prov/p38", {"province_code": "38"}, 0.6, "3/5", "Nhỏ", None, SMALL)
    alerts, out, _ = run(cfg, [], [Evaluation("down", tuple(down),
                                              frozenset(h.fingerprint for h in down)),
                                   Evaluation("prov", (prov,), frozenset({"prov/p38"}))], T0)
    incident = next(a for a in alerts if lc.is_incident(a))
    assert incident.state == "firing" and incident.inhibited_by == "prov/p38"
    assert [alerts[i].fingerprint for o in out for i in o.indexes] == ["prov/p38"]


def test_an_incident_of_centres_that_never_fire_resolves_without_notice():
    cfg = config()
    alerts, _ = slow_otp(cfg, {"h01": 0, "h02": 0, "h03": 0, "h04": 0}, until=60 * S)
    assert next(a for a in alerts if lc.is_incident(a)).state == "pending"
    alerts, out, _ = run(cfg, alerts, [ev("otp", [], off=["h01", "h02", "h03", "h04"])],
                         T0 + 70 * S)
    assert out == [] and next(a for a in alerts if lc.is_incident(a)).state == "resolved"


@pytest.mark.parametrize(("shared", "reason"), [
    ({"min_centres": 3, "colour": "red"}, "shared_cause.colour"),
    ({"causes": {"nope": {"vi": "x", "en": "x"}}}, "no alert rule named 'nope'"),
    ({"causes": {"prov": {"vi": "x", "en": "x"}}}, "not one alert per centre"),
    ({"causes": {"otp": {"vi": "x"}}}, "shared_cause.causes.otp.en"),
    ({"min_fraction": 1.5}, "shared_cause.min_fraction"),
])
def test_a_bad_shared_cause_section_is_named(tmp_path, shared, reason):
    data = config().model_dump(by_alias=True, mode="json", exclude={"shared_cause"})
    data["shared_cause"] = shared
    path = tmp_path / "alerts.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    problems = [str(p) for p in check_alerts(path)]
    assert any(str(path) in p and reason in p for p in problems), problems


def test_an_incident_notice_names_the_cause_and_every_centre_once():
    from datetime import UTC, datetime

    from metrics.alerts.notifiers.base import AlertItem, Message
    from metrics.alerts.notifiers.templates import render

    names = ("Phường 1", "Phường 2", "Xã 3", "Xã 4")
    cfg = config()
    item = AlertItem(OTP_FP, "otp", "warning", None, None, "Huế",
                     incidents.summary(cfg, "otp", "Huế", names), "cổng SMS/OTP của tỉnh",
                     datetime(2025, 7, 3, 3, tzinfo=UTC), None, {"incident": "shared_cause"},
                     names)
    assert Message.from_json(Message("firing", "k", (item,)).to_json()).alerts == (item,)
    text = render(Message("firing", "k", (item,)), datetime(2025, 7, 3, 3, 5, tzinfo=UTC))
    assert text.title.startswith("🔴 CẢNH BÁO (cảnh báo): SỰ CỐ CHUNG — Huế: 4 trung tâm")
    assert "• 4 trung tâm bị ảnh hưởng: Phường 1, Phường 2, Xã 3, Xã 4" in text.lines
    assert "• Nguyên nhân chung có thể: cổng SMS/OTP của tỉnh" in text.lines


def test_fold_incidents_keeps_one_row_per_incident_with_its_open_centres():
    import polars as pl

    from metrics.alerts.stats import fold_incidents

    def row(fp, rule, centre, state="firing", province=46, name=None):
        return {"fingerprint": fp, "rule": rule, "centre_id": centre, "state": state,
                "province_code": province, "centre": name}

    board = pl.DataFrame([
        row("centre_down/cz", "centre_down", "z", name="Xã Z"),
        row(OTP_FP, "otp", None),
        row("otp/cb", "otp", "b", name="Phường B"),
        row("otp/ca", "otp", "a", name="Phường A"),
        row("otp/cc", "otp", "c", state="resolved", name="Phường C"),  # not open: kept
        row("otp/cx", "otp", "x", province=38, name="Xã X"),  # another province: kept
        row("sync/ca", "sync", "a", name="Phường A"),  # another rule: kept
    ])
    folded = fold_incidents(board)
    assert folded["fingerprint"].to_list() == ["centre_down/cz", OTP_FP, "otp/cc", "otp/cx",
                                               "sync/ca"]
    assert folded["grouped"].to_list() == [[], ["Phường A", "Phường B"], [], [], []]
    assert fold_incidents(board.filter(pl.col("fingerprint") != OTP_FP)).height == 6
