"""The `ioc` command: one entry point for every process of the product.

Each sub-command loads and validates the configuration first and refuses to
start on a bad one, printing every problem with its file, key and reason.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from collectors.commands.config_check import Role, check, startup
from config.loader import ConfigError, config_path, load_settings
from config.settings import Settings

Handler = Callable[[argparse.Namespace, Settings], int]


# The processes that validate everything `ioc check-config` does before starting
# (collectors/commands/config_check.py: one validation for both).
STARTUP_ROLES: dict[str, tuple[Role, ...]] = {"collect": ("collector",),
                                              "dashboard": ("dashboard",)}


def _settings(args: argparse.Namespace) -> Settings:
    roles = STARTUP_ROLES.get(args.command)
    if not roles:
        return load_settings(args.config)
    env = dict(os.environ)
    if args.command == "dashboard" and args.port:  # the port it will listen on is checked
        env["IOC_DASHBOARD__PORT"] = str(args.port)
    return startup(roles, args.config, env)


def cmd_check_config(args: argparse.Namespace) -> int:
    file = config_path(args.path or args.config)
    problems = check(file)
    if problems:
        print(f"{len(problems)} problem(s) in the configuration {file}:", file=sys.stderr)
        for p in problems:
            print(f"  {p}", file=sys.stderr)
        return 1
    print(f"configuration OK: {file}")
    return 0


SCENARIO_HELP = ("replay a scenario's historical days, e.g. hue-first-week "
                 "(docs/simulator.md); default simulator.scenario")


def cmd_simulate(args: argparse.Namespace, settings: Settings) -> int:
    from collectors.simulator.control import faults_enabled
    from collectors.simulator.server import run

    sim = settings.simulator
    faults = faults_enabled(settings.deployment.mode, sim.allow_faults, args.no_faults)
    if settings.deployment.mode == "production":
        logging.getLogger("ioc.simulator").info(
            "ioc simulate: production mode (deployment.mode): the fault-injection API is off")
    run(args.fleet or sim.fleet, args.host or sim.host, args.port or sim.port,
        sim.seed if args.seed is None else args.seed, faults, sim.natural_faults,
        with_scenario(settings, args.scenario).simulator.scenario)
    return 0


def collector_observers(settings: Settings, config_file: str | None,
                        interval_s: float | None = None) -> list[Any]:
    """What `ioc collect` runs after each cycle, in order: the process's one wiring of them.

    The /metrics endpoint (collector.metrics_port); the alert engine (config/alerts.yaml),
    started once the database answers; the store's own alarm, sent straight to the
    channels so that it works while the store is down; retention. Those that read the
    database never hold the cycle loop past their bound (`interval_s`: the cycle's)."""
    from collectors.endpoint.exposition import observers_for
    from collectors.service import MIN_OBSERVER_BOUND_S, OBSERVER_BOUND, Bounded, Deferred
    from metrics.alerts.engine import alert_observers
    from metrics.alerts.store_alarm import store_alarm
    from metrics.store.retention import RetentionObserver

    bound_s = max(OBSERVER_BOUND * (interval_s or settings.collector.interval_s),
                  MIN_OBSERVER_BOUND_S)
    retention = settings.store.retention  # it may use its whole budget, and then some
    observers: list[Any] = [*observers_for(settings, config_file)]
    observers.append(Bounded(Deferred(lambda: alert_observers(settings, config_file),
                                      "alert engine"), "alert engine", bound_s))
    observers.append(store_alarm(settings, config_file))
    observers.append(Bounded(RetentionObserver(settings.store.url, retention), "retention",
                             max(bound_s, retention.budget_s + MIN_OBSERVER_BOUND_S)))
    return observers


def cmd_collect(args: argparse.Namespace, settings: Settings) -> int:
    from collectors.polling.leases import LeaseConflict
    from collectors.polling.shard import AssignmentError, parse_provinces, parse_shard
    from collectors.service import collect
    from collectors.writing.spool import SpoolError
    from metrics.store import DatabaseError
    from metrics.store.dialects import redacted_url

    try:
        shard = parse_shard(args.shard) if args.shard else None
        provinces = parse_provinces(args.provinces) if args.provinces else None
    except ValueError as exc:
        print(f"ioc collect: {exc}", file=sys.stderr)
        return 2
    try:
        observers = collector_observers(settings, args.config, args.interval)
        summary = collect(settings, once=args.once, interval_s=args.interval,
                          config_file=args.config, observers=observers, shard=shard,
                          provinces=provinces)
    except (AssignmentError, LeaseConflict, SpoolError) as exc:
        print(f"ioc collect: refusing to run: {exc}", file=sys.stderr)
        return 2
    except DatabaseError as exc:  # no spool to fall back on (collector.spool_dir)
        print(f"ioc collect: refusing to run: database {redacted_url(settings.store.url)} "
              f"unreachable and no spool (collector.spool_dir): {one_line(exc)}",
              file=sys.stderr)
        return 2
    except OSError as exc:  # a folder it cannot create, a file it cannot open
        where = exc.filename or redacted_url(settings.store.url)
        print(f"ioc collect: refusing to run: {where}: {exc.strerror or one_line(exc)}",
              file=sys.stderr)
        return 2
    if args.once:
        print(json.dumps(summary, ensure_ascii=False))
    return 0


def cmd_dashboard(args: argparse.Namespace, settings: Settings) -> int:
    from collectors.commands.launch_dashboard import run
    from config import catalogue

    catalogue.use_deployment(args.config)  # a clash with a built-in metric: refused here
    return run(settings, port=args.port or settings.dashboard.port, config_path=args.config)


def with_scenario(settings: Settings, scenario: str | None) -> Settings:
    """`settings` with `--scenario` (when given) as `simulator.scenario`; ConfigError for
    an unknown scenario name, from either."""
    from collectors.simulator.scenario import SCENARIOS
    from config.loader import Problem

    name = settings.simulator.scenario if scenario is None else scenario
    if name and name not in SCENARIOS:
        where = "simulator.scenario" if scenario is None else "--scenario"
        raise ConfigError([Problem(where, "", f"unknown scenario {name!r}; known: "
                                   f"{', '.join(SCENARIOS)}")])
    return settings.model_copy(update={
        "simulator": settings.simulator.model_copy(update={"scenario": name})})


def cmd_backfill(args: argparse.Namespace, settings: Settings) -> int:
    from collectors.commands.backfill import backfill
    from collectors.commands.progress import Bar

    settings = with_scenario(settings, args.scenario)
    # --live: the product runs meanwhile (ioc demo): newest first, progress kept for the
    # pages, plain progress lines (the console is shared), in this one process, niced,
    # in short writes (the collector and the pages share SQLite's write lock).
    if args.live:
        os.nice(10)  # the live product's processes go first
    bar = Bar("ioc backfill: history", sys.stderr, tty=False if args.live else None)
    summary = backfill(settings, days=args.days, step_s=args.step, config_file=args.config,
                       now=args.until, progress=bar, newest_first=args.live,
                       record=args.live, processes=0 if args.live else 2,
                       chunk_steps=6 if args.live else 24)
    bar.close()
    print(json.dumps(summary, ensure_ascii=False))
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from collectors.commands.demo import run_demo

    settings = with_scenario(settings, args.scenario)
    return run_demo(settings, config_file=args.config, port=args.port, sim_port=args.sim_port,
                    metrics_port=args.metrics_port, inbox_port=args.inbox_port, days=args.days)


def cmd_bench(config: str | None, bench_args: Sequence[str]) -> int:
    """`ioc bench …`: the benchmarks live outside the product (bench/); they run as their own
    process, `python -m bench`, with the same arguments and settings file."""
    config_args = ["--config", config] if config else []
    os.execv(sys.executable, [sys.executable, "-m", "bench", *config_args, *bench_args])
    return 0  # not reached: execv replaces this process


def bench_split(argv: Sequence[str]) -> tuple[str | None, list[str]] | None:
    """`(--config value, the benchmark's own arguments)` when `argv` is `[--config F] bench …`;
    None for every other command."""
    config, rest = None, list(argv)
    if rest[:1] == ["--config"] and len(rest) >= 2:
        config, rest = rest[1], rest[2:]
    elif rest[:1] and rest[0].startswith("--config="):
        config, rest = rest[0].split("=", 1)[1], rest[1:]
    return (config, rest[1:]) if rest[:1] == ["bench"] else None


def cmd_store(args: argparse.Namespace, settings: Settings) -> int:
    from metrics.store.cli import run

    return run(args, settings)


def cmd_health(args: argparse.Namespace, settings: Settings) -> int:
    from collectors.commands.health_cli import run

    return run(args, settings)


def cmd_users(args: argparse.Namespace, settings: Settings) -> int:
    from metrics.access.cli import run_users

    return run_users(args, settings)


def cmd_kiosk(args: argparse.Namespace, settings: Settings) -> int:
    from metrics.access.cli import run_kiosk

    return run_kiosk(args, settings)


def cmd_alerts(args: argparse.Namespace, settings: Settings) -> int:
    from metrics.alerts.cli import run

    return run(args, settings)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ioc", description=__doc__.splitlines()[0])
    p.add_argument("--config", help="settings file (default: $IOC_CONFIG or config/ioc.yaml)")
    sub = p.add_subparsers(dest="command", required=True)

    c = sub.add_parser("check-config", help="report every configuration problem")
    c.add_argument("path", nargs="?")

    s = sub.add_parser("simulate", help="serve a simulated fleet of centres over HTTP")
    s.add_argument("--fleet", help="hue | province:<code> | national")
    s.add_argument("--host")
    s.add_argument("--port", type=int)
    s.add_argument("--seed", type=int)
    s.add_argument("--no-faults", action="store_true", help="disable the fault-injection API")
    s.add_argument("--scenario", help=SCENARIO_HELP)

    c = sub.add_parser("collect", help="poll every configured centre into the store")
    c.add_argument("--once", action="store_true", help="one cycle, then print a JSON summary")
    c.add_argument("--interval", type=float, help="seconds between cycles")
    c.add_argument("--shard", help="I/N: poll shard I of N, taking over stopped collectors' "
                   "shards through leases in the database (docs/collectors.md)")
    c.add_argument("--provinces", help="codes, e.g. 46,1: this collector's home provinces "
                   "(with --shard: those provinces' shard I)")

    d = sub.add_parser("dashboard", help="serve the Streamlit dashboard")
    d.add_argument("--port", type=int)

    b = sub.add_parser("backfill", help="write simulated history into the store")
    b.add_argument("--days", type=float, default=7)
    b.add_argument("--step", type=float, default=300, help="seconds between history points")
    b.add_argument("--scenario", help=SCENARIO_HELP)
    b.add_argument("--until", type=float, help="end (Unix seconds; default now)")
    b.add_argument("--live", action="store_true", help="newest first, progress on the pages")

    m = sub.add_parser("demo", help="simulator + collector + dashboard, with a week of history")
    m.add_argument("--port", type=int, help="dashboard (default dashboard.port)")
    m.add_argument("--sim-port", type=int, help="simulator (default simulator.port)")
    m.add_argument("--metrics-port", type=int, help="collector's /metrics (0: none)")
    m.add_argument("--inbox-port", type=int, default=8710, help="the alert inbox")
    m.add_argument("--days", type=float, default=7, help="days of history to backfill")
    m.add_argument("--scenario", help=SCENARIO_HELP)

    bench = sub.add_parser("bench", add_help=False,
                           help="benchmarks that print JSON (bench/: ioc bench --help)")
    bench.add_argument("bench_args", nargs=argparse.REMAINDER)  # handed over by bench_split
    from metrics.store.cli import add_parser as add_store_parser

    add_store_parser(sub)  # ioc store prune|version|migrate|backup|restore
    from collectors.commands.health_cli import add_parser as add_health_parser

    add_health_parser(sub)  # ioc health [collector|dashboard|simulator|store]
    from metrics.alerts.cli import add_parser as add_alerts_parser

    add_alerts_parser(sub)  # ioc alerts list|ack|silence|unsilence|evaluate|…
    from metrics.access.cli import add_parsers as add_access_parsers

    add_access_parsers(sub)  # ioc users add|passwd|remove|list, ioc kiosk create|list|revoke
    return p


COMMANDS: dict[str, Handler] = {
    "simulate": cmd_simulate,
    "collect": cmd_collect,
    "dashboard": cmd_dashboard,
    "backfill": cmd_backfill,
    "demo": cmd_demo,
    "alerts": cmd_alerts,
    "store": cmd_store,
    "health": cmd_health,
    "users": cmd_users,
    "kiosk": cmd_kiosk,
}


def one_line(exc: BaseException) -> str:
    """An exception as one short line: its type and the first line of its message."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:300]}" if text else type(exc).__name__


def _refuse(exc: ConfigError) -> int:
    print(f"ioc: refusing to start, {len(exc.problems)} configuration problem(s):",
          file=sys.stderr)
    for problem in exc.problems:
        print(f"  {problem}", file=sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    bench = bench_split(argv)
    if bench is not None:
        return cmd_bench(*bench)
    args = parser().parse_args(argv)
    if args.command == "check-config":
        return cmd_check_config(args)
    try:
        # collect, dashboard: all of check-config (collectors/commands/config_check.py)
        settings = _settings(args)
    except ConfigError as exc:
        return _refuse(exc)
    from config import logs

    logs.configure(settings.logging)  # one set-up for every process (text or JSON lines)
    try:
        return COMMANDS[args.command](args, settings)
    except ConfigError as exc:  # found on the way up (a port taken since the check, …)
        return _refuse(exc)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
