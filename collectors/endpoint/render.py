"""*Pure*: the collector's state rendered once into the bytes every /metrics scrape serves.

collectors/endpoint/exposition.py keeps the latest poll of each centre (`CentreState`) and the
collector's own counters (`Health`); `centre_families` and `health_families` format them
line by line into `Family` values: the sample lines as bytes, and the family's header
in both formats prometheus_client negotiates. A sample line is the same in the
Prometheus text format (0.0.4) and OpenMetrics for gauges and counters without
timestamps (labels in name order; `\\`, newline and `"` escaped in label values; values
formatted as Go does, by prometheus_client's own `floatToGoString`), so only the
`# HELP`/`# TYPE` lines differ and a scrape joins the parts of its format instead of
formatting ~10⁵ lines again. The bytes are those prometheus_client's `generate_latest`
(either format) gives for the same families: tests/unit/test_exposition_text.py checks it.

A `Page` is one cycle's families. Its gzip form is compressed once per format (ahead
by the renderer, or by the first scrape that asks) up to a sync point; each scrape
copies that compressor and compresses only its own tail (what only the moment of the
scrape knows), so every response is one valid gzip member without compressing the
page again.
"""

from __future__ import annotations

import threading
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from prometheus_client.utils import floatToGoString

from config.catalogue import METRICS, PROMETHEUS_PREFIX, Kind, exposed_name

if TYPE_CHECKING:  # a type only: metrics does not import collectors
    from metrics.results import Sample

CENTRE_LABELS = ("centre", "centre_name", "province")  # in label-name order
OUTCOME_LABELS = ("outcome", "reason")
GZIP_LEVEL = 1  # compressed every cycle: the fastest level (≈ 1.3 × level 9's size)
GZIP_WBITS = 31  # zlib: a gzip header and trailer (16) over a 32 KiB window (15)


@dataclass(frozen=True, slots=True)
class CentreState:
    """A centre's latest poll and its poll counts; replaced at each cycle, never changed."""

    ts: float | None  # the latest poll actually made (a skipped one does not count)
    ok: bool
    duration_s: float
    samples: tuple[Sample, ...]  # the latest poll's, as validated
    last_ok_ts: float | None
    polls: int  # polls made (skipped ones excluded), since the collector started
    failed: int  # of which failed


@dataclass
class Health:
    """The collector's own counters and its latest cycle."""

    cycles: int = 0
    polls: Counter[tuple[str, str]] = field(default_factory=Counter)
    samples_written: int = 0
    rejected_values: int = 0
    write_s_total: float = 0.0
    last_cycle_s: float | None = None
    last_write_s: float | None = None
    last_cycle_end: float | None = None  # Unix seconds, when the cycle's write finished
    last_cycle_lag_s: float | None = None  # earliest poll start → write finished
    centres_polled: int = 0
    workers_restarted: int = 0
    worker_cpu_s: float = 0.0
    store_up: bool | None = None  # the latest cycle was written to the store (not spooled)


def escape_label(value: str) -> str:
    """A label value in either format: backslash, newline and double quote escaped."""
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


def centre_pairs(centre_id: str, name: str, province: str) -> list[str]:
    """A centre's label pairs (`centre="…"`, …), escaped, in label-name order."""
    return [f'{k}="{escape_label(v)}"'
            for k, v in zip(CENTRE_LABELS, (centre_id, name, province), strict=True)]


@dataclass(frozen=True, slots=True)
class Family:
    """One metric family: name (a counter's without `_total`), kind, help and its sample
    lines, formatted (each ends with a newline)."""

    name: str
    kind: str  # "gauge" or "counter"
    help: str
    lines: bytes

    @property
    def sample_name(self) -> str:
        return f"{self.name}_total" if self.kind == "counter" else self.name

    def header(self, openmetrics: bool) -> bytes:
        """`# HELP` and `# TYPE`: OpenMetrics names the family and escapes `"` in help;
        the text format names a counter by its sample name."""
        if openmetrics:
            name, text = self.name, escape_label(self.help)
        else:
            name, text = self.sample_name, self.help.replace("\\", r"\\").replace("\n", r"\n")
        return f"# HELP {name} {text}\n# TYPE {name} {self.kind}\n".encode()


def family(name: str, kind: str, help_text: str, lines: Iterable[str]) -> Family:
    """A family from formatted lines; a counter's name loses `_total`, as
    prometheus_client's CounterMetricFamily does."""
    if kind == "counter" and name.endswith("_total"):
        name = name[:-6]
    return Family(name, kind, help_text, "".join(lines).encode())


def one_value(name: str, kind: str, help_text: str, value: float) -> Family:
    """A family of one unlabelled sample."""
    f = family(name, kind, help_text, ())
    return Family(f.name, kind, help_text, f"{f.sample_name} {floatToGoString(value)}\n".encode())


def _kind(kind: Kind) -> str:
    return "counter" if kind is Kind.COUNTER else "gauge"


def centre_families(centres: Mapping[str, CentreState],
                    pairs_of: Callable[[str], list[str]]) -> Iterator[Family]:
    """The per-centre families: centres by id, then each catalogue metric with its samples
    in centre order and the poll's own order. `pairs_of` gives a centre's label pairs
    (`centre_pairs`)."""
    catalogue = {name: m for name, m in METRICS.items() if name != "up"}
    heads = {name: family(exposed_name(name), _kind(m.kind), "", ()).sample_name
             for name, m in catalogue.items()}
    # where a metric's own label (e.g. procedure) goes among the centre's, in name order
    where = {name: sorted([*CENTRE_LABELS, m.label]).index(m.label)
             for name, m in catalogue.items() if m.label}
    lines: dict[str, list[str]] = {name: [] for name in catalogue}
    own: dict[tuple[str, str], str] = {}  # (metric, label) → its escaped pair
    # value → its text: most values repeat across centres (-0.0 shows as 0.0, an equal value)
    shown: dict[float, str] = {}

    def fmt(value: float) -> str:
        text = shown.get(value)
        if text is None:
            text = shown[value] = floatToGoString(value)
        return text

    up, polled, last_ok, polls, failed = [], [], [], [], []
    u = exposed_name("up")
    p = f"{PROMETHEUS_PREFIX}centre_last_poll_timestamp_seconds"
    lo = f"{PROMETHEUS_PREFIX}centre_last_success_timestamp_seconds"
    pt = f"{PROMETHEUS_PREFIX}centre_polls_total"
    ft = f"{PROMETHEUS_PREFIX}centre_polls_failed_total"
    for cid in sorted(centres):
        st = centres[cid]
        pairs = pairs_of(cid)
        labels = ",".join(pairs)
        up.append(f"{u}{{{labels}}} {'1.0' if st.ok else '0.0'}\n")
        polls.append(f"{pt}{{{labels}}} {fmt(st.polls)}\n")
        failed.append(f"{ft}{{{labels}}} {fmt(st.failed)}\n")
        if st.ts is not None:
            polled.append(f"{p}{{{labels}}} {fmt(st.ts)}\n")
        if st.last_ok_ts is not None:
            last_ok.append(f"{lo}{{{labels}}} {fmt(st.last_ok_ts)}\n")
        # one value per (metric, label): a repeat within a poll replaces the first
        values = {(s.metric, s.label): s.value for s in st.samples}
        for key, value in values.items():
            metric = key[0]
            head = heads.get(metric)
            if head is None:  # `up` (above), or not in the catalogue
                continue
            at = where.get(metric)
            if at is None:
                lines[metric].append(f"{head}{{{labels}}} {fmt(value)}\n")
                continue
            pair = own.get(key)
            if pair is None:
                pair = own[key] = f'{catalogue[metric].label}="{escape_label(key[1])}"'
            text = ",".join([*pairs[:at], pair, *pairs[at:]])
            lines[metric].append(f"{head}{{{text}}} {fmt(value)}\n")
    yield family(u, "gauge", "1 if the centre's latest poll succeeded.", up)
    yield family(p, "gauge", "When the centre was last polled (Unix time; skipped polls do "
                 "not count).", polled)
    yield family(lo, "gauge", "When a poll of the centre last succeeded (Unix time).", last_ok)
    yield family(pt, "counter", "Polls of the centre made (skipped ones excluded).", polls)
    yield family(ft, "counter", "Polls of the centre that failed (skipped excluded).", failed)
    for name, m in catalogue.items():
        help_text = f"{name} ({m.family.value}, {m.unit}) from the centre's latest poll."
        yield family(exposed_name(name), _kind(m.kind), help_text, lines[name])


def health_families(h: Health) -> Iterator[Family]:
    """The collector's own families (all but what the scrape itself reads)."""
    c = f"{PROMETHEUS_PREFIX}collector_"
    yield one_value(f"{c}cycles", "counter", "Poll cycles completed.", h.cycles)
    yield family(f"{c}polls", "counter", "Centre polls by outcome and failure reason.",
                 [f'{c}polls_total{{outcome="{escape_label(outcome)}",reason='
                  f'"{escape_label(reason)}"}} {floatToGoString(n)}\n'
                  for (outcome, reason), n in sorted(h.polls.items())])
    yield one_value(f"{c}samples_written", "counter", "Samples written to the store.",
                    h.samples_written)
    yield one_value(f"{c}rejected_values", "counter",
                    "Values centres sent that failed validation.", h.rejected_values)
    yield one_value(f"{c}store_write_seconds", "counter",
                    "Seconds spent writing cycles to the store (sum).", h.write_s_total)
    yield one_value(f"{c}workers_restarted", "counter", "Poll worker processes restarted.",
                    h.workers_restarted)
    yield one_value(f"{c}worker_cpu_seconds", "counter", "CPU seconds used by poll workers.",
                    h.worker_cpu_s)
    yield one_value(f"{c}centres", "gauge", "Centres polled in the latest cycle.",
                    h.centres_polled)
    if h.store_up is not None:
        yield one_value(f"{c}store_up", "gauge", "1 if the latest cycle was written to the "
                        "store, 0 if the store was unreachable or too slow (the cycle was "
                        "spooled).", float(h.store_up))
    if h.last_cycle_s is not None:
        yield one_value(f"{c}cycle_duration_seconds", "gauge",
                        "The latest cycle's polling time.", h.last_cycle_s)
    if h.last_write_s is not None:
        yield one_value(f"{c}last_store_write_seconds", "gauge",
                        "The latest cycle's store write time.", h.last_write_s)
    if h.last_cycle_end is not None:
        yield one_value(f"{c}last_cycle_timestamp_seconds", "gauge",
                        "When the latest cycle's write finished (Unix time).", h.last_cycle_end)
    if h.last_cycle_lag_s is not None:
        yield one_value(f"{c}cycle_lag_seconds", "gauge",
                        "The latest cycle: from its first poll to its data being stored.",
                        h.last_cycle_lag_s)


def gzipped(chunks: Iterable[bytes]) -> bytes:
    """`chunks` as one gzip member, at GZIP_LEVEL."""
    z = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, GZIP_WBITS)
    return b"".join([*(z.compress(c) for c in chunks), z.flush()])


@dataclass
class Page:
    """One cycle's families as served: `generation` is the number of cycles it includes,
    `last_cycle_end` when the newest of them was written (Unix seconds; None before any)."""

    families: Sequence[Family]
    generation: int = 0
    last_cycle_end: float | None = None
    # format (True: OpenMetrics) → (the page compressed up to a sync point, the compressor)
    _gzip: dict[bool, tuple[bytes, Any]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def chunks(self, openmetrics: bool, names: set[str] | None = None) -> list[bytes]:
        """The families' bytes in order; with `names`, only families whose sample name
        is in it and that have samples (prometheus_client's `name[]` filter)."""
        out: list[bytes] = []
        for f in self.families:
            if names is not None and (f.sample_name not in names or not f.lines):
                continue
            out.append(f.header(openmetrics))
            out.append(f.lines)
        return out

    def gzip(self, openmetrics: bool, tail: bytes) -> list[bytes]:
        """The whole page followed by `tail`, as one gzip member (see the module doc)."""
        with self._lock:  # one compression per format and page, however many scrapes ask
            if openmetrics not in self._gzip:
                z = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, GZIP_WBITS)
                body = [z.compress(c) for c in self.chunks(openmetrics)]
                body.append(z.flush(zlib.Z_SYNC_FLUSH))
                self._gzip[openmetrics] = (b"".join(body), z)
            head, z = self._gzip[openmetrics]
        rest = z.copy()  # the page's compressor stays at its sync point for the next scrape
        return [head, rest.compress(tail) + rest.flush()]

    def warm(self, formats: Iterable[bool]) -> None:
        """Compress the page ahead of the scrapes for these formats (True: OpenMetrics)."""
        for openmetrics in formats:
            self.gzip(openmetrics, b"")
