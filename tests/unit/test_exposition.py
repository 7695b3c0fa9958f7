"""The /metrics exposition built from synthetic cycles, read back by Prometheus's own parser:
rendered once per cycle (by its renderer thread, or by the scrape when none runs), with what
only the scrape knows (the age of the newest write, the process) read at scrape time."""

from __future__ import annotations

import gzip
import logging
import threading

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families as om_families
from prometheus_client.parser import text_string_to_metric_families

from collectors.endpoint import exposition as exposition_module
from collectors.endpoint.exposition import Exposition, exposed_name
from collectors.polling.scheduler import Cycle
from config.registry import Centre
from metrics.results import ProbeResult, Reason, Sample

CENTRES = [
    Centre("00001", 'Xã "A"\\ mới\nhai dòng', "xã", 46, "Thành phố Huế", "a"),
    Centre("00002", "Phường B", "phường", 46, "Thành phố Huế", "b"),
]


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def ok(cid: str, ts: float, **values: float) -> ProbeResult:
    samples = [Sample(k, v) for k, v in values.items()]
    samples.append(Sample("dossiers_received_by_procedure_total", 7, "birth_registration"))
    return ProbeResult(cid, ts, True, 0.05, samples=samples)


def failed(cid: str, ts: float, reason: Reason) -> ProbeResult:
    return ProbeResult(cid, ts, False, 1.0, reason=reason)


def scrape(exp: Exposition, accept: str | None = None, encoding: str | None = None) -> dict:
    headers, body = exp.respond(accept, encoding)
    data = b"".join(body)
    assert dict(headers)["Content-Length"] == str(len(data))
    if dict(headers).get("Content-Encoding") == "gzip":
        data = gzip.decompress(data)
    if dict(headers)["Content-Type"].startswith("application/openmetrics-text"):
        return {f.name: f for f in om_families(data.decode())}
    return {f.name: f for f in text_string_to_metric_families(data.decode())}


def samples(families, name: str) -> dict[tuple, float]:
    return {
        tuple(sorted(s.labels.items())): s.value
        for s in families[name].samples
        if s.name == name or s.name == f"{name}_total"
    }


def test_latest_values_per_centre_with_labels_and_types():
    clock = Clock(1_000.0)
    exp = Exposition(CENTRES, clock=clock)
    exp.after_cycle(Cycle([ok("00001", 990.0, otp_p95_seconds=12.5, dossiers_received_total=40),
                           failed("00002", 990.0, Reason.TIMEOUT)], 1.5, 0.2, 0),
                    {"samples": 3}, 0.25)
    clock.now = 1_004.0
    fam = scrape(exp)

    up = samples(fam, "ioc_centre_up")
    assert up == {
        (("centre", "00001"), ("centre_name", CENTRES[0].name), ("province", "Thành phố Huế")): 1,
        (("centre", "00002"), ("centre_name", "Phường B"), ("province", "Thành phố Huế")): 0,
    }  # a name with quotes, a backslash and a newline survives the text format
    assert fam["ioc_otp_p95_seconds"].type == "gauge"
    assert list(samples(fam, "ioc_otp_p95_seconds").values()) == [12.5]
    assert fam["ioc_dossiers_received"].type == "counter"
    by_proc = fam["ioc_dossiers_received_by_procedure"].samples
    assert [s.labels["procedure"] for s in by_proc] == ["birth_registration"]
    # the failed centre has no stale values, only up = 0
    assert all(s.labels["centre"] == "00001" for s in fam["ioc_otp_p95_seconds"].samples)

    polls = samples(fam, "ioc_collector_polls")
    assert polls[(("outcome", "ok"), ("reason", ""))] == 1
    assert polls[(("outcome", "failed"), ("reason", "timeout"))] == 1
    assert polls[(("outcome", "failed"), ("reason", "refused"))] == 0  # present from the start
    assert samples(fam, "ioc_collector_samples_written") == {(): 3}
    assert samples(fam, "ioc_collector_cycle_duration_seconds") == {(): 1.5}
    assert samples(fam, "ioc_collector_newest_write_age_seconds") == {(): 4.0}
    assert samples(fam, "ioc_collector_cycle_lag_seconds") == {(): 10.0}
    assert samples(fam, "ioc_collector_last_cycle_timestamp_seconds") == {(): 1_000.0}
    assert "process_cpu_seconds" in fam


def test_counters_accumulate_and_skipped_polls_do_not_count_as_polls():
    clock = Clock(100.0)
    exp = Exposition(CENTRES, clock=clock)
    exp.after_cycle(Cycle([ok("00001", 90.0), failed("00002", 90.0, Reason.REFUSED)],
                          1, 0, 0), {"samples": 1}, 0.1)
    exp.after_cycle(Cycle([failed("00001", 95.0, Reason.SKIPPED),
                           failed("00002", 95.0, Reason.REFUSED)], 1, 0, 2),
                    {"samples": 0}, 0.1)
    fam = scrape(exp)
    polls = {k[0][1]: v for k, v in samples(fam, "ioc_centre_polls").items()}
    failed_ = {k[0][1]: v for k, v in samples(fam, "ioc_centre_polls_failed").items()}
    assert polls == {"00001": 1, "00002": 2} and failed_ == {"00001": 0, "00002": 2}
    last_poll = {k[0][1]: v for k, v in
                 samples(fam, "ioc_centre_last_poll_timestamp_seconds").items()}
    assert last_poll == {"00001": 90.0, "00002": 95.0}
    last_ok = {k[0][1]: v for k, v in
               samples(fam, "ioc_centre_last_success_timestamp_seconds").items()}
    assert last_ok == {"00001": 90.0}
    assert samples(fam, "ioc_collector_cycles") == {(): 2}
    assert samples(fam, "ioc_collector_workers_restarted") == {(): 2}


def test_before_any_cycle_the_exposition_is_valid_and_says_so():
    fam = scrape(Exposition(CENTRES))
    assert samples(fam, "ioc_collector_cycles") == {(): 0}
    assert "ioc_collector_last_cycle_timestamp_seconds" not in fam
    assert samples(fam, "ioc_centre_up") == {}


def test_exposed_names():
    assert exposed_name("up") == "ioc_centre_up"
    assert exposed_name("sync_lag_seconds") == "ioc_sync_lag_seconds"


def centre_values(families, name: str) -> dict[str, float]:
    return {s.labels["centre"]: s.value for s in families[name].samples
            if s.name in (name, f"{name}_total")}


def test_a_scrape_after_a_new_cycle_shows_that_cycle_and_nothing_older():
    clock = Clock(100.0)
    exp = Exposition(CENTRES, clock=clock)
    exp.after_cycle(Cycle([ok("00001", 90.0, otp_p95_seconds=12.5), ok("00002", 90.0)],
                          1, 0, 0), {"samples": 4}, 0.1)
    first = scrape(exp)
    assert centre_values(first, "ioc_otp_p95_seconds") == {"00001": 12.5}
    clock.now = 110.0
    exp.after_cycle(Cycle([failed("00001", 105.0, Reason.TIMEOUT),
                           ok("00002", 105.0, otp_p95_seconds=3.0)], 1, 0, 0),
                    {"samples": 2}, 0.1)
    second = scrape(exp)
    assert centre_values(second, "ioc_otp_p95_seconds") == {"00002": 3.0}  # 00001's is gone
    assert centre_values(second, "ioc_centre_up") == {"00001": 0, "00002": 1}
    assert centre_values(second, "ioc_centre_last_poll_timestamp_seconds") == {
        "00001": 105.0, "00002": 105.0}
    assert samples(second, "ioc_collector_cycles") == {(): 2}
    assert samples(second, "ioc_collector_samples_written") == {(): 6}


def test_a_page_served_long_after_the_last_cycle_says_how_old_it_is():
    clock = Clock(1_000.0)
    exp = Exposition(CENTRES, clock=clock)
    exp.start()
    try:
        exp.after_cycle(Cycle([ok("00001", 995.0, otp_p95_seconds=12.5)], 1, 0, 0),
                        {"samples": 3}, 0.1)
        fresh = scrape(exp)
        clock.now = 1_600.0  # ten minutes without a cycle: the collector is stuck
        late = scrape(exp)
    finally:
        exp.close()
    assert samples(fresh, "ioc_collector_newest_write_age_seconds") == {(): 0.0}
    assert samples(late, "ioc_collector_newest_write_age_seconds") == {(): 600.0}
    # the values keep the time they were polled at: a rule on time() - timestamp sees them stale
    assert samples(late, "ioc_collector_last_cycle_timestamp_seconds") == {(): 1_000.0}
    assert centre_values(late, "ioc_centre_last_poll_timestamp_seconds") == {"00001": 995.0}
    assert centre_values(late, "ioc_otp_p95_seconds") == {"00001": 12.5}


def test_openmetrics_and_gzip_carry_the_same_samples_as_the_plain_text():
    exp = Exposition(CENTRES, clock=Clock(100.0))
    exp.after_cycle(Cycle([ok("00001", 90.0, otp_p95_seconds=12.5),
                           failed("00002", 90.0, Reason.REFUSED)], 1, 0, 0), {"samples": 3}, 0.1)
    plain = scrape(exp)
    for accept in (None, "application/openmetrics-text; version=1.0.0"):
        for _ in range(2):  # the second scrape reuses the page's compressed form
            served = scrape(exp, accept, "gzip")
            for name in ("ioc_centre_up", "ioc_otp_p95_seconds", "ioc_centre_polls"):
                assert centre_values(served, name) == centre_values(plain, name), (accept, name)
            assert samples(served, "ioc_collector_cycles") == {(): 1}
            assert "process_cpu_seconds" in served


def test_the_cycle_loop_never_waits_for_a_render_and_cycles_meanwhile_fold_into_one(monkeypatch):
    release, rendering = threading.Event(), threading.Event()
    renders: list[int] = []
    real = exposition_module.centre_families

    def slow(centres, pairs_of):
        renders.append(len(centres))
        rendering.set()
        release.wait(30)
        return real(centres, pairs_of)

    monkeypatch.setattr(exposition_module, "centre_families", slow)
    exp = Exposition(CENTRES, clock=Clock(100.0))
    exp.start()
    try:
        assert rendering.wait(10)  # the first page (no cycle yet) is being rendered, held
        loop = threading.Thread(target=lambda: [
            exp.after_cycle(Cycle([ok("00001", 90.0 + k), ok("00002", 90.0 + k)], 1, 0, 0),
                            {"samples": 2}, 0.1) for k in range(3)])
        loop.start()
        loop.join(10)
        assert not loop.is_alive()  # three cycles recorded while the render was held
        release.set()
        fam = scrape(exp)
    finally:
        release.set()
        exp.close()
    assert samples(fam, "ioc_collector_cycles") == {(): 3}
    assert centre_values(fam, "ioc_centre_last_poll_timestamp_seconds") == {
        "00001": 92.0, "00002": 92.0}
    assert renders == [0, 2]  # the held page, then one page for the three cycles


def test_a_failing_render_keeps_the_last_page_and_the_next_cycle_renders_again(
        monkeypatch, caplog):
    caplog.set_level(logging.INFO, logger="ioc.exposition")
    real = exposition_module.centre_families
    exp = Exposition(CENTRES, clock=Clock(100.0))
    exp.start()
    try:
        exp.after_cycle(Cycle([ok("00001", 90.0)], 1, 0, 0), {"samples": 2}, 0.1)
        assert samples(scrape(exp), "ioc_collector_cycles") == {(): 1}

        def broken(centres, pairs_of):
            raise RuntimeError("a bug in rendering")

        monkeypatch.setattr(exposition_module, "centre_families", broken)
        exp.after_cycle(Cycle([ok("00001", 95.0)], 1, 0, 0), {"samples": 2}, 0.1)
        kept = scrape(exp)
        monkeypatch.setattr(exposition_module, "centre_families", real)
        exp.after_cycle(Cycle([ok("00001", 100.0)], 1, 0, 0), {"samples": 2}, 0.1)
        again = scrape(exp)
    finally:
        exp.close()
    assert samples(kept, "ioc_collector_cycles") == {(): 1}  # the last page that rendered
    assert samples(again, "ioc_collector_cycles") == {(): 3}
    assert [r.getMessage() for r in caplog.records if "rendering /metrics" in r.getMessage()] \
        == ["rendering /metrics failed; the previous cycle's page is served until a render "
            "works", "rendering /metrics works again"]


@pytest.mark.parametrize("names", [["ioc_centre_up"], ["ioc_collector_cycles_total",
                                                      "process_cpu_seconds_total"]])
def test_name_filter_serves_only_the_named_series(names):
    exp = Exposition(CENTRES, clock=Clock(100.0))
    exp.after_cycle(Cycle([ok("00001", 90.0)], 1, 0, 0), {"samples": 2}, 0.1)
    for encoding in (None, "gzip"):
        _, body = exp.respond(None, encoding, names)
        data = b"".join(body)
        text = (gzip.decompress(data) if encoding else data).decode()
        served = {s.name for f in text_string_to_metric_families(text) for s in f.samples}
        assert served == set(names)
