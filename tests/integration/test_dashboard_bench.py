"""`ioc bench dashboard` against a small generated history (SQLite): every page is timed,
and the history is read through the roll-ups, never as a page's raw samples."""

from __future__ import annotations

import argparse

from bench.history import generate
from bench.pages import COMMUNE_RANGES, run_dashboard_bench
from config.loader import load_settings
from config.registry import fleet

PAGES = {"wall", *(f"commune_{r}" for r in COMMUNE_RANGES), "finder", "kpi_today",
         "kpi_month", "briefing", "alerts"}


def test_dashboard_bench_times_every_page_from_rollups(tmp_path):
    made = generate("hue", 35, centres=fleet("hue")[:3], folder=tmp_path, processes=1,
                    raw_hours=1, raw_step_s=60, five_min_days=2)
    args = argparse.Namespace(fleet="hue", days=35.0, db_url=made["url"], workdir=None)
    got = run_dashboard_bench(args, load_settings())
    assert set(got["pages"]) == PAGES
    assert got["centres"] == 3 and got["generated"] is None  # read as it was, not rebuilt
    for name, page in got["pages"].items():
        assert page["rows"] > 0, name
        assert {"cold_ms", "warm_ms", "new_poll_ms", "cached_ms"} <= page.keys()
    reads = {name: {(r["read"], r["resolution"]) for r in page["reads"]}
             for name, page in got["pages"].items()}
    assert ("series", "1h") in reads["commune_30d"] and ("series", "5m") in reads["commune_6h"]
    # Today and closed whole local days read the daily roll-up (live, Huế's days).
    assert reads["kpi_month"] == {("increases", "1d")} == reads["kpi_today"]
    assert ("increases", "1d") in reads["wall"]
    # The wall (and the briefing, which shows the wall's state) reads raw `up`/`system_state`
    # only for when its down centres went down (a centre the history's open alerts hold
    # down); the finder's availability reads polls.
    for name in ("kpi_today", "kpi_month",
                 *(f"commune_{r}" for r in COMMUNE_RANGES)):
        assert ("samples", "raw") not in reads[name], name
    # The briefing is at a whole minute, before the newest poll: its today reads raw samples
    # only from the start of the 5-minute bucket holding it (metrics/today.py).
    raw = [r for r in got["pages"]["briefing"]["reads"]
           if r["read"] == "samples" and r["rows"] is None]  # today_increases' reads
    assert all(r["span_h"] <= 5 / 60 for r in raw), raw
