"""`ioc bench <what>` (run as `python -m bench`): the product's benchmarks, each printing JSON.

The benchmarks are not part of the product: nothing under dashboard/, collectors/, metrics/
or config/ imports this package. `ioc bench` hands its arguments to this process."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from config.loader import ConfigError, load_settings
from config.settings import Settings

WHAT = ("collect", "store", "dashboard", "alerts", "load", "history", "metrics")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ioc bench", description=__doc__.splitlines()[0])
    p.add_argument("--config", help="settings file (default: $IOC_CONFIG or config/ioc.yaml)")
    p.add_argument("what", choices=WHAT)
    p.add_argument("--fleet", default="hue", help="hue | province:<code> | national")
    p.add_argument("--cycles", type=int, default=5)
    p.add_argument("--hang-fraction", type=float, default=0.0)
    p.add_argument("--centres", type=int, default=3355, help="store bench: centres/batch")
    p.add_argument("--db-url", help="store bench: database URL (default a scratch SQLite; "
                   "on PostgreSQL a scratch schema, dropped afterwards); alerts bench: "
                   "a PostgreSQL server, on which a scratch database is made")
    g = p.add_argument_group("alerts (ioc bench alerts)")
    g.add_argument("--interval", type=float, default=5.0, help="alerts: seconds between polls; "
                   "metrics: between cycles while scraping")
    g.add_argument("--outages", type=int, default=3, help="alerts: outages of each kind "
                   "(refused, 503, hanging, soft-down)")
    g.add_argument("--blips", type=int, default=30, help="alerts: centres with a 3-s blip")
    g.add_argument("--against", help="alerts, metrics: another checkout (e.g. the previous "
                   "release), run through the same steps for a side-by-side comparison "
                   "(alerts: first; metrics: in turn, round after round)")
    from bench.history import add_arguments as add_history_arguments
    from bench.load import add_arguments as add_load_arguments
    from bench.scrape import add_arguments as add_metrics_arguments

    add_history_arguments(p)  # ioc bench history --raw-hours/--raw-step/--five-min-days
    add_metrics_arguments(p)  # ioc bench metrics --scrapes/--samples-per-centre/--rounds
    add_load_arguments(p)  # ioc bench load --url/--walls/--staff/--duration/…
    return p


def run(args: argparse.Namespace, settings: Settings) -> dict:
    """Run the benchmark `args.what` names; its result as a JSON-able dict."""
    if args.what == "collect":
        from bench.collect import bench_collect

        return bench_collect(fleet=args.fleet, cycles=args.cycles,
                             hang_fraction=args.hang_fraction)
    if args.what == "dashboard":
        from bench.pages import run_dashboard_bench

        return run_dashboard_bench(args, settings)
    if args.what == "load":
        from bench.load import run_load_bench

        return run_load_bench(args, settings)
    if args.what == "alerts":
        from bench.alerts import run_alerts_bench

        return run_alerts_bench(args, settings)
    if args.what == "metrics":
        from bench.scrape import run_metrics_bench

        return run_metrics_bench(args)
    if args.what == "history":
        from bench.history import run_history_bench

        return run_history_bench(args, settings)
    from bench.store_write import run_scratch_bench

    return run_scratch_bench(args.db_url, centres=args.centres, cycles=args.cycles)


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(f"ioc bench: {len(exc.problems)} configuration problem(s):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    from config import logs

    logs.configure(settings.logging)
    print(json.dumps(run(args, settings), ensure_ascii=False, indent=2))
    return 0
