"""config/alerts.yaml: the shipped file is valid; each bad value is named by file and key."""

from __future__ import annotations

import pytest
import yaml

from config.alerts import check_alerts, load_alerts
from config.loader import ConfigError

GOOD_RULE = {"name": "r", "condition": {"kind": "failed_polls"}, "severity": "critical",
             "summary": "{centre_name}"}


def test_shipped_alerts_file_is_valid_and_has_every_rule_of_the_issue():
    cfg = load_alerts()
    kinds = {r.condition.kind for r in cfg.rules}
    assert kinds == {"failed_polls", "province_down", "threshold", "growth", "stale",
                     "collector_silent", "burn_rate", "store_unreachable"}
    assert {"centre_down", "power_cut", "otp_p95_high", "collector_silent"} <= {
        r.name for r in cfg.rules}


@pytest.mark.parametrize(("data", "key", "reason"), [
    ({"rules": [GOOD_RULE | {"summary": "{centre_nam}"}]}, "rules.0", "unknown field"),
    ({"rules": [GOOD_RULE | {"colour": "red"}]}, "rules.0.colour", "unknown key"),
    ({"rules": [GOOD_RULE | {"condition": {"kind": "threshold", "metric": "nope",
                                           "op": ">", "value": 1}}]},
     "rules.0.condition.threshold", "unknown metric"),
    ({"rules": [GOOD_RULE], "routes": [{"channels": ["pager"]}]}, "<top>",
     "no channel named 'pager'"),
    ({"rules": [GOOD_RULE], "maintenance": [{"name": "m", "start": "25:00", "end": "01:00"}]},
     "maintenance.0.start", "pattern"),
])
def test_check_alerts_names_file_key_and_reason(tmp_path, data, key, reason):
    path = tmp_path / "alerts.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    problems = [str(p) for p in check_alerts(path)]
    assert any(str(path) in p and f": {key}:" in p and reason in p for p in problems), problems
    with pytest.raises(ConfigError):
        load_alerts(path)


def test_alerts_path_finds_the_file_beside_IOC_CONFIG_when_no_config_file_is_given(
        tmp_path, monkeypatch):
    from config.alerts import DEFAULT_ALERTS, alerts_path

    settings = tmp_path / "ioc.yaml"
    settings.write_text("{}")
    monkeypatch.setenv("IOC_CONFIG", str(settings))
    assert alerts_path() == DEFAULT_ALERTS  # nothing beside it yet: the shipped rules
    (tmp_path / "alerts.yaml").write_text("rules: []")
    assert alerts_path() == tmp_path / "alerts.yaml"  # as `ioc collect` started with IOC_CONFIG
    assert alerts_path(tmp_path / "elsewhere" / "ioc.yaml") == DEFAULT_ALERTS
    monkeypatch.delenv("IOC_CONFIG")
    assert alerts_path() == DEFAULT_ALERTS
