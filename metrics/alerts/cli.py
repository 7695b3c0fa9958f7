"""`ioc alerts …`: list, acknowledge, silence, unsilence, evaluate (once or --watch).

Registered in collectors/cli.py by `add_parser(subparsers)`; `run(args, settings)`
returns the exit code. Acting needs `--user` and `--role` (checked against
`permissions` in alerts.yaml). `evaluate --watch` is the dashboard-independent
evaluator (dead-man's switch included): it evaluates every `evaluate_every_s` and
delivers the outbox, whether or not a collector runs.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime, timedelta

from config.alerts import AlertsConfig, alerts_path, load_alerts
from config.settings import Settings


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("alerts", help="alerts: list, ack, silence, evaluate")
    sub = p.add_subparsers(dest="alerts_command", required=True)

    ls = sub.add_parser("list", help="open alerts (and recent ones with --hours)")
    ls.add_argument("--hours", type=float, default=0, help="also alerts resolved this recently")

    for name in ("ack", "unack"):
        a = sub.add_parser(name, help=f"{name}nowledge an alert" if name == "ack" else
                           "withdraw an acknowledgement")
        a.add_argument("alert_id", type=int)
        a.add_argument("--user", required=True)
        a.add_argument("--role", required=True)
        a.add_argument("--note", default="")

    s = sub.add_parser("silence", help="silence alerts by rule, centre or label for a period")
    s.add_argument("--rule")
    s.add_argument("--centre")
    s.add_argument("--label", action="append", default=[], metavar="KEY=VALUE")
    s.add_argument("--hours", type=float, required=True)
    s.add_argument("--reason", required=True)
    s.add_argument("--user", required=True)
    s.add_argument("--role", required=True)

    u = sub.add_parser("unsilence", help="end a silence now")
    u.add_argument("silence_id", type=int)
    u.add_argument("--user", required=True)
    u.add_argument("--role", required=True)

    e = sub.add_parser("evaluate", help="evaluate the rules and deliver due notifications")
    e.add_argument("--watch", action="store_true", help="keep evaluating (dead-man's switch)")

    # Notification and export commands (no store needed).
    t = sub.add_parser("test-notify", help="send a test message through a channel")
    t.add_argument("channel", help="a channel name from alerts.yaml")
    x = sub.add_parser("export-prometheus", help="write the rules as Prometheus alerting rules")
    x.add_argument("--out", help="file to write (default: standard output)")


def _labels(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--label {item!r}: use KEY=VALUE")
        out[key] = value
    return out


def run(args: argparse.Namespace, settings: Settings) -> int:
    from config import catalogue
    from metrics.alerts import actions
    from metrics.store import Store

    cfg = load_alerts(alerts_path(args.config), interval_s=settings.collector.interval_s)
    catalogue.use_deployment(args.config)  # rules may name the deployment's own metrics
    command = args.alerts_command
    # These two run before the store is opened.
    if command == "test-notify":
        from metrics.alerts.notifiers.testnotify import cmd_test_notify

        return cmd_test_notify(args.channel, cfg)
    if command == "export-prometheus":
        from metrics.alerts.export_prometheus import cmd_export

        return cmd_export(cfg, settings.collector.interval_s, args.out,
                          settings.collector.confirm_window_s)
    with Store.open(settings.store.url) as store:
        try:
            if command == "list":
                return _list(store, args.hours)
            if command == "evaluate":
                from config.deployment import unwatched_ids

                return _evaluate(store, cfg, args.watch,
                                 unwatched_ids(settings, args.config))
            if command == "ack":
                actions.acknowledge(store, cfg, args.alert_id, user=args.user, role=args.role,
                                    note=args.note)
            elif command == "unack":
                actions.unacknowledge(store, cfg, args.alert_id, user=args.user, role=args.role)
            elif command == "silence":
                ends = int((time.time() + args.hours * 3600) * 1000)
                sid = actions.silence(store, cfg, user=args.user, role=args.role,
                                      reason=args.reason, ends_at=ends, rule=args.rule,
                                      centre_id=args.centre, labels=_labels(args.label))
                print(json.dumps({"silence_id": sid}))
            elif command == "unsilence":
                actions.cancel_silence(store, cfg, args.silence_id, user=args.user,
                                       role=args.role)
        except (PermissionError, KeyError, ValueError) as exc:
            print(f"ioc alerts {command}: {exc}", file=sys.stderr)
            return 1
    return 0


def _list(store, hours: float) -> int:
    from metrics.alerts.read import alerts

    now = datetime.now(UTC)
    frame = alerts(store, now - timedelta(hours=hours), now,
                   states=None if hours else ["pending", "firing"])
    cols = ["id", "state", "severity", "rule", "centre_id", "summary", "firing_since",
            "acked_by"]
    for row in frame.select([c for c in cols if c in frame.columns]).iter_rows(named=True):
        print(json.dumps(row, ensure_ascii=False, default=str))
    return 0


def _evaluate(store, cfg: AlertsConfig, watch: bool,
              unwatched: frozenset[str] = frozenset()) -> int:
    from metrics.alerts.engine import AlertEngine

    engine = AlertEngine(store, cfg, unwatched=unwatched)
    while True:
        summary = engine.evaluate()
        summary["delivery"] = engine.dispatch()
        print(json.dumps(summary, ensure_ascii=False), flush=True)
        if not watch:
            return 0
        try:
            time.sleep(cfg.evaluate_every_s)
        except KeyboardInterrupt:
            return 130
