"""The families rendered once per cycle are, byte for byte, what prometheus_client renders for
the same families, in both formats; gzip and the name[] filter keep that."""

from __future__ import annotations

import gzip
from collections import Counter

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.openmetrics.exposition import generate_latest as openmetrics_latest
from prometheus_client.parser import text_string_to_metric_families

from collectors.endpoint.render import (
    CENTRE_LABELS,
    CentreState,
    Health,
    Page,
    centre_families,
    centre_pairs,
    exposed_name,
    health_families,
)
from config.catalogue import METRICS, Kind
from metrics.results import Sample

NAMES = {
    "00001": ('Xã "A"\\ mới\nhai dòng', "Thành phố Huế"),  # a quote, a backslash, a newline
    "00002": ("Phường B", "Thành phố Huế"),
    "00003": ("Xã C", "Tỉnh Sơn La"),
}
# a healthy ward with a procedure counter, an unreachable commune, one never polled yet
CENTRES = {
    "00002": CentreState(1_000.5, True, 0.05, (
        Sample("up", 1.0), Sample("otp_p95_seconds", 12.5), Sample("dossiers_received_total", 4e7),
        Sample("dossiers_received_by_procedure_total", 7, "birth_registration"),
        Sample("dossiers_received_by_procedure_total", 2, "marriage"),
        Sample("otp_p95_seconds", 13.0),  # a repeat: the later value is the one shown
        Sample("not_in_the_catalogue", 1.0)), 1_000.5, 9, 1),
    "00001": CentreState(1_000.25, False, 1.0, (Sample("up", 0.0),), 900.0, 9, 2),
    "00003": CentreState(None, False, 0.0, (), None, 0, 0),
}
HEALTH = Health(cycles=3, polls=Counter({("ok", ""): 5, ("failed", "timeout"): 2,
                                         ("failed", "refused"): 0}),
                samples_written=40, rejected_values=1, write_s_total=0.75, last_cycle_s=1.5,
                last_write_s=0.25, last_cycle_end=1_004.0, last_cycle_lag_s=3.5,
                centres_polled=3, workers_restarted=1, worker_cpu_s=2.5, store_up=True)


def pairs(cid: str) -> list[str]:
    return centre_pairs(cid, *NAMES[cid])


def page() -> Page:
    return Page([*centre_families(CENTRES, pairs), *health_families(HEALTH)], 3, 1_004.0)


class Reference:
    """The same families built the prometheus_client way, to render with its own encoders."""

    def collect(self) -> list[Metric]:
        def labels(cid: str) -> list[str]:
            return [cid, *NAMES[cid]]

        up = GaugeMetricFamily("ioc_centre_up", "1 if the centre's latest poll succeeded.",
                               labels=CENTRE_LABELS)
        polled = GaugeMetricFamily("ioc_centre_last_poll_timestamp_seconds",
                                   "When the centre was last polled (Unix time; skipped "
                                   "polls do not count).", labels=CENTRE_LABELS)
        last_ok = GaugeMetricFamily("ioc_centre_last_success_timestamp_seconds",
                                    "When a poll of the centre last succeeded (Unix time).",
                                    labels=CENTRE_LABELS)
        polls = CounterMetricFamily("ioc_centre_polls",
                                    "Polls of the centre made (skipped ones excluded).",
                                    labels=CENTRE_LABELS)
        failed = CounterMetricFamily("ioc_centre_polls_failed",
                                     "Polls of the centre that failed (skipped excluded).",
                                     labels=CENTRE_LABELS)
        for cid in sorted(CENTRES):
            st = CENTRES[cid]
            up.add_metric(labels(cid), 1.0 if st.ok else 0.0)
            polls.add_metric(labels(cid), st.polls)
            failed.add_metric(labels(cid), st.failed)
            if st.ts is not None:
                polled.add_metric(labels(cid), st.ts)
            if st.last_ok_ts is not None:
                last_ok.add_metric(labels(cid), st.last_ok_ts)
        out: list[Metric] = [up, polled, last_ok, polls, failed]
        for name, m in METRICS.items():
            if name == "up":
                continue
            cls = CounterMetricFamily if m.kind is Kind.COUNTER else GaugeMetricFamily
            fam = cls(exposed_name(name),
                      f"{name} ({m.family.value}, {m.unit}) from the centre's latest poll.",
                      labels=[*CENTRE_LABELS, m.label] if m.label else CENTRE_LABELS)
            for cid in sorted(CENTRES):
                values = {(s.metric, s.label): s.value for s in CENTRES[cid].samples}
                for (metric, label), value in values.items():
                    if metric == name:
                        fam.add_metric([*labels(cid), label] if m.label else labels(cid), value)
            out.append(fam)
        c = "ioc_collector_"
        out.append(CounterMetricFamily(f"{c}cycles", "Poll cycles completed.", value=3))
        by_outcome = CounterMetricFamily(f"{c}polls", "Centre polls by outcome and failure "
                                         "reason.", labels=("outcome", "reason"))
        for key, n in sorted(HEALTH.polls.items()):
            by_outcome.add_metric(list(key), n)
        out.append(by_outcome)
        for name, text, value in (
            ("samples_written", "Samples written to the store.", 40),
            ("rejected_values", "Values centres sent that failed validation.", 1),
            ("store_write_seconds", "Seconds spent writing cycles to the store (sum).", 0.75),
            ("workers_restarted", "Poll worker processes restarted.", 1),
            ("worker_cpu_seconds", "CPU seconds used by poll workers.", 2.5),
        ):
            out.append(CounterMetricFamily(f"{c}{name}", text, value=value))
        for name, text, value in (
            ("centres", "Centres polled in the latest cycle.", 3),
            ("store_up", "1 if the latest cycle was written to the store, 0 if the store was "
             "unreachable or too slow (the cycle was spooled).", 1.0),
            ("cycle_duration_seconds", "The latest cycle's polling time.", 1.5),
            ("last_store_write_seconds", "The latest cycle's store write time.", 0.25),
            ("last_cycle_timestamp_seconds", "When the latest cycle's write finished (Unix "
             "time).", 1_004.0),
            ("cycle_lag_seconds", "The latest cycle: from its first poll to its data being "
             "stored.", 3.5),
        ):
            out.append(GaugeMetricFamily(f"{c}{name}", text, value=value))
        return out


def reference(openmetrics: bool, names: set[str] | None = None) -> bytes:
    registry = CollectorRegistry(support_collectors_without_names=True)
    registry.register(Reference())
    source = registry.restricted_registry(names) if names is not None else registry
    if openmetrics:
        return openmetrics_latest(source).removesuffix(b"# EOF\n")
    return generate_latest(source)


def test_rendered_page_is_what_prometheus_client_renders_in_the_text_format():
    text = b"".join(page().chunks(openmetrics=False))
    assert text == reference(openmetrics=False)
    families = {f.name: f for f in text_string_to_metric_families(text.decode())}
    assert {s.labels["centre_name"] for s in families["ioc_centre_up"].samples} == {
        NAMES[c][0] for c in CENTRES}  # the hostile name survives the round trip
    [otp] = families["ioc_otp_p95_seconds"].samples
    assert (otp.labels["centre"], otp.value) == ("00002", 13.0)
    procedures = {s.labels["procedure"]: s.value for s in
                  families["ioc_dossiers_received_by_procedure"].samples}
    assert procedures == {"birth_registration": 7, "marriage": 2}


def test_rendered_page_is_what_prometheus_client_renders_in_openmetrics():
    assert b"".join(page().chunks(openmetrics=True)) == reference(openmetrics=True)


def test_name_filter_keeps_what_prometheus_clients_filter_keeps():
    names = {"ioc_centre_up", "ioc_dossiers_received_total", "ioc_otp_sent_total",
             "ioc_collector_cycles_total", "ioc_collector_polls"}  # the last: not a sample name
    for openmetrics in (False, True):
        assert (b"".join(page().chunks(openmetrics, names))
                == reference(openmetrics, names))
    kept = text_string_to_metric_families(b"".join(page().chunks(False, names)).decode())
    # a family without samples (otp_sent) and a family name (polls) are left out
    assert {f.name for f in kept} == {"ioc_centre_up", "ioc_dossiers_received",
                                      "ioc_collector_cycles"}


def test_gzip_is_one_member_of_the_page_and_each_scrapes_own_tail():
    p = page()
    for openmetrics in (False, True):
        plain = b"".join(p.chunks(openmetrics))
        p.warm([openmetrics])
        for tail in (b"tail_one 1.0\n", b"tail_two 2.0\n# EOF\n", b""):
            assert gzip.decompress(b"".join(p.gzip(openmetrics, tail))) == plain + tail


def test_a_page_before_any_cycle_has_every_family_and_no_samples():
    empty = Page([*centre_families({}, pairs), *health_families(Health())])
    families = {f.name: f for f in
                text_string_to_metric_families(b"".join(empty.chunks(False)).decode())}
    assert {"ioc_centre_up", "ioc_otp_p95_seconds", "ioc_dossiers_received"} <= set(families)
    assert families["ioc_centre_up"].samples == []
    assert "ioc_collector_last_cycle_timestamp_seconds" not in families
