"""The kiosk wall's fitting logic: rows that fit, the count badge, escaped HTML (pure)."""

from __future__ import annotations

import html

import polars as pl
import pytest

from dashboard import i18n
from dashboard.views import fmt, wall_fit
from metrics import queries as q
from tests.fixtures.access import HOSTILE

VI = i18n.text("vi")


def _kpis(down: int) -> q.Kpis:
    counts = dict.fromkeys(q.STATUSES, 0) | {q.DOWN: down, q.OK: 40 - down}
    return q.Kpis(centres_total=40, counts=counts, received=None, resolved=None, late=None,
                  on_time_rate=None, overdue=None, otp_p95_median_s=None, otp_p95_worst_s=None,
                  otp_p95_worst_centre=None, sync_lag_worst_s=None, sync_lag_worst_centre=None)


def _board(rows: list[tuple[str, str, str | None, int | None]]) -> pl.DataFrame:
    """(fingerprint, rule, centre_id, province) alert rows, all firing."""
    return pl.DataFrame(
        [(f, r, c, p, "firing", c) for f, r, c, p in rows],
        schema={"fingerprint": pl.String, "rule": pl.String, "centre_id": pl.String,
                "province_code": pl.Int64, "state": pl.String, "centre": pl.String},
        orient="row")


def _height(alerts: int, lagging: int) -> float:
    return alerts * wall_fit.ALERT_ROW_VH + lagging * wall_fit.LAG_ROW_VH


@pytest.mark.parametrize(("n_alerts", "n_lagging", "n_down"),
                         [(0, 0, 0), (1, 1, 0), (13, 10, 5), (40, 40, 40), (30, 2, 0),
                          (2, 30, 0), (0, 40, 3), (40, 0, 0)])
def test_fit_rows_never_exceeds_the_height_the_lists_have(n_alerts, n_lagging, n_down):
    alerts, lagging = wall_fit.fit_rows(n_alerts, n_lagging, n_down)
    assert 0 <= alerts <= n_alerts and 0 <= lagging <= n_lagging
    assert _height(alerts, lagging) <= wall_fit.rows_budget() + 1e-9
    # Nothing left unused that another row could take.
    spare = wall_fit.rows_budget() - _height(alerts, lagging)
    assert alerts == n_alerts or spare < wall_fit.ALERT_ROW_VH
    assert lagging == n_lagging or spare < wall_fit.LAG_ROW_VH


def test_fit_rows_names_every_down_centre_and_keeps_alerts_in_view():
    alerts, lagging = wall_fit.fit_rows(13, 10, 5)
    assert lagging >= 5 and alerts >= wall_fit.MIN_ALERT_ROWS
    alerts, lagging = wall_fit.fit_rows(13, 30, 30)  # a province-wide outage
    assert alerts >= wall_fit.MIN_ALERT_ROWS and lagging > 5


def test_badge_counts_the_page_own_status_and_folded_alert_board():
    board = _board([("centre_down|a", "centre_down", "a", 46),
                    ("centre_down|b", "centre_down", "b", 46),
                    ("sync_lag|c", "sync_lag", "c", 46)])
    assert wall_fit.counts(_kpis(2), board) == wall_fit.Counts(down=2, alerts=3)
    assert 'class="ioc-badge ioc-bad"' in wall_fit.badge_html(wall_fit.Counts(5, 8), VI)
    assert "5 ngừng" in wall_fit.badge_html(wall_fit.Counts(5, 8), VI)
    assert "8 cảnh báo" in wall_fit.badge_html(wall_fit.Counts(5, 8), VI)
    assert "1.283 cảnh báo" in html.unescape(wall_fit.badge_html(wall_fit.Counts(0, 1283), VI))
    assert "ioc-ok" in wall_fit.badge_html(wall_fit.Counts(0, 0), VI)
    assert "3 down" in wall_fit.badge_html(wall_fit.Counts(3, 1), i18n.text("en"))


def test_an_incident_counts_once_on_the_badge_as_on_the_list():
    board = _board([("incident|centre_down|46", "centre_down", None, 46),
                    ("centre_down|a", "centre_down", "a", 46),
                    ("centre_down|b", "centre_down", "b", 46)])
    from metrics.alerts.stats import INCIDENT_PREFIX

    board = board.with_columns(pl.col("fingerprint").str.replace(
        "^incident\\|", INCIDENT_PREFIX))
    assert wall_fit.counts(_kpis(2), board).alerts == 1


def test_lagging_rows_show_hostile_names_as_text_and_summarise_the_rest():
    lagging = pl.DataFrame({"name": list(HOSTILE), "status": [q.DOWN] * len(HOSTILE)})
    shown = wall_fit.lagging_rows_html(lagging, ["x"] * 3, VI, 3)
    for payload in HOSTILE[:2]:
        assert payload not in shown
    assert "&#60;script&#62;" in shown
    assert shown.count("<li") == 3 and "và 2 trung tâm khác" in shown


def test_a_wall_tile_span_has_one_unit():
    assert fmt.duration(25 * 60 + 27, "vi", parts=1) == "25 phút"
    assert fmt.duration(25 * 60 + 27, "vi") == "25 phút 27 giây"
    assert fmt.duration(2 * 86_400 + 5 * 3600, "en", parts=1) == "2 d"


def test_the_map_is_drawn_for_the_screen_height_with_type_scaled_to_it():
    assert wall_fit.map_size(1080) == (round(1080 * (wall_fit.BODY_VH - wall_fit.MAP_NOTE_VH)
                                             / 100), 1.0)
    height, scale = wall_fit.map_size(2160)
    assert scale == 2.0 and height == 2 * wall_fit.map_size(1080)[0]
    assert wall_fit.map_size(None) == wall_fit.map_size(1080)  # not measured yet
