"""The imperative shell of polling: long-lived worker processes, each with a thread pool.

Each worker process owns a fixed shard of the targets and one pooled Session,
so its keep-alive connections are reused cycle after cycle. The parent sends
"poll now, deadline D" (D on the system-wide monotonic clock) and gathers
compact results. One failing centre never stops the others; a worker that
dies or does not answer in time is restarted and its shard reported as
`skipped` for that cycle, never a crash of the collector.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import os
import signal
import time
import traceback
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait

from collectors.base import ProbeResult, Reason, Sample
from collectors.gate import YoungGate
from collectors.poll import PollOptions, poll_centre, skipped
from collectors.targets import Target, shard

log = logging.getLogger("ioc.collector")

START_TIMEOUT_S = 120.0  # a spawned worker imports requests, pydantic, numpy…
GRACE_S = 2.0  # beyond deadline + timeout: a worker this late is stuck

BUSY_LIMIT = 32  # polls busy at once per worker (collectors.gate)
YOUNG_S = 0.2  # a poll running longer is waiting on its centre, not using CPU
SLOW_S = 0.5  # a poll this long (or a timeout) puts the centre first in the next cycle
SLOW_REASONS = (Reason.TIMEOUT.value, Reason.SKIPPED.value)
Packed = tuple  # a ProbeResult as plain tuples: cheap to pickle and to rebuild


def pack(r: ProbeResult) -> Packed:
    return (
        r.centre_id,
        r.ts,
        r.ok,
        r.duration_s,
        r.reason.value if r.reason else None,
        r.detail,
        r.http_status,
        [(s.metric, s.value, s.label) for s in r.samples],
        r.rejected,
        r.confirmed,
        r.rejected_more,
    )


def unpack(p: Packed) -> ProbeResult:
    cid, ts, ok, duration, reason, detail, status, samples, rejected, confirmed, more = p
    return ProbeResult(
        cid,
        ts,
        ok,
        duration,
        Reason(reason) if reason else None,
        detail,
        status,
        [Sample(m, v, lab) for m, v, lab in samples],
        rejected,
        confirmed,
        more,
    )


def _poll_safe(
    session, target: Target, opts: PollOptions, deadline: float, gate: YoungGate | None,
    confirm: bool = False,
) -> Packed:
    """poll_centre (through the gate, if any), with a collector bug recorded against this
    centre only."""
    token = gate.enter() if gate else None
    try:
        return pack(poll_centre(session, target, opts, deadline, confirm))
    except Exception as exc:  # a collector bug must not lose the other centres
        traceback.print_exc()
        return pack(
            ProbeResult(
                target.centre_id,
                round(time.time(), 3),
                False,
                0.0,
                Reason.BAD_PAYLOAD,
                f"collector error: {type(exc).__name__}: {str(exc)[:120]}",
            )
        )
    finally:
        if gate is not None and token is not None:
            gate.leave(token)


def _gather(futures: list[Future], gate: YoungGate) -> list[Packed]:
    """Every future's result, in order, reaping the gate while waiting."""
    out = []
    for f in futures:
        while True:
            try:
                out.append(f.result(timeout=gate.young_s / 2))
                break
            except FutureTimeout:
                gate.reap()
    return out


def _worker_main(
    conn: Connection, targets: list[Target], opts: PollOptions, concurrency: int
) -> None:
    """A worker process: poll its shard whenever asked, until told to stop or orphaned."""
    # The parent coordinates shutdown (it finishes the cycle and its write first): a
    # Ctrl-C or SIGTERM sent to the whole process group must not kill workers mid-cycle.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    from collectors.http import make_session
    from metrics.catalogue import register

    register(opts.site_metrics)  # a spawned worker starts with the built-in catalogue only
    session = make_session(hosts=len(targets) + 16)
    slow: set[str] = set()
    failed: set[str] = set()  # failed last cycle: already confirmed, not re-probed again
    gate = YoungGate(min(concurrency, BUSY_LIMIT), YOUNG_S)
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="poll") as pool:
        conn.send(("ready", os.getpid()))
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                return  # the parent is gone
            if message[0] != "poll":
                return
            deadline = message[1]
            only = message[2] if len(message) > 2 else None  # centre ids, or None: all
            mine = [i for i, t in enumerate(targets) if only is None or t.centre_id in only]
            cpu = time.process_time()
            # Centres slow last cycle go first, so their waits overlap the rest of the work
            # instead of adding a timeout at the end of the cycle.
            # They also bypass the gate: they are expected to wait, not to work.
            order = sorted(mine, key=lambda i: targets[i].centre_id not in slow)
            futures = {
                i: pool.submit(
                    _poll_safe,
                    session,
                    targets[i],
                    opts,
                    deadline,
                    None if targets[i].centre_id in slow else gate,
                    targets[i].centre_id not in failed,
                )
                for i in order
            }
            packed = _gather([futures[i] for i in mine], gate)
            slow = {p[0] for p in packed if p[3] > SLOW_S or p[4] in SLOW_REASONS}
            failed = {p[0] for p in packed if not p[2] and p[4] != Reason.SKIPPED.value}
            try:
                conn.send((packed, time.process_time() - cpu))
            except (BrokenPipeError, OSError):
                return


@dataclass(slots=True)
class Cycle:
    """One cycle's outcome: every centre's result, in target order, and what it cost."""

    results: list[ProbeResult]
    poll_s: float
    worker_cpu_s: float
    restarted: int


class _Worker:
    def __init__(self, ctx, index: int, targets: list[Target], opts: PollOptions, concurrency: int):
        self.index = index
        self.targets = targets
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(
            target=_worker_main,
            args=(child, targets, opts, concurrency),
            name=f"ioc-collector-{index}",
            daemon=True,
        )
        self.proc.start()
        child.close()

    def stop(self, timeout_s: float = 5.0) -> None:
        with contextlib.suppress(BrokenPipeError, OSError):
            self.conn.send(("stop",))
        self.proc.join(timeout_s)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(5.0)
        self.conn.close()


class Scheduler:
    """Worker processes polling fixed shards of `targets` on demand.

    Use as a context manager; `poll(deadline)` runs one cycle.
    """

    def __init__(
        self,
        targets: Sequence[Target],
        opts: PollOptions,
        *,
        workers: int = 2,
        concurrency: int = 192,
        start_method: str = "spawn",
    ):
        self.targets = list(targets)
        self.opts = opts
        self.concurrency = concurrency
        self.ctx = mp.get_context(start_method)
        self.shards = [s for s in shard(self.targets, max(1, min(workers, len(self.targets)))) if s]
        self.workers: list[_Worker] = []

    def __enter__(self) -> Scheduler:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _spawn(self, index: int) -> _Worker:
        return _Worker(self.ctx, index, self.shards[index], self.opts, self.concurrency)

    def _await_ready(self, workers: list[_Worker]) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        for w in workers:
            ready = wait([w.conn, w.proc.sentinel], max(0.0, deadline - time.monotonic()))
            if w.conn not in ready:
                raise RuntimeError(
                    f"collector worker {w.index} did not start (exit code {w.proc.exitcode})"
                )
            w.conn.recv()

    def start(self) -> None:
        self.workers = [self._spawn(i) for i in range(len(self.shards))]
        self._await_ready(self.workers)

    def close(self) -> None:
        for w in self.workers:
            w.stop()
        self.workers = []

    def _restart(self, w: _Worker) -> None:
        if w.proc.is_alive():
            w.proc.kill()
        w.proc.join(5.0)
        w.conn.close()
        fresh = self._spawn(w.index)
        self.workers[w.index] = fresh
        log.warning(
            "collector worker %d restarted (pid %s → %s)", w.index, w.proc.pid, fresh.proc.pid
        )

    def poll(self, deadline: float, only: frozenset[str] | None = None) -> Cycle:
        """Poll every target (or those whose centre id is in `only`) before `deadline`
        (time.monotonic seconds); one result each."""
        started = time.monotonic()
        ts = time.time()
        pending: dict[int, _Worker] = {}
        for w in self.workers:
            try:
                w.conn.send(("poll", deadline, only))
                pending[w.index] = w
            except (BrokenPipeError, OSError):
                pass
        answers: dict[int, list[Packed]] = {}
        cpu = 0.0
        give_up = deadline + self.opts.timeout_s + GRACE_S
        while pending:
            left = give_up - time.monotonic()
            if left <= 0:
                break
            ready = wait(
                [w.conn for w in pending.values()] + [w.proc.sentinel for w in pending.values()],
                timeout=left,
            )
            for w in list(pending.values()):
                if w.conn in ready or w.conn.poll():
                    try:
                        message = w.conn.recv()
                    except (EOFError, OSError):
                        del pending[w.index]
                        continue
                    if message[0] == "ready":  # a restarted worker coming up: keep waiting
                        continue
                    answers[w.index], used = message
                    cpu += used
                    del pending[w.index]
                elif w.proc.sentinel in ready:
                    del pending[w.index]
        results: list[ProbeResult] = []
        restarted = 0
        for w in list(self.workers):
            if w.index in answers:
                results += [unpack(p) for p in answers[w.index]]
                continue
            why = (
                "collector worker did not answer in time"
                if w.proc.is_alive()
                else "collector worker stopped"
            )
            results += [skipped(t, ts, f"{why}; restarted") for t in w.targets
                        if only is None or t.centre_id in only]
            self._restart(w)
            restarted += 1
        return Cycle(results, time.monotonic() - started, cpu, restarted)
