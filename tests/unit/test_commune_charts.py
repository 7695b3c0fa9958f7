"""The drill-down's figures: gaps stay gaps, centre text is escaped, local times and
Vietnamese separators, and each figure is built in one step (no class churn)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from dashboard.views import commune_charts as charts
from tests.conftest import classes_made

TZ = "Asia/Ho_Chi_Minh"
END = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # 10:00 in Huế
START = END - timedelta(hours=1)


def buckets(values: list[float | None]) -> pl.DataFrame:
    times = [START + timedelta(minutes=5 * i) for i in range(len(values))]
    return pl.DataFrame({"bucket": times, "value": values},
                        schema={"bucket": pl.Datetime("us", TZ), "value": pl.Float64})


def increases(values: list[float]) -> pl.DataFrame:
    frame = buckets([float(v) for v in values])
    return frame.rename({"value": "increase"})


def test_a_gap_stays_a_gap_and_values_are_scaled():
    fig = charts.line_chart([("Trung tâm", buckets([0.5, None, 1.0]), "#4ea1ff", False)],
                            "Sẵn sàng", "%", "vi", START, END, TZ, scale=100)
    (trace,) = fig.data
    assert list(trace.y) == [50.0, None, 100.0]
    assert trace.connectgaps is False


def test_empty_series_draw_no_trace_and_dashed_lines_are_dashed():
    fig = charts.line_chart([("a", buckets([1.0]), "#fff", True), ("b", buckets([]), "#000",
                                                                     False)],
                            "t", "s", "vi", START, END, TZ)
    assert [t.name for t in fig.data] == ["a"]
    assert fig.data[0].line.dash == "dash"


def test_times_are_local_and_the_range_is_the_chosen_one():
    fig = charts.line_chart([("a", buckets([1.0]), "#fff", False)], "t", "s", "vi",
                            START, END, TZ)
    assert fig.data[0].x[0] == datetime(2026, 11, 27, 9, 0)  # 02:00 UTC drawn as 09:00
    assert list(fig.layout.xaxis.range) == [datetime(2026, 11, 27, 9), datetime(2026, 11, 27, 10)]


def test_centre_text_is_escaped_in_names_titles_and_labels():
    hostile = '<img src=x onerror="alert(1)">'
    line = charts.line_chart([(hostile, buckets([1.0]), "#fff", False)], hostile, "s", "vi",
                             START, END, TZ)
    mix = charts.mix_chart([hostile, "Khai sinh"], [3, 5], hostile, "vi")
    texts = [line.data[0].name, line.layout.title.text, mix.layout.title.text, *mix.data[0].y]
    assert all("<img" not in t for t in texts)
    assert "&lt;img" in line.data[0].name


def test_separators_follow_the_language():
    vi = charts.bar_chart([("Tiếp nhận", increases([1]), "#fff")], "t", "hồ sơ", "vi",
                          START, END, TZ)
    en = charts.bar_chart([("Received", increases([1]), "#fff")], "t", "dossiers", "en",
                          START, END, TZ)
    assert (vi.layout.separators, en.layout.separators) == (",.", ".,")
    assert vi.layout.barmode == "group"
    assert vi.data[0].marker.color == "#fff"


def test_the_mix_puts_the_largest_on_top_and_grows_with_its_labels():
    fig = charts.mix_chart(["Khai sinh", "Kết hôn"], [9, 4], "t", "vi")
    assert list(fig.data[0].y) == ["Kết hôn", "Khai sinh"]  # plotly draws y bottom-up
    assert list(fig.data[0].x) == [4, 9]
    tall = charts.mix_chart([f"p{i}" for i in range(30)], list(range(30)), "t", "vi")
    assert tall.layout.height > fig.layout.height == charts.HEIGHT


def test_building_a_page_of_figures_creates_no_classes():
    """Setting a layout on a built figure makes plotly parse each key path, and that
    defines a class per path (`chomp_empty_strings`): hundreds per page, a type object
    and its dicts each, left for the garbage collector. One constructor call does not."""
    frame, bars = buckets([1.0, 2.0]), increases([1, 2])

    def page() -> None:
        for _ in range(3):
            charts.line_chart([("a", frame, "#fff", False), ("b", frame, "#aaa", True)], "t",
                              "s", "vi", START, END, TZ)
            charts.bar_chart([("r", bars, "#fff"), ("l", bars, "#f00")], "t", "d", "en",
                             START, END, TZ)
            charts.mix_chart(["a", "b"], [1, 2], "t", "vi")

    page()  # plotly's first figure loads its classes
    assert classes_made(page) == 0
