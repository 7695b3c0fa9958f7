"""Rule evaluation on synthetic windows: failed polls (confirmation), thresholds, growth,
staleness, the dead-man's switch, province-wide outages and SLO burn rates."""

from __future__ import annotations

import polars as pl
import pytest

from config.alerts import Rule
from metrics.alerts.rules import Window, evaluate, mark_system_down

NOW = 1_751_511_600_000  # 10:00 on 3 July 2025, Huế
CENTRES = pl.DataFrame({
    "id": ["a", "b", "c", "d"], "name": ["Phú Xuân", "Kim Long", "Hương An", "Thuận Hóa"],
    "province_code": [46, 46, 46, 38], "province_name": ["Huế", "Huế", "Huế", "Thanh Hóa"]})


def rule(condition: dict, summary: str = "{centre_name}: {cause}", **kw) -> Rule:
    return Rule.model_validate({"name": "r", "condition": condition, "severity": "critical",
                                "summary": summary, **kw})


def polls(rows: list[tuple]) -> pl.DataFrame:
    """rows: (centre, seconds before NOW, ok, reason, detail[, confirmed])."""
    return pl.DataFrame([(c, NOW - s * 1000, ok, r, d, bool(more and more[0]))
                         for c, s, ok, r, d, *more in rows],
                        schema={"centre_id": pl.String, "ts": pl.Int64, "ok": pl.Boolean,
                                "reason": pl.String, "detail": pl.String,
                                "confirmed": pl.Boolean}, orient="row")


DOWN = {"kind": "failed_polls", "count": 2, "recover_after": 2}
ONCE = {"kind": "failed_polls", "recover_after": 2}  # as shipped: only confirmations count


def test_failed_polls_holds_one_unconfirmed_failed_poll_as_pending_only():
    w = Window(CENTRES, polls=polls([("a", 5, False, "timeout", "t"), ("a", 10, True, None, "")]))
    (hit,) = evaluate(rule(DOWN), w, NOW).hits
    # Seen, not confirmed: the life cycle keeps such an alert pending (never firing).
    assert hit.fingerprint == "r/ca" and not hit.confirmed


def test_failed_polls_counts_a_centre_reporting_its_own_system_down_as_a_failure():
    """Soft-down is a failure like any other: pending until the collector confirms it."""
    states = pl.DataFrame({"centre_id": ["a", "a"], "metric": ["system_state"] * 2,
                           "label": ["", ""], "ts": [NOW - 5000, NOW - 20_000],
                           "value": [0.0, 2.0]})
    seen = polls([("a", 5, True, None, ""), ("a", 20, True, None, "")])
    (hit,) = evaluate(rule(ONCE), Window(CENTRES, polls=mark_system_down(seen, states)),
                      NOW).hits
    assert not hit.confirmed and hit.fingerprint == "r/ca"
    assert "tự báo ngừng hoạt động" in hit.cause
    confirmed = polls([("a", 5, True, None, "", True), ("a", 20, True, None, "")])
    (hit,) = evaluate(rule(ONCE), Window(CENTRES, polls=mark_system_down(confirmed, states)),
                      NOW).hits
    assert hit.confirmed


def test_failed_polls_ignores_system_down_when_the_rule_turns_it_off():
    answered = polls([("a", 5, True, None, "")])
    states = pl.DataFrame({"centre_id": ["a"], "metric": ["system_state"], "label": [""],
                           "ts": [NOW - 5000], "value": [0.0]})
    w = Window(CENTRES, polls=mark_system_down(answered, states))
    assert evaluate(rule({**DOWN, "system_down": False}), w, NOW).hits == ()


def test_failed_polls_fires_on_one_poll_when_a_reprobe_confirmed_it():
    w = Window(CENTRES, polls=polls([("a", 5, False, "timeout", "t", True),
                                     ("a", 10, True, None, "")]))
    (hit,) = evaluate(rule(ONCE), w, NOW).hits
    assert hit.fingerprint == "r/ca" and hit.confirmed
    # reason and detail in words, the re-probe said in Vietnamese
    assert hit.summary.startswith("Phú Xuân: quá thời gian chờ (t; đã thăm dò lại để xác nhận)")
    assert hit.labels == {"centre_id": "a", "province_code": "46"}


def test_failed_polls_fires_after_two_failures_in_a_row_and_skips_skipped_polls():
    w = Window(CENTRES, polls=polls([("b", 5, False, "refused", "x"),
                                     ("b", 10, False, "skipped", "deadline"),
                                     ("b", 15, False, "refused", "x")]))
    assert [h.fingerprint for h in evaluate(rule(DOWN), w, NOW).hits] == ["r/cb"]


def test_failed_polls_recovers_only_after_enough_ok_polls():
    one_ok = Window(CENTRES, polls=polls([("a", 5, True, None, ""), ("a", 10, False, "t", "")]))
    two_ok = Window(CENTRES, polls=polls([("a", 5, True, None, ""), ("a", 10, True, None, "")]))
    assert "r/ca" not in evaluate(rule(DOWN), one_ok, NOW).observed
    assert "r/ca" in evaluate(rule(DOWN), two_ok, NOW).observed


def latest(rows: list[tuple[str, str, int, float]]) -> pl.DataFrame:
    return pl.DataFrame([(c, m, "", NOW - s * 1000, v) for c, m, s, v in rows],
                        schema={"centre_id": pl.String, "metric": pl.String, "label": pl.String,
                                "ts": pl.Int64, "value": pl.Float64}, orient="row")


@pytest.mark.parametrize(("op", "value", "fires"), [
    (">", 30, True), (">", 45, False), ("<", 50, True), ("==", 40, True), ("<=", 39, False)])
def test_threshold_compares_the_newest_sample(op, value, fires):
    w = Window(CENTRES, latest=latest([("a", "otp_p95_seconds", 10, 40.0)]))
    r = rule({"kind": "threshold", "metric": "otp_p95_seconds", "op": op, "value": value},
             summary="{centre_name}: p95 {value:.0f} s > {threshold:.0f} s")
    ev = evaluate(r, w, NOW)
    assert bool(ev.hits) is fires and ev.observed == {"r/ca"}


def test_threshold_ignores_a_sample_older_than_its_window():
    w = Window(CENTRES, latest=latest([("a", "otp_p95_seconds", 600, 90.0)]))
    r = rule({"kind": "threshold", "metric": "otp_p95_seconds", "op": ">", "value": 30,
              "window_s": 120})
    ev = evaluate(r, w, NOW)
    assert ev.hits == () and ev.observed == frozenset()


def test_growth_fires_when_a_gauge_grew_enough_over_the_window():
    r = rule({"kind": "growth", "metric": "dossiers_overdue", "window_s": 3600,
              "min_increase": 3}, summary="{centre_name} +{increase:.0f}/{window_min:.0f}")
    w = Window(CENTRES, latest=latest([("a", "dossiers_overdue", 5, 9.0),
                                       ("b", "dossiers_overdue", 5, 4.0)]),
               earlier={3600: latest([("a", "dossiers_overdue", 3600, 5.0),
                                      ("b", "dossiers_overdue", 3600, 3.0)])})
    ev = evaluate(r, w, NOW)
    assert [h.summary for h in ev.hits] == ["Phú Xuân +4/60"]
    assert ev.observed == {"r/ca", "r/cb"}


def test_stale_fires_for_a_centre_unobserved_while_the_collector_is_alive():
    r = rule({"kind": "stale", "after_s": 180}, summary="{centre_name} {silent_min:.0f}")
    observed = pl.DataFrame({"centre_id": ["a", "b", "c"],
                             "ts": [NOW - 5000, NOW - 600_000, NOW - 5000]})
    ev = evaluate(r, Window(CENTRES, observed=observed, newest_poll_ms=NOW - 5000), NOW)
    # d was never observed: no data yet, not silent (and no alert at start-up).
    assert [h.fingerprint for h in ev.hits] == ["r/cb"]
    assert "r/cd" not in ev.observed
    dead = evaluate(r, Window(CENTRES, observed=observed, newest_poll_ms=NOW - 600_000), NOW)
    assert dead.hits == () and dead.observed == frozenset()


def test_stale_counts_silence_from_start_up_at_the_earliest():
    """A centre last seen before the collector started is not silent until `after` has
    passed since the start: the first cycles may not have reached it yet."""
    r = rule({"kind": "stale", "after_s": 10})
    observed = pl.DataFrame({"centre_id": ["a", "b"], "ts": [NOW - 3_600_000, NOW - 2000]})
    started = Window(CENTRES, observed=observed, newest_poll_ms=NOW - 2000,
                     watching_since_ms=NOW - 6000)
    assert evaluate(r, started, NOW).hits == ()
    later = Window(CENTRES, observed=observed, newest_poll_ms=NOW - 2000,
                   watching_since_ms=NOW - 11_000)
    assert [h.fingerprint for h in evaluate(r, later, NOW).hits] == ["r/ca"]


def test_failed_polls_without_count_fires_only_on_the_collectors_confirmation():
    w = Window(CENTRES, polls=polls([("a", 5, False, "refused", "x"),
                                     ("a", 10, False, "refused", "x"),
                                     ("a", 15, False, "refused", "x")]))
    (hit,) = evaluate(rule(ONCE), w, NOW).hits
    assert not hit.confirmed  # three failures, but not yet lasting the window


@pytest.mark.parametrize(("newest", "fires"), [(None, True), (NOW - 200_000, True),
                                               (NOW - 30_000, False)])
def test_collector_silent_is_a_dead_mans_switch(newest, fires):
    r = rule({"kind": "collector_silent", "after_s": 90}, summary="im lặng {silent_s:.0f} s")
    ev = evaluate(r, Window(CENTRES, newest_poll_ms=newest), NOW)
    assert bool(ev.hits) is fires and ev.observed == {"r"}


def test_province_down_fires_when_enough_of_a_province_failed_its_newest_poll():
    r = rule({"kind": "province_down", "fraction": 0.5, "min_centres": 2},
             summary="{province_name}: {down}/{total}")
    w = Window(CENTRES, polls=polls([("a", 5, False, "timeout", ""), ("b", 5, False, "t", ""),
                                     ("c", 5, True, None, ""), ("d", 5, False, "t", "")]))
    ev = evaluate(r, w, NOW)
    assert [(h.fingerprint, h.summary) for h in ev.hits] == [("r/p46", "Huế: 2/3")]
    assert ev.observed == {"r/p46", "r/p38"}


def counts(rows: list[tuple[str, float, int, int]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"centre_id": pl.String, "window_s": pl.Float64,
                                      "total": pl.Int64, "failed": pl.Int64}, orient="row")


BURN = {"kind": "burn_rate", "slo": 0.995, "scope": "province", "min_polls": 10,
        "pairs": [{"long_s": 3600, "short_s": 300, "factor": 14.4}]}


@pytest.mark.parametrize(("long_failed", "short_failed", "fires"), [
    (40, 8, True),    # 40/500 = 8 % → 16×; 8/60 = 13 % → 27×: both above 14.4
    (40, 0, False),   # recovered in the last 5 min: the short window stops the page
    (20, 8, False),   # a short blip: the long window is below 14.4× (8×)
])
def test_burn_rate_needs_both_windows_of_a_pair_above_the_factor(long_failed, short_failed,
                                                                 fires):
    c = counts([("a", 3600, 250, long_failed), ("b", 3600, 250, 0),
                ("a", 300, 30, short_failed), ("b", 300, 30, 0)])
    ev = evaluate(rule(BURN, summary="{province_name} {long_rate:.1f}"), Window(
        CENTRES, poll_counts=c), NOW)
    assert bool(ev.hits) is fires and ev.observed == {"r/p46"}
