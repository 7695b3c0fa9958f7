"""Poll one centre once: every probe of its target, retries, validation → one ProbeResult.

Runs in a worker thread. Never raises for anything a centre does: every
outcome, failures included, is a `ProbeResult`. Retries happen only where
they can help (refused or reset connections, 5xx answers), after a short
backoff, and never past the cycle's deadline: each attempt's timeouts are cut
to the time left before it. Whether a failure is real is decided apart, over a
confirmation window (collectors/polling/confirm.py); the worker re-probes on that schedule.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import requests

from collectors.polling.http import fetch
from collectors.polling.targets import Target
from collectors.probes import PROBES
from collectors.probes.outcome import Fetched
from collectors.validate import Reading, bound_rejections, probe_samples, validate
from config import catalogue
from metrics.results import ProbeResult, Reason

MIN_ATTEMPT_S = 0.25  # an attempt with less time than this left is not started
# Failures that say the host is not answering at all: the centre's other probes are skipped.
UNREACHABLE = (Reason.TIMEOUT, Reason.REFUSED, Reason.SKIPPED)


@dataclass(frozen=True, slots=True)
class PollOptions:
    connect_timeout_s: float
    timeout_s: float
    max_body_bytes: int
    retries: int
    backoff_s: float = 0.1
    confirm_window_s: float = 4.0  # a failure is real once it has lasted this long
    reprobe_after_s: tuple[float, ...] = (1.0, 4.0)  # after a run's first failure
    # The deployment's own catalogue metrics: a spawned worker registers them before polling.
    site_metrics: tuple[catalogue.Metric, ...] = ()

    @classmethod
    def from_settings(cls, collector) -> PollOptions:
        """Options from `collector` settings and the deployment metrics registered in this
        process (a spawned worker registers them in its own)."""
        return cls(
            collector.connect_timeout_s,
            collector.timeout_s,
            collector.max_body_bytes,
            collector.retries,
            confirm_window_s=collector.confirm_window_s,
            reprobe_after_s=tuple(collector.reprobe_after_s),
            site_metrics=catalogue.site_metrics(),
        )


def fetch_with_retries(
    session: requests.Session,
    url: str,
    opts: PollOptions,
    deadline: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Fetched:
    """GET `url`, retrying a retryable failure while the deadline leaves room.

    `deadline` is on the `clock` (monotonic seconds). With no time left for a
    first attempt the answer is a `skipped` failure.
    """
    attempt = 0
    while True:
        left = deadline - clock()
        if left < MIN_ATTEMPT_S:
            return Fetched(0.0, reason=Reason.SKIPPED, detail="the cycle's deadline passed first")
        got = fetch(
            session,
            url,
            connect_timeout=min(opts.connect_timeout_s, left),
            read_timeout=min(opts.timeout_s, left),
            max_body_bytes=opts.max_body_bytes,
            deadline=time.monotonic() + min(opts.connect_timeout_s + opts.timeout_s, left),
        )
        if got.reason is Reason.TIMEOUT and left < opts.timeout_s:
            got = Fetched(
                got.elapsed_s,
                got.status,
                reason=Reason.TIMEOUT,
                detail=f"{got.detail} (cut to {left:.2f} s by the cycle's deadline)",
            )
        if not got.retryable or attempt >= opts.retries:
            return got
        pause = opts.backoff_s * 2**attempt
        if deadline - clock() - pause < MIN_ATTEMPT_S:
            return got
        sleep(pause)
        attempt += 1


def poll_centre(
    session: requests.Session, target: Target, opts: PollOptions, deadline: float
) -> ProbeResult:
    """Poll every probe of `target` once and merge them into one validated result."""
    return _poll_once(session, target, opts, deadline)


def _poll_once(
    session: requests.Session, target: Target, opts: PollOptions, deadline: float
) -> ProbeResult:
    ts = time.time()
    started = time.monotonic()
    readings: list[Reading] = []
    rejected: list[str] = []
    failure: tuple[Reason, str] | None = None
    status: int | None = None
    for call in target.calls:
        out = PROBES[call.kind](
            lambda url: fetch_with_retries(session, url, opts, deadline),
            call.url,
            target.expected_id,
            call.mapping,
        )
        readings += out.readings
        rejected += out.rejected
        if out.http_status is not None and (status is None or not 200 <= out.http_status < 300):
            status = out.http_status
        if out.reason is not None:
            if failure is None:
                where = call.path if len(target.calls) > 1 else ""
                failure = (out.reason, f"{where}: {out.detail}" if where else out.detail)
            if out.reason in UNREACHABLE:
                break
    duration = time.monotonic() - started
    if failure is not None and failure[0] is Reason.SKIPPED and not readings:
        return skipped(target, ts, failure[1])
    samples, refused = validate(readings)
    ok = failure is None
    samples += probe_samples(ok, duration)
    listed, more = bound_rejections(rejected + refused)
    return ProbeResult(
        target.centre_id,
        round(ts, 3),
        ok,
        duration,
        None if failure is None else failure[0],
        "" if failure is None else failure[1],
        status,
        samples,
        listed,
        rejected_more=more,
    )


def skipped(target: Target, ts: float, detail: str) -> ProbeResult:
    """A centre that never got its turn this cycle: no samples, since nothing was observed
    (a gap in collection is absent rows, never an `up = 0`)."""
    return ProbeResult(target.centre_id, round(ts, 3), False, 0.0, Reason.SKIPPED, detail)
