"""The /metrics exposition built from synthetic cycles, read back by Prometheus's own parser."""

from __future__ import annotations

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from collectors.base import ProbeResult, Reason, Sample
from collectors.scheduler import Cycle
from config.registry import Centre
from metrics.exposition import Exposition, exposed_name, registry_for

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


def scrape(exp: Exposition) -> dict[str, list]:
    text = generate_latest(registry_for(exp)).decode()
    return {f.name: f for f in text_string_to_metric_families(text)}


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
