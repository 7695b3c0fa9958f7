"""Poll targets from settings and site files; the scheduler's small pure helpers."""

from __future__ import annotations

import threading
import time

import pytest

from collectors.polling.gate import YoungGate
from collectors.polling.scheduler import pack, unpack
from collectors.polling.targets import build_targets, shard
from collectors.service import next_tick, summarise
from config.loader import ConfigError
from config.registry import fleet
from config.settings import Settings, SiteFile
from metrics.results import ProbeResult, Reason, Sample

HUE = fleet("hue")


def test_build_targets_formats_the_endpoint_template_when_centre_has_no_url():
    settings = Settings.model_validate({"simulator": {"port": 8711}})
    target = build_targets(settings, HUE[:1])[0]
    assert target.centre_id == "19753"
    assert [(c.kind, c.url, c.path) for c in target.calls] == [
        ("json", "http://127.1.77.41:8711/c/19753/status", "/status")
    ]


def test_build_targets_uses_site_url_and_probes_when_site_file_gives_them():
    site = SiteFile.model_validate(
        {
            "province": 46,
            "centres": {
                "19753": {
                    "url": "https://pvhcc.phuxuan.example.vn/api/",
                    "probes": [
                        {"kind": "http", "path": "/health"},
                        {"kind": "prometheus", "path": "/metrics"},
                    ],
                }
            },
        }
    )
    first, second = build_targets(Settings(), HUE[:2], site)
    assert [c.url for c in first.calls] == [
        "https://pvhcc.phuxuan.example.vn/api/health",
        "https://pvhcc.phuxuan.example.vn/api/metrics",
    ]
    assert [c.kind for c in second.calls] == ["json"]


def test_build_targets_lists_every_problem_when_profiles_or_templates_are_bad():
    settings = Settings.model_validate(
        {
            "collector": {
                "endpoint_template": "http://{host}/c/{id}",
                "probes": [{"kind": "json", "path": "/status", "profile": "nope"}],
            }
        }
    )
    with pytest.raises(ConfigError) as info:
        build_targets(settings, HUE[:2])
    assert [p.where for p in info.value.problems] == ["centre 19753", "centre 19774"]
    settings = Settings.model_validate(
        {"collector": {"probes": [{"kind": "json", "path": "/status", "profile": "nope"}]}}
    )
    with pytest.raises(ConfigError, match="unknown mapping profile 'nope'"):
        build_targets(settings, HUE[:1])


def test_shard_deals_targets_round_robin_into_fixed_shards():
    targets = build_targets(Settings(), HUE[:5])
    shards = shard(targets, 2)
    assert [[t.centre_id for t in s] for s in shards] == [
        [HUE[0].id, HUE[2].id, HUE[4].id],
        [HUE[1].id, HUE[3].id],
    ]


def test_pack_round_trips_a_probe_result():
    r = ProbeResult(
        "19753",
        1.5,
        False,
        0.25,
        Reason.HTTP_STATUS,
        "HTTP 503",
        503,
        [Sample("up", 0.0), Sample("dossiers_open", 3.0, "")],
        ["x: bad"],
    )
    assert unpack(pack(r)) == r


@pytest.mark.parametrize(("now", "tick"), [(0.1, 15.0), (14.9, 15.0), (15.0, 30.0), (47.0, 60.0)])
def test_next_tick_stays_on_the_grid_and_skips_missed_ticks(now, tick):
    assert next_tick(0.0, 15.0, now) == tick


def test_summarise_counts_failures_by_reason():
    results = [
        ProbeResult("a", 0, True, 0.1),
        ProbeResult("b", 0, False, 3, Reason.TIMEOUT),
        ProbeResult("c", 0, False, 3, Reason.TIMEOUT),
        ProbeResult("d", 0, False, 0, Reason.REFUSED),
    ]
    assert summarise(results, 120, 3.21) == {
        "centres": 4,
        "ok": 1,
        "failed": {"refused": 1, "timeout": 2},
        "samples": 120,
        "cycle_s": 3.21,
    }


def test_young_gate_frees_slots_of_old_polls_once_when_reaped():
    gate = YoungGate(limit=1, young_s=0.0)
    first = gate.enter()
    assert gate.reap() == 1  # with young_s = 0 every poll is old at once
    second = gate.enter()  # would block without the reap
    gate.leave(first)  # already reaped: must not free the slot `second` holds
    waiter = threading.Thread(target=gate.enter, daemon=True)
    waiter.start()
    waiter.join(0.2)
    assert waiter.is_alive()  # still waiting for `second`'s slot
    gate.leave(second)
    waiter.join(10)
    assert not waiter.is_alive()


def test_young_gate_lets_at_most_limit_polls_in_when_many_threads_wait():
    gate = YoungGate(limit=3, young_s=60.0)
    inside = 0
    most = 0
    lock = threading.Lock()

    def poll() -> None:
        nonlocal inside, most
        token = gate.enter()
        with lock:
            inside += 1
            most = max(most, inside)
        time.sleep(0.01)
        with lock:
            inside -= 1
        gate.leave(token)

    threads = [threading.Thread(target=poll, daemon=True) for _ in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert not any(t.is_alive() for t in threads)
    assert most == 3
