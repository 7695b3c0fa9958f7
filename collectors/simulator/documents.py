"""Bodies the simulated centres send: the status JSON, one family, Prometheus text, and
the deliberately broken bodies of the `malformed` and `oversized` faults."""

from __future__ import annotations

import json
from functools import lru_cache

from config.catalogue import (
    COMPONENT_STATES,
    NETWORK_STATES,
    POWER_STATES,
    PROCEDURES,
    SYSTEM_STATES,
)

FAMILIES = ("system", "otp", "sync", "dossiers")
JSON_TYPE = "application/json; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"
PROM_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Dossier counters and gauges, in document order, with their help text.
DOSSIER_COUNTERS = {
    "received_total": "Dossiers received today",
    "online_total": "Dossiers submitted online today",
    "resolved_total": "Dossiers resolved today",
    "resolved_on_time_total": "Dossiers resolved on time today",
    "resolved_late_total": "Dossiers resolved late today",
    "returned_total": "Dossiers returned today",
    "supplement_requested_total": "Dossiers with a supplement request today",
    "supplement_multi_total": "Dossiers with more than one supplement request today",
    "fee_bearing_total": "Fee-bearing dossiers received today",
    "paid_online_total": "Fee-bearing dossiers paid online today",
    "digitised_total": "Dossiers digitised today",
    "e_result_total": "Dossiers resolved with an electronic result today",
    "complaints_total": "Complaints today",
    "resolution_seconds_total": "Seconds from reception to result, summed over today's resolutions",
}
DOSSIER_GAUGES = {"open": "Dossiers open now", "overdue": "Open dossiers past their deadline"}
COMPONENT_CODES = {"power": POWER_STATES, "network": NETWORK_STATES}


def dumps(obj: object) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def status_body(doc: dict) -> bytes:
    return dumps(doc)


def flooded(doc: dict, keys: int, key_bytes: int) -> dict:
    """The document with `keys` extra procedures named by `key_bytes`-long strings (the
    `label_flood` fault: a hostile centre's label keys)."""
    dossiers = dict(doc["dossiers"])
    extra = {f"{i:05d}".ljust(key_bytes, "x"): {"received_total": 1, "resolved_total": 1}
             for i in range(keys)}
    dossiers["by_procedure"] = {**dossiers.get("by_procedure", {}), **extra}
    return {**doc, "dossiers": dossiers}


def family_body(doc: dict, family: str) -> bytes:
    """The document with only `centre`, `time` and one family (KeyError if unknown)."""
    if family not in FAMILIES:
        raise KeyError(family)
    return dumps({"centre": doc["centre"], "time": doc["time"], family: doc[family]})


def _metric(
    out: list[str], name: str, kind: str, help_: str, samples: list[tuple[str, float]]
) -> None:
    out.append(f"# HELP pvhcc_{name} {help_}")
    out.append(f"# TYPE pvhcc_{name} {kind}")
    out.extend(f"pvhcc_{name}{labels} {value}" for labels, value in samples)


def exposition(doc: dict) -> bytes:
    """The document as Prometheus text exposition (0.0.4), catalogue names, base units."""
    system, otp, sync, dossiers = doc["system"], doc["otp"], doc["sync"], doc["dossiers"]
    out: list[str] = []
    _metric(
        out,
        "system_state",
        "gauge",
        "System state (0 down, 1 degraded, 2 up)",
        [("", SYSTEM_STATES[system["status"]])],
    )
    _metric(
        out,
        "component_state",
        "gauge",
        "Component state (0 down, 1 degraded, 2 ok)",
        [
            (f'{{component="{name}"}}', COMPONENT_CODES.get(name, COMPONENT_STATES)[state])
            for name, state in system["components"].items()
        ],
    )
    _metric(
        out, "otp_p50_seconds", "gauge", "Median OTP delivery time", [("", otp["p50_ms"] / 1000)]
    )
    _metric(
        out,
        "otp_p95_seconds",
        "gauge",
        "95th percentile OTP delivery time",
        [("", otp["p95_ms"] / 1000)],
    )
    _metric(
        out,
        "otp_failure_ratio",
        "gauge",
        "Share of OTP codes that failed",
        [("", otp["failure_ratio"])],
    )
    _metric(out, "otp_sent_total", "counter", "OTP codes sent today", [("", otp["sent_total"])])
    _metric(
        out, "otp_failed_total", "counter", "OTP codes failed today", [("", otp["failed_total"])]
    )
    _metric(
        out, "sync_lag_seconds", "gauge", "National Portal sync lag", [("", sync["lag_seconds"])]
    )
    _metric(
        out, "sync_unsynced_dossiers", "gauge", "Dossiers not yet synced", [("", sync["unsynced"])]
    )
    _metric(
        out, "sync_synced_total", "counter", "Dossiers synced today", [("", sync["synced_total"])]
    )
    for key, help_ in DOSSIER_COUNTERS.items():
        _metric(out, f"dossiers_{key}", "counter", help_, [("", dossiers[key])])
    for key, help_ in DOSSIER_GAUGES.items():
        _metric(out, f"dossiers_{key}", "gauge", help_, [("", dossiers[key])])
    by = dossiers["by_procedure"]
    for what in ("received", "resolved"):
        _metric(
            out,
            f"dossiers_{what}_by_procedure_total",
            "counter",
            f"Dossiers {what} today by procedure",
            [(f'{{procedure="{p}"}}', by[p][f"{what}_total"]) for p in PROCEDURES if p in by],
        )
    out.append("")
    return "\n".join(out).encode()


def malformed_body(endpoint: str) -> bytes:
    """A 200 body that looks right at a glance and does not parse."""
    if endpoint == "metrics":
        return b'# TYPE pvhcc_system_state gauge\npvhcc_system_state{component="esign" 2 x\n'
    if endpoint == "health":
        return b"<html><body>\xff\xfe loading\x00"
    return b'{"centre": {"id": "\xc6", "name": "Trung t\xc3\xa2m", "time": 2026-11-23T09:15'


@lru_cache(maxsize=8)
def oversized_body(size: int) -> bytes:
    """Exactly `size` bytes: a JSON object padded with spaces (valid, but far too large)."""
    head, tail = b'{"padding":"', b'"}'
    if size <= len(head) + len(tail):
        return b" " * size
    return head + b"x" * (size - len(head) - len(tail)) + tail
