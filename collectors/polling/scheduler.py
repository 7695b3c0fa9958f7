"""The imperative shell of polling: long-lived worker processes, each with a thread pool.

Each worker process owns a fixed shard of the targets and one pooled Session,
so its keep-alive connections are reused cycle after cycle. The parent sends
"poll now, deadline D" (D on the system-wide monotonic clock) and gathers
compact results. One failing centre never stops the others; a worker that
dies or does not answer in time is restarted and its shard reported as
`skipped` for that cycle, never a crash of the collector.

A worker also judges every observation against the confirmation window
(collectors/polling/confirm.py) and re-probes a failing centre on its schedule, between
cycles; those results reach the parent as soon as they are made (`Scheduler.late`),
so the failure they confirm can alert at once.
"""

from __future__ import annotations

import contextlib
import gc
import heapq
import logging
import multiprocessing as mp
import os
import queue
import signal
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from multiprocessing.connection import Connection

from collectors.polling.confirm import Confirmations, failing
from collectors.polling.gate import YoungGate
from collectors.polling.poll import PollOptions, poll_centre, skipped
from collectors.polling.targets import Target, shard
from metrics.results import ProbeResult, Reason, Sample

log = logging.getLogger("ioc.collector")

START_TIMEOUT_S = 120.0  # a spawned worker imports requests, pydantic, numpy…
GRACE_S = 2.0  # beyond deadline + timeout: a worker this late is stuck

BUSY_LIMIT = 32  # polls busy at once per worker (collectors.polling.gate)
REPROBE_THREADS = 32  # per worker: re-probes waiting on hanging centres side by side
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
        [(m, v, lab) for m, v, lab in r.samples],  # plain tuples pickle ~10x cheaper
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
        list(map(Sample._make, samples)),
        rejected,
        confirmed,
        more,
    )


def _poll_safe(
    session, target: Target, opts: PollOptions, deadline: float, gate: YoungGate | None,
    judge: Judge | None = None,
) -> Packed:
    """poll_centre (through the gate, if any), judged against the confirmation window, with
    a collector bug recorded against this centre only."""
    token = gate.enter() if gate else None
    try:
        result = poll_centre(session, target, opts, deadline)
    except Exception as exc:  # a collector bug must not lose the other centres
        traceback.print_exc()
        result = ProbeResult(
            target.centre_id,
            round(time.time(), 3),
            False,
            0.0,
            Reason.BAD_PAYLOAD,
            f"collector error: {type(exc).__name__}: {str(exc)[:120]}",
        )
    finally:
        if gate is not None and token is not None:
            gate.leave(token)
    if judge is not None:
        judge(result)
    return pack(result)


class Judge:
    """A worker's confirmations: marks each result `confirmed` when its failure has lasted
    the window, and plans the re-probes a new failure run needs (thread-safe)."""

    def __init__(self, opts: PollOptions, plan: Callable[[str, float, tuple[float, ...]], None]):
        self._conf = Confirmations(opts.confirm_window_s, opts.reprobe_after_s)
        self._lock = threading.Lock()
        self._plan = plan

    def __call__(self, result: ProbeResult) -> None:
        with self._lock:
            verdict = self._conf.observe(result.centre_id, result.ts, failing(result))
        result.confirmed = verdict.confirmed
        if verdict.reprobe_at and not verdict.confirmed:
            self._plan(result.centre_id, result.ts, verdict.reprobe_at)

    def wants(self, centre_id: str, run_started: float) -> bool:
        with self._lock:
            return self._conf.wants_reprobe(centre_id, run_started)


class Reprobes:
    """The re-probes a worker has planned, run on its pool when due; each result is judged
    and sent at once. A re-probe whose time passed while the failure was being observed (a
    hanging centre answers only at its timeout) is dropped, except the window's last."""

    def __init__(self, pool: ThreadPoolExecutor, run: Callable[[str], Packed],
                 send: Callable[[list[Packed]], None]):
        self._pool, self._run, self._send = pool, run, send
        self._heap: list[tuple[float, str, float]] = []  # (due, centre id, run start)
        self._cv = threading.Condition()
        self._stop = False
        self.judge: Judge | None = None
        self._thread = threading.Thread(target=self._loop, name="reprobes", daemon=True)
        self._thread.start()

    def plan(self, centre_id: str, run_started: float, times: tuple[float, ...]) -> None:
        now = time.time()
        due = [t for t in times[:-1] if t > now] + list(times[-1:])
        with self._cv:
            for t in due:
                heapq.heappush(self._heap, (t, centre_id, run_started))
            self._cv.notify()

    def close(self) -> None:
        with self._cv:
            self._stop = True
            self._cv.notify()
        self._thread.join(5)

    def _loop(self) -> None:
        while True:
            with self._cv:
                while not self._stop and (not self._heap or self._heap[0][0] > time.time()):
                    self._cv.wait(None if not self._heap else self._heap[0][0] - time.time())
                if self._stop:
                    return
                _, cid, run_started = heapq.heappop(self._heap)
            if self.judge is not None and self.judge.wants(cid, run_started):
                self._pool.submit(self._one, cid)

    def _one(self, centre_id: str) -> None:
        with contextlib.suppress(BrokenPipeError, OSError):
            self._send([self._run(centre_id)])


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
    from collectors.polling.http import session_for
    from config.catalogue import register

    register(opts.site_metrics)  # a spawned worker starts with the built-in catalogue only
    session = session_for([c.url for t in targets for c in t.calls], concurrency)
    by_id = {t.centre_id: t for t in targets}
    # What exists now (modules, targets, the session) lives as long as the worker: frozen, the
    # collector's full collections stop walking it (worker GC CPU per national cycle halved,
    # ~0.02 ms per poll).
    gc.freeze()
    slow: set[str] = set()
    gate = YoungGate(min(concurrency, BUSY_LIMIT), YOUNG_S)
    sending = threading.Lock()  # cycle answers and re-probe results share the pipe

    def send(message: tuple) -> None:
        with sending:
            conn.send(message)

    # Re-probes have threads of their own: never queued behind a cycle's polls, they leave
    # when their moment comes.
    with (ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="poll") as pool,
          ThreadPoolExecutor(max_workers=REPROBE_THREADS, thread_name_prefix="reprobe")
          as reprobing):
        def reprobe(cid: str) -> Packed:
            left = opts.connect_timeout_s + opts.timeout_s
            return _poll_safe(session, by_id[cid], opts, time.monotonic() + left, None, judge)

        reprobes = Reprobes(reprobing, reprobe, lambda packed: send(("late", packed)))
        judge = reprobes.judge = Judge(opts, reprobes.plan)
        send(("ready", os.getpid()))
        try:
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
                # Centres slow last cycle go first, so their waits overlap the rest of the
                # work instead of adding a timeout at the end of the cycle.
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
                        judge,
                    )
                    for i in order
                }
                packed = _gather([futures[i] for i in mine], gate)
                slow = {p[0] for p in packed if p[3] > SLOW_S or p[4] in SLOW_REASONS}
                try:
                    send(("cycle", packed, time.process_time() - cpu))
                except (BrokenPipeError, OSError):
                    return
        finally:
            reprobes.close()


@dataclass(slots=True)
class Cycle:
    """One cycle's outcome: every centre's result, in target order, and what it cost."""

    results: list[ProbeResult]
    poll_s: float
    worker_cpu_s: float
    restarted: int


class _Worker:
    """One worker process and the thread that reads its pipe: cycle answers go to `inbox`,
    re-probe results to `late` as soon as they arrive; EOF puts None in `inbox`."""

    def __init__(self, ctx, index: int, targets: list[Target], opts: PollOptions,
                 concurrency: int, late: queue.SimpleQueue):
        self.index = index
        self.targets = targets
        self.inbox: queue.SimpleQueue = queue.SimpleQueue()
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(
            target=_worker_main,
            args=(child, targets, opts, concurrency),
            name=f"ioc-collector-{index}",
            daemon=True,
        )
        self.proc.start()
        child.close()
        self._late = late
        self._reader = threading.Thread(target=self._read, name=f"collector-{index}-pipe",
                                        daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                message = self.conn.recv()
            except (EOFError, OSError):
                self.inbox.put(None)
                return
            if message[0] == "late":
                self._late.put([unpack(p) for p in message[1]])
            else:
                self.inbox.put(message)

    def stop(self, timeout_s: float = 5.0) -> None:
        with contextlib.suppress(BrokenPipeError, OSError):
            self.conn.send(("stop",))
        self.proc.join(timeout_s)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(5.0)
        self.conn.close()
        self._reader.join(5.0)


class Scheduler:
    """Worker processes polling fixed shards of `targets` on demand.

    Use as a context manager; `poll(deadline)` runs one cycle. Re-probe results made
    between cycles arrive in `late` (a queue of lists of ProbeResult).
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
        self.late: queue.SimpleQueue[list[ProbeResult]] = queue.SimpleQueue()

    def __enter__(self) -> Scheduler:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _spawn(self, index: int) -> _Worker:
        return _Worker(self.ctx, index, self.shards[index], self.opts, self.concurrency,
                       self.late)

    def _await_ready(self, workers: list[_Worker]) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        for w in workers:
            try:
                message = w.inbox.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                message = None
            if message is None or message[0] != "ready":
                raise RuntimeError(
                    f"collector worker {w.index} did not start (exit code {w.proc.exitcode})"
                )

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
        pending: list[_Worker] = []
        for w in self.workers:
            try:
                w.conn.send(("poll", deadline, only))
                pending.append(w)
            except (BrokenPipeError, OSError):
                pass
        answers: dict[int, list[Packed]] = {}
        cpu = 0.0
        give_up = deadline + self.opts.timeout_s + GRACE_S
        for w in pending:
            while True:
                try:
                    message = w.inbox.get(timeout=max(0.0, give_up - time.monotonic()))
                except queue.Empty:
                    break  # did not answer in time
                if message is None:
                    break  # the worker died
                if message[0] == "cycle":
                    answers[w.index], used = message[1], message[2]
                    cpu += used
                    break
                # "ready" from a restarted worker coming up: keep waiting
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
