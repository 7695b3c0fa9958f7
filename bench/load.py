"""`ioc bench load`: many real Streamlit sessions on a running dashboard, timed; JSON out.

Each session is a browser tab spoken for by `bench.stclient` (Streamlit's
own websocket protocol, no browser): `--walls` wall displays (default 50,
`?kiosk=1`) that rerun the wall's live fragment whenever the server's
`auto_rerun` interval says (10 s by default), as the browser does, and
`--staff` staff sessions (default 5) that open communes
(`/commune?centre=<id>`), change the range, open the finder and search it,
with a few seconds' thought between steps. A page update's latency is the
time from the rerun request to its `script_finished`.

Without `--url`, it starts the product on free ports first — simulator,
collector and dashboard over a scratch SQLite store with `--days` of
backfilled history, as `ioc demo` does — and stops it all afterwards.

The dashboard process (the one listening on the URL's port, or `--pid`) is
sampled every `--sample-s` from /proc: CPU % (of one core), RSS and its anonymous
part (the heaps; the rest is mapped files), each with its slope per hour after a
warm-up (the first fifth of the run) and over the second half. `--soak 3600` is
the one-hour memory check.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from bench.procstat import CLOCK_TICKS, allocator, cpu_ticks, listener_pid, malloc_settings, rss_kb
from collectors.commands.demo import Child, child_env, stop_all, wait_http
from collectors.simulator.background import free_port
from config.settings import Settings

if TYPE_CHECKING:
    from bench.stclient import RunResult, Session

THINK_S = (2.0, 5.0)  # staff: seconds between two steps
RECONNECT_S = 2.0
KEPT_ERRORS = 20  # error messages kept in the JSON (all are counted)
TIMELINE_POINTS = 120  # server samples shown in the JSON (evenly thinned)
WARMUP_FRACTION = 0.2  # RSS slope: leave out the first fifth of the run
WINDOWS = 6  # RSS mean and max per sixth of the run (10 minutes of a one-hour soak)
PAGE_KINDS = ("wall_load", "wall_refresh", "commune", "commune_range", "finder",
              "finder_search", "sign_in_form", "sign_in")


def add_arguments(bench: argparse.ArgumentParser) -> None:
    """The `ioc bench load` options (the bench parser's other options are not used)."""
    g = bench.add_argument_group("load (ioc bench load)")
    g.add_argument("--url", help="load: a running dashboard (default: start one on free ports)")
    g.add_argument("--walls", type=int, default=50, help="load: wall-display sessions")
    g.add_argument("--staff", type=int, default=5, help="load: staff sessions (communes, finder)")
    g.add_argument("--duration", type=float, default=120, help="load: seconds of load")
    g.add_argument("--soak", type=float, help="load: seconds of load for a memory soak "
                   "(overrides --duration; e.g. 3600)")
    g.add_argument("--ramp", type=float, help="load: seconds over which sessions open "
                   "(default: a tenth of the duration, at most 15)")
    g.add_argument("--days", type=float, default=1.0,
                   help="load: days of history to backfill for the dashboard it starts")
    g.add_argument("--sample-s", type=float, default=5.0, help="load: /proc sampling period")
    g.add_argument("--pid", type=int, help="load: the dashboard's pid (default: the process "
                   "listening on the URL's port)")
    g.add_argument("--wall-query", default="",
                   help="load: more of the wall's query string, e.g. province=46")
    g.add_argument("--auth", choices=["none", "local", "kiosk"], default="none",
                   help="load: none: walls open ?kiosk=1 on a dashboard without sign-in; "
                   "local: every session signs in (--user, password in $IOC_LOAD_PASSWORD); "
                   "kiosk: walls open a kiosk link (--kiosk-token), staff sign in. Without "
                   "--url the account and link are made here")
    g.add_argument("--user", help="load: local account for --auth local|kiosk")
    g.add_argument("--kiosk-token", help="load: kiosk link token for --auth kiosk")
    g.add_argument("--seed", type=int, default=7, help="load: staff choices' random seed")


# ---------------------------------------------------------------- pure figures

def percentiles(values: Sequence[float]) -> dict[str, float | int]:
    """n, p50, p95, p99 and max of `values` in milliseconds (nearest-rank percentiles)."""
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def rank(p: float) -> float:
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]

    return {"n": len(ordered), "p50_ms": round(rank(50) * 1000, 1),
            "p95_ms": round(rank(95) * 1000, 1), "p99_ms": round(rank(99) * 1000, 1),
            "max_ms": round(ordered[-1] * 1000, 1)}


def slope_per_hour(points: Sequence[tuple[float, float]]) -> float | None:
    """Least-squares slope of (seconds, value) points, per hour; None under 3 points."""
    if len(points) < 3:
        return None
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx * 3600


def thin(rows: list[dict], most: int) -> list[dict]:
    """At most `most` rows, evenly spread, first and last kept."""
    if len(rows) <= most:
        return rows
    step = (len(rows) - 1) / (most - 1)
    return [rows[round(i * step)] for i in range(most)]


# ---------------------------------------------------------------- /proc sampling

class ProcSampler:
    """CPU % (of one core) and RSS of a pid, sampled from /proc."""

    def __init__(self, pid: int):
        self.pid = pid
        self.tick = CLOCK_TICKS
        self.samples: list[dict] = []
        self.started = time.monotonic()
        self._last = (self.started, cpu_ticks(pid))
        try:
            self.allocator: str | None = allocator(pid)
            self.malloc: dict[str, str] | None = malloc_settings(pid)
        except OSError:  # another user's process (--pid): maps and environ need ptrace rights
            self.allocator = self.malloc = None

    def sample(self) -> dict:
        now, ticks = time.monotonic(), cpu_ticks(self.pid)
        rss, anon = rss_kb(self.pid)
        then, before = self._last
        self._last = (now, ticks)
        row = {"t_s": round(now - self.started, 1),
               "cpu_pct": round((ticks - before) / self.tick / max(now - then, 1e-6) * 100, 1),
               "rss_mb": round(rss / 1024, 1), "anon_mb": round(anon / 1024, 1)}
        self.samples.append(row)
        return row

    def summary(self) -> dict:
        rows = self.samples
        if not rows:
            return {"pid": self.pid, "samples": 0, "allocator": self.allocator,
                    "malloc_settings": self.malloc}
        cpu = [r["cpu_pct"] for r in rows]
        first, last = rows[0]["t_s"], rows[-1]["t_s"]
        warm = first + WARMUP_FRACTION * (last - first)
        half = first + (last - first) / 2
        return {"pid": self.pid, "samples": len(rows), "allocator": self.allocator,
                "malloc_settings": self.malloc,
                "cpu_pct": {"mean": round(statistics.fmean(cpu), 1), "max": max(cpu)},
                "rss_mb": memory_summary(rows, "rss_mb", warm, half),
                "anon_mb": memory_summary(rows, "anon_mb", warm, half),
                "timeline_columns": ["t_s", "cpu_pct", "rss_mb", "anon_mb"],
                "timeline": [[r["t_s"], r["cpu_pct"], r["rss_mb"], r["anon_mb"]]
                             for r in thin(rows, TIMELINE_POINTS)]}


def memory_summary(rows: list[dict], column: str, warm_s: float, half_s: float) -> dict:
    """Start, end, max and the fitted slope of `column` after the warm-up and over the
    second half of the run (a growth that slows down is filling something bounded), and
    its mean and max per window (`windows`)."""
    points = [(r["t_s"], r[column]) for r in rows]

    def slope(from_s: float) -> float | None:
        fitted = slope_per_hour([p for p in points if p[0] >= from_s])
        return None if fitted is None else round(fitted, 1)

    values = [value for _, value in points]
    return {"start": values[0], "end": values[-1], "max": max(values),
            "slope_mb_per_h": slope(warm_s), "slope_from_s": round(warm_s, 1),
            "slope_second_half_mb_per_h": slope(half_s), "windows": windows(points, WINDOWS)}


def windows(points: Sequence[tuple[float, float]], count: int) -> dict:
    """Mean and max of (seconds, value) points in `count` equal windows of the run's time.

    Sampled RSS swings by several MB with the page runs in flight; window means show
    whether it still climbs or has levelled off better than one fitted line does. A window
    with no sample (a stalled sampler) is left out.
    """
    if not points:
        return {"length_s": 0, "from_s": [], "mean": [], "max": []}
    first, last = points[0][0], points[-1][0]
    length = (last - first) / count or 1.0
    groups: dict[int, list[float]] = {}
    for t, value in points:
        groups.setdefault(min(int((t - first) / length), count - 1), []).append(value)
    order = sorted(groups)
    return {"length_s": round(length, 1),
            "from_s": [round(first + i * length, 1) for i in order],
            "mean": [round(statistics.fmean(groups[i]), 1) for i in order],
            "max": [max(groups[i]) for i in order]}


# ---------------------------------------------------------------- the sessions

@dataclass
class Tally:
    """What every session did: latencies per page kind, updates per session, errors."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    updates: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    error_alerts: int = 0
    bytes_in: int = 0

    def error(self, kind: str, session: str, text: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1
        if len(self.messages) < KEPT_ERRORS:
            self.messages.append(f"{session}: {kind}: {text}"[:400])

    def record(self, session: str, result: RunResult) -> bool:
        """Count one RunResult; True when the page updated in full without error."""
        self.error_alerts += result.error_alerts
        if result.status == "timeout":
            self.error(result.kind + " timeout", session, "no script_finished in time")
            return False
        for text in result.exceptions:
            self.error("app", session, f"{result.kind}: {text}")
        if not result.ok:
            if not result.exceptions:
                self.error("status", session, f"{result.kind}: {result.status}")
            return False
        self.latencies.setdefault(result.kind, []).append(result.seconds)
        self.updates[session] = self.updates.get(session, 0) + 1
        return True


@dataclass
class Plan:
    base_url: str
    stop_at: float
    walls: int
    staff: int
    ramp_s: float
    wall_query: str
    centres: list[tuple[str, str]]  # (id, name)
    auth: str = "none"
    user: str | None = None
    password: str | None = None
    seed: int = 7

    @property
    def walls_sign_in(self) -> bool:
        return self.auth == "local"

    @property
    def staff_sign_in(self) -> bool:
        return self.auth != "none"


async def sign_in(session: Session, plan: Plan, tally: Tally, name: str) -> None:
    """Fill the sign-in form the page shows (a text input, a password input and the form's
    submit button) and submit it; an error when no form is shown or it stays after."""
    found = _signin_form(session)
    if found is None:
        raise RuntimeError(f"--auth {plan.auth}: the page shows no sign-in form")
    user_id, password_id, submit_id = found
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    values = session.widget_values
    values[user_id] = WidgetState(id=user_id, string_value=plan.user or "")
    values[password_id] = WidgetState(id=password_id, string_value=plan.password or "")
    values[submit_id] = WidgetState(id=submit_id, trigger_value=True)
    result = await session.run("sign_in")
    for wid in (user_id, password_id, submit_id):
        values.pop(wid, None)  # a trigger fires once; the password is not sent again
    tally.record(name, result)
    if _signin_form(session) is not None and result.ok:
        raise RuntimeError(f"--auth {plan.auth}: signing in as {plan.user!r} was refused")


def _signin_form(session: Session) -> tuple[str, str, str] | None:
    """(user input id, password input id, submit button id) of a form on the page."""
    elements = session.elements
    password = next(((wid, p) for wid, (kind, p) in elements.items()
                     if kind == "text_input" and p.type == p.PASSWORD), None)
    if password is None:
        return None
    form = password[1].form_id
    user = next((wid for wid, (kind, p) in elements.items()
                 if kind == "text_input" and p.type != p.PASSWORD and p.form_id == form), None)
    submit = next((wid for wid, (kind, p) in elements.items()
                   if kind == "button" and p.is_form_submitter and p.form_id == form), None)
    return (user, password[0], submit) if user and submit else None


async def _open(name: str, plan: Plan, tally: Tally, delay_s: float, page: str,
                query: str, kind: str, signs_in: bool) -> Session | None:
    """A connected session that has loaded `page` (signing in first when asked); None when
    the time is up."""
    from bench.stclient import Session

    await asyncio.sleep(delay_s)
    while time.monotonic() < plan.stop_at:
        session = Session(plan.base_url)
        try:
            await session.open()
            result = await session.run("sign_in_form" if signs_in else kind, page=page,
                                       query=query)
            if signs_in:
                tally.record(name, result)
                await sign_in(session, plan, tally, name)
                result = await session.run(kind, page=page, query=query)
            if tally.record(name, result):
                return session
        except Exception as exc:
            tally.error("protocol", name, f"{type(exc).__name__}: {exc}")
        tally.bytes_in += session.bytes_in
        await session.close()
        await asyncio.sleep(RECONNECT_S)
    return None


async def wall_session(name: str, plan: Plan, tally: Tally, delay_s: float) -> None:
    """A wall display: load the wall, then rerun its timed fragments as the browser does."""
    session = await _open(name, plan, tally, delay_s, "", plan.wall_query, "wall_load",
                          plan.walls_sign_in)
    if session is None:
        return
    try:
        due = time.monotonic()
        while True:
            fragments = dict(session.auto_reruns)
            interval = min(fragments.values(), default=10.0)
            due = max(due + interval, time.monotonic())
            if due >= plan.stop_at:
                break
            await asyncio.sleep(due - time.monotonic())
            if not fragments:  # no timed fragment: the browser would just sit there
                continue
            try:
                for fragment_id in fragments:
                    result = await session.run("wall_refresh",
                                               query=plan.wall_query,
                                               fragment_id=fragment_id, auto=True)
                    tally.record(name, result)
            except Exception as exc:
                tally.error("protocol", name, f"{type(exc).__name__}: {exc}")
                tally.bytes_in += session.bytes_in
                await session.close()
                session = await _open(name, plan, tally, RECONNECT_S, "", plan.wall_query,
                                       "wall_load", plan.walls_sign_in)
                if session is None:
                    return
                due = time.monotonic()
    finally:
        if session is not None:
            tally.bytes_in += session.bytes_in
            await session.close()


async def staff_session(name: str, plan: Plan, tally: Tally, delay_s: float,
                        rng: random.Random) -> None:
    """IOC staff: a commune, another range, the finder, a search; over and over."""
    first = rng.choice(plan.centres)[0]
    query = urlencode({"centre": first})
    session = await _open(name, plan, tally, delay_s, "commune", query, "commune",
                          plan.staff_sign_in)
    if session is None:
        return
    try:
        step = 1
        while True:
            await asyncio.sleep(rng.uniform(*THINK_S))
            if time.monotonic() >= plan.stop_at:
                break
            try:
                tally.record(name, await _staff_step(session, step % 4, plan, rng))
            except Exception as exc:
                tally.error("protocol", name, f"{type(exc).__name__}: {exc}")
                tally.bytes_in += session.bytes_in
                await session.close()
                session = await _open(name, plan, tally, RECONNECT_S, "commune", query,
                                      "commune", plan.staff_sign_in)
                if session is None:
                    return
            step += 1
    finally:
        if session is not None:
            tally.bytes_in += session.bytes_in
            await session.close()


async def _staff_step(s: Session, step: int, plan: Plan, rng: random.Random) -> RunResult:
    """One staff step (0: another commune, 1: another range, 2: the finder, 3: a search)."""
    if step == 0:  # another commune
        centre = rng.choice(plan.centres)[0]
        return await s.run("commune", page="commune",
                           query=urlencode({"centre": centre}))
    if step == 1:  # another range on the same commune (not "custom": that needs dates)
        radio = s.widget("commune.range")
        if radio is None:
            raise RuntimeError("the commune page shows no range choice (commune.range)")
        options = list(radio.options)[:-1] or list(radio.options)
        s.set_widget("commune.range", string_value=rng.choice(options))
        return await s.run("commune_range")
    if step == 2:
        return await s.run("finder", page="finder", query="")
    words = rng.choice(plan.centres)[1].split()
    if not s.set_widget("finder.search", string_value=words[-1]):
        raise RuntimeError("the finder shows no search box (finder.search)")
    return await s.run("finder_search")


async def _drive(plan: Plan, sampler: ProcSampler | None, sample_s: float,
                 tally: Tally) -> None:
    rng = random.Random(plan.seed)
    total = plan.walls + plan.staff
    tasks = []
    for i in range(total):
        delay = plan.ramp_s * i / max(total, 1)
        if i < plan.walls:
            tasks.append(wall_session(f"wall-{i + 1}", plan, tally, delay))
        else:
            j = i - plan.walls + 1
            tasks.append(staff_session(f"staff-{j}", plan, tally, delay,
                                       random.Random(rng.random())))

    async def sample() -> None:
        while time.monotonic() < plan.stop_at:
            try:
                sampler.sample()
            except (OSError, ValueError) as exc:
                tally.error("sampler", "server", str(exc))
                return
            await asyncio.sleep(min(sample_s, max(0.0, plan.stop_at - time.monotonic())))
        sampler.sample()

    if sampler is not None:
        tasks.append(sample())
    await asyncio.gather(*tasks)


# ---------------------------------------------------------------- the product, when asked

LOAD_USER = "load-staff"


class Product:
    """Simulator, collector and dashboard on free ports over a scratch SQLite store (or
    `db_url`), with the sign-in `auth` asks for: a local account and, for `kiosk`, a link."""

    def __init__(self, settings: Settings, config_file: str | None, days: float,
                 db_url: str | None, auth: str):
        self.settings, self.config_file, self.days = settings, config_file, days
        self.auth = auth
        self.children: list = []
        self.tmp = tempfile.TemporaryDirectory(prefix="ioc-load-")
        self.db_url = db_url or "sqlite:///" + str(Path(self.tmp.name) / "load.db")
        self.backfill: dict = {}
        self.password: str | None = None
        self.kiosk_token: str | None = None

    def start(self) -> str:
        """Fill the store, start the three processes; the dashboard's base URL."""
        from collectors.commands.backfill import backfill

        sim_port, port = free_port(), free_port()
        settings = self.settings.model_copy(update={
            "store": self.settings.store.model_copy(update={"url": self.db_url}),
            "simulator": self.settings.simulator.model_copy(update={"port": sim_port})})
        if self.days > 0:
            started = time.monotonic()
            self.backfill = backfill(settings, days=self.days, step_s=300,
                                     config_file=self.config_file)
            self.backfill["seconds"] = round(time.monotonic() - started, 1)
        env = child_env(self.config_file, sim_port, 0)  # no /metrics
        env.update({"IOC_DB_URL": self.db_url,
                    "IOC_COLLECTOR__SPOOL_DIR": str(Path(self.tmp.name) / "spool"),
                    "IOC_DASHBOARD__AUTH": "none" if self.auth == "none" else "local"})
        if self.auth != "none":
            env["IOC_DASHBOARD__USERS_FILE"] = str(self._accounts(settings))
        sim = self._child("simulator", ["simulate"], env)
        if not wait_http(f"http://{settings.simulator.host}:{sim_port}/healthz", 60, sim):
            raise RuntimeError(f"the simulator did not come up on port {sim_port}: "
                               f"{self.log_tail('simulator')}")
        self._child("collector", ["collect"], env)
        dash = self._child("dashboard", ["dashboard", "--port", str(port)], env)
        base = f"http://127.0.0.1:{port}"
        if not wait_http(base + "/_stcore/health", 120, dash):
            raise RuntimeError(f"the dashboard did not come up on port {port}: "
                               f"{self.log_tail('dashboard')}")
        return base

    def _child(self, name: str, args: list[str], env: dict[str, str]) -> LoggedChild:
        """`ioc <args>` in its own process group, its output in <scratch>/<name>.log (the
        JSON on our stdout stays clean)."""
        child = LoggedChild(name, args, env, Path(self.tmp.name) / f"{name}.log")
        self.children.append(child)
        return child

    def log_tail(self, name: str, chars: int = 1500) -> str:
        try:
            return (Path(self.tmp.name) / f"{name}.log").read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def _accounts(self, settings: Settings) -> Path:
        """A users file with one IOC-staff account over the deployment's scope, and for
        `kiosk` a kiosk link of the same scope in the store."""
        import secrets

        from metrics.access.accounts import (
            UserEntry,
            UsersFile,
            hash_password,
            save_users,
            with_user,
        )

        d = settings.deployment
        scope = "national" if d.scope == "national" else f"province:{d.province}"
        self.password = secrets.token_urlsafe(16)
        path = Path(self.tmp.name) / "users.yaml"
        save_users(path, with_user(UsersFile(), LOAD_USER, UserEntry(
            name="ioc bench load", role="ioc_staff", scope=scope,
            password_hash=hash_password(self.password))))
        if self.auth == "kiosk":
            from config.scope import Scope
            from metrics.access import kiosk
            from metrics.store import Store

            with Store.open(self.db_url) as store:
                _, self.kiosk_token = kiosk.create(store, label="ioc bench load",
                                                   scope=Scope.parse(scope),
                                                   actor="ioc bench load")
        return path

    def stop(self) -> None:
        stop_all(self.children)
        self.tmp.cleanup()


class LoggedChild(Child):
    """A demo child (`ioc <args>`, own process group) whose output goes to a log file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path):
        self.name = name
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "collectors.cli", *args], env=env, stdout=out,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)


def _centres(settings: Settings, config_file: str | None) -> list[tuple[str, str]]:
    from config.deployment import centres

    found = [(c.id, c.name) for c in centres(settings, config_file)]
    if not found:
        raise RuntimeError("the deployment has no centres to open (deployment.scope/province)")
    return found


def wall_query(extra: str, auth: str, token: str | None) -> str:
    """The walls' query string: `extra`, plus `kiosk=1` (no sign-in) or `kiosk=<token>`;
    a signed-in wall (`--auth local`) carries no kiosk parameter."""
    kiosk = {"none": "1", "kiosk": token}.get(auth)
    parts = [extra.lstrip("?&")] if extra else []
    if kiosk:
        parts.append(urlencode({"kiosk": kiosk}))
    return "&".join(parts)


def run_load_bench(args: argparse.Namespace, settings: Settings) -> dict:
    """Drive the dashboard (`--url`, or one started here) and return the figures, JSON-able."""
    duration = args.soak or args.duration
    if duration <= 0 or args.walls < 0 or args.staff < 0 or args.walls + args.staff == 0:
        raise ValueError("ioc bench load: --duration/--soak must be > 0 and --walls + --staff "
                         "at least 1")
    user, password, token = args.user, os.environ.get("IOC_LOAD_PASSWORD"), args.kiosk_token
    if "kiosk" in dict(p.split("=", 1) for p in args.wall_query.split("&") if "=" in p):
        raise ValueError("ioc bench load: --wall-query must not carry kiosk (see --auth)")
    product = None
    if args.url is None:
        product = Product(settings, args.config, args.days, getattr(args, "db_url", None),
                          args.auth)
    else:
        signs_in = args.auth == "local" or (args.auth == "kiosk" and args.staff)
        if signs_in and not (user and password):
            raise ValueError(f"ioc bench load --auth {args.auth}: staff sign in; give --user "
                             "and the password in $IOC_LOAD_PASSWORD")
        if args.auth == "kiosk" and not token:
            raise ValueError("ioc bench load --auth kiosk needs --kiosk-token")
    previous = _stop_on_sigterm()
    try:
        if product is not None:
            base = product.start()
            user, password, token = LOAD_USER, product.password, product.kiosk_token
        else:
            base = args.url.rstrip("/")
        port = urlsplit(base).port or (443 if base.startswith("https") else 80)
        pid = args.pid or listener_pid(port)
        sampler = ProcSampler(pid) if pid else None
        ramp = args.ramp if args.ramp is not None else min(15.0, duration / 10)
        plan = Plan(base, time.monotonic() + duration, args.walls, args.staff, ramp,
                    wall_query(args.wall_query, args.auth, token),
                    _centres(settings, args.config), args.auth, user, password, args.seed)
        print(f"ioc bench load: {args.walls} walls and {args.staff} staff on {base} for "
              f"{duration:g} s (Ctrl-C stops early and still reports)", file=sys.stderr,
              flush=True)
        client_before = os.times()
        started = time.monotonic()
        tally, interrupted = Tally(), False
        try:
            asyncio.run(_drive(plan, sampler, args.sample_s, tally))
        except KeyboardInterrupt:
            interrupted = True  # report what was measured up to here
        elapsed = time.monotonic() - started
        client_after = os.times()
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        if product is not None:
            product.stop()
    client_cpu = (client_after.user + client_after.system - client_before.user
                  - client_before.system) / elapsed * 100
    return report(args, base, product, tally, sampler, elapsed, client_cpu, interrupted)


def _stop_on_sigterm() -> Any:
    """SIGTERM stops the run as Ctrl-C does (so the product started here is stopped too);
    the previous handler, or None off the main thread (where none can be set)."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def interrupt(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    return signal.signal(signal.SIGTERM, interrupt)


def report(args: argparse.Namespace, base: str, product: Product | None, tally: Tally,
           sampler: ProcSampler | None, elapsed: float, client_cpu: float,
           interrupted: bool = False) -> dict:
    """The JSON: sessions, latency per page kind, errors, server CPU and RSS over time;
    `interrupted` when Ctrl-C or SIGTERM ended the run before its time."""
    names = [f"wall-{i + 1}" for i in range(args.walls)] + [
        f"staff-{j + 1}" for j in range(args.staff)]
    counts = [tally.updates.get(n, 0) for n in names]
    return {
        "dashboard": base if product is None else f"started here ({base})",
        "history": product.backfill if product is not None else None,
        "sessions": {"walls": args.walls, "staff": args.staff, "total": len(names),
                     "with_update": sum(1 for c in counts if c > 0),
                     "without_update": [n for n, c in zip(names, counts, strict=True) if not c],
                     "updates_min": min(counts), "updates_max": max(counts)},
        "auth": args.auth,
        "duration_s": round(elapsed, 1),
        "interrupted": interrupted,
        "latency": {k: percentiles(tally.latencies[k]) for k in PAGE_KINDS
                    if k in tally.latencies},
        "errors": {"total": sum(tally.errors.values()), "by_kind": tally.errors,
                   "error_alerts_shown": tally.error_alerts, "first": tally.messages},
        "received_mb": round(tally.bytes_in / 1e6, 1),
        "server": sampler.summary() if sampler else None,
        "client_cpu_pct": round(client_cpu, 1),
        "cores": os.cpu_count(),
    }
