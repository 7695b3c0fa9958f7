"""The store's own alert: sent by the collector straight to the channels, never through the
store's outbox, so it is delivered while the database is down.

`StoreAlarm` is a collector cycle observer. A cycle the writer could not store (it names the
store's state in the cycle summary's `db`: unreachable, or a write abandoned as stuck) fires
the `store_unreachable` rule of config/alerts.yaml once; the first cycle stored again resolves
it. Each notice goes to the rule's routed channels on a thread of its own, retried with the
channel's back-off until it is delivered or the next change of state replaces it, so a
hanging receiver holds up neither the cycle loop nor another channel.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from config import logs
from config.alerts import AlertsConfig, Rule, StoreUnreachable
from config.channels import backoff_delay
from metrics.alerts import lifecycle as lc
from metrics.alerts.notifiers.base import AlertItem, DeliveryError, Message

log = logging.getLogger("ioc.alerts")
MAX_ATTEMPTS = 8  # per channel and notice; a later change of state stops the retries too
WHY = {"unreachable": "cơ sở dữ liệu không trả lời", "stuck": "ghi dữ liệu quá thời hạn"}


def store_rule(cfg: AlertsConfig) -> Rule | None:
    """The configuration's `store_unreachable` rule, if it has one."""
    return next((r for r in cfg.rules if isinstance(r.condition, StoreUnreachable)), None)


def notice(rule: Rule, status: Literal["firing", "resolved"], since: datetime, now: datetime,
           why: str, deployment: str) -> Message:
    """The firing (or resolved) message of `rule` for an outage that began at `since`."""
    labels = {**rule.labels, "rule": rule.name, "severity": rule.severity}
    fields = {"rule": rule.name, "severity": rule.severity, "centre_id": "",
              "centre_name": "", "province_code": "", "province_name": deployment,
              "value": float("nan"), "cause": why, "why": why}
    item = AlertItem(fingerprint=rule.name, rule=rule.name, severity=rule.severity,
                     centre_id=None, centre_name=None, province_name=deployment or None,
                     summary=rule.summary.format(**fields), cause=why, starts_at=since,
                     ends_at=now if status == "resolved" else None, labels=labels)
    return Message(status=status, group_key=f"store:{rule.name}", alerts=(item,),
                   key=f"ioc-store-{int(since.timestamp() * 1000)}-{status}")


class StoreAlarm:
    """Fires and resolves `store_unreachable` from the cycles' summaries (see module doc)."""

    def __init__(self, cfg: AlertsConfig, *, deployment: str = "",
                 env: Mapping[str, str] | None = None,
                 send: Callable[..., None] | None = None,
                 clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], bool] | None = None):
        self.cfg, self.rule, self.deployment = cfg, store_rule(cfg), deployment
        self.env = os.environ if env is None else env
        if send is None:
            from metrics.alerts.notifiers import send as send_one
            send = send_one
        self._send, self._clock = send, clock
        self._stop = threading.Event()
        self._sleep = sleep or self._stop.wait
        self._since: datetime | None = None  # the outage's start, while the store is down
        self._generation = 0  # bumped at each change of state: older retries give up
        self.threads: list[threading.Thread] = []

    def after_cycle(self, cycle: object, summary: dict[str, Any], write_s: float) -> None:
        if self.rule is None:
            return
        state = summary.get("db")
        now = datetime.fromtimestamp(self._clock(), UTC)
        if state and self._since is None:
            self._since = now
            self._announce("firing", now, WHY.get(state, str(state)))
        elif not state and self._since is not None:
            since, self._since = self._since, None
            self._announce("resolved", since, "")

    def close(self) -> None:
        """Stop retrying (at shutdown)."""
        self._stop.set()

    def _announce(self, status: Literal["firing", "resolved"], since: datetime, why: str) -> None:
        assert self.rule is not None
        self._generation += 1
        now = datetime.fromtimestamp(self._clock(), UTC)
        message = notice(self.rule, status, since, now, why, self.deployment)
        labels = dict(message.alerts[0].labels)
        for name in lc.route(self.cfg, labels):
            thread = threading.Thread(target=self._deliver,
                                      args=(name, message, self._generation),
                                      name=f"store-alarm-{name}", daemon=True)
            self.threads.append(thread)
            thread.start()

    def _deliver(self, name: str, message: Message, generation: int) -> None:
        channel = self.cfg.channels[name]
        for attempt in range(1, MAX_ATTEMPTS + 1):
            if generation != self._generation and message.status == "firing":
                return  # resolved meanwhile: a late "down" would only mislead
            try:
                self._send(channel, message, self.env, name=name)
                logs.event(log, "store_alarm_sent", logging.WARNING, channel=name,
                           status=message.status)
                return
            except DeliveryError as exc:
                if not exc.retryable or attempt == MAX_ATTEMPTS:
                    logs.event(log, "store_alarm_failed", logging.ERROR, channel=name,
                               status=message.status, error=str(exc))
                    return
            if self._sleep(backoff_delay(channel, attempt)):
                return


def store_alarm(settings: Any, config_file: str | None = None) -> StoreAlarm:
    """The collector's store alarm over the alert rules beside its settings (validated at
    start-up by `collectors.commands.config_check`)."""
    from config.alerts import alerts_path, load_alerts

    cfg = load_alerts(alerts_path(config_file), interval_s=settings.collector.interval_s)
    return StoreAlarm(cfg, deployment=settings.deployment.name)
