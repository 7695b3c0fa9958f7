"""The briefing's loader reads only the polls that can make an incident (those of centres
with a failed poll since the previous conference), and the briefing is the one built from
every poll. Over a real seeded SQLite store, called directly."""

from __future__ import annotations

import polars as pl

from config.loader import load_settings
from config.scope import national
from dashboard.loaders import briefing as data_briefing
from dashboard.loaders import common as data
from dashboard.views import fmt
from metrics import briefing as br
from metrics.results import ProbeResult, Reason, Sample
from metrics.store import to_ms
from tests.fixtures.personas import BRIEFING_END, HEALTHY, UNREACHABLE

TZ = "Asia/Ho_Chi_Minh"


def test_briefing_reads_the_failing_centres_polls_and_says_the_same(seeded_store):
    seeded = seeded_store(hours=4, step_s=300)
    db = seeded.store
    healthy = seeded.ids(HEALTHY)
    blip, skipped = healthy[0], healthy[1]
    t = BRIEFING_END.timestamp()
    db.write([  # a timeout that recovered at the next poll, and a poll the collector skipped
        ProbeResult(blip, t - 38 * 60, False, 3.0, Reason.TIMEOUT, "timed out",
                    samples=[Sample("up", 0.0), Sample("probe_duration_seconds", 3.0)]),
        ProbeResult(skipped, t - 19 * 60, False, 0.0, Reason.SKIPPED, "no turn"),
    ])
    url = db.engine.url.render_as_string(hide_password=False)
    cfg = load_settings(env={"IOC_DB_URL": url})
    dash = cfg.dashboard
    at = BRIEFING_END
    previous = br.previous_briefing(at, br.parse_times(dash.briefing_times), TZ)
    day_start = fmt.local_midnight(at, TZ)
    frames = data_briefing.briefing_frames(url, data.newest_ms(url), to_ms(at),
                                           to_ms(day_start), to_ms(previous), "national")
    failing = set(seeded.ids(UNREACHABLE)) | {blip, skipped}
    assert set(frames.polls["centre_id"]) == failing  # not the 40 centres'
    every = db.polls(previous, at)
    assert every["centre_id"].n_unique() == 40
    assert frames.polls.drop("system_down").equals(
        every.filter(pl.col("centre_id").is_in(sorted(failing))))  # none reported itself down

    b = data_briefing.briefing_view(cfg, at, scope=national())
    status = data.wall_view(cfg, at, scope=national(), replay=True).status
    whole = br.build_from_increases(frames.centres, frames.counters, every, status,
                                    frames.alerts, at=at, previous=previous,
                                    day_start=day_start)
    assert b.incidents.equals(whole.incidents) and b.attention.equals(whole.attention)
    assert {blip, skipped} <= set(b.incidents["centre_id"])
    assert b.incidents.filter(pl.col("centre_id") == blip)["ongoing"].to_list() == [False]
