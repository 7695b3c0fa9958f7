"""Configuration: strict loading, every problem named by file and key, env overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.commands.config_check import check
from config.loader import ConfigError, load_settings
from config.registry import all_centres, fleet, provinces, select

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "config"


def problems_of(name: str, env: dict[str, str] | None = None) -> list[str]:
    return [str(p) for p in check(FIXTURES / name, env or {}, ports=False)]


def test_load_settings_reads_shipped_config_when_environment_is_empty():
    settings = load_settings(None, {})
    assert settings.deployment.province == 46
    assert settings.store.url.startswith("sqlite:///")


@pytest.mark.parametrize(
    ("fixture", "key", "reason"),
    [
        ("unknown_key.yaml", "collector.intervall_s", "unknown key"),
        ("bad_types.yaml", "collector.interval_s", "valid number"),
        ("bad_types.yaml", "collector.timeout_s", "greater than 0"),
        ("bad_types.yaml", "dashboard.language", "'vi' or 'en'"),
        ("timeout_too_long.yaml", "collector", "must be shorter than interval_s"),
        ("password_in_file.yaml", "store.url", "IOC_DB_URL"),
        ("no_province.yaml", "deployment", "needs 'province'"),
        ("unknown_province.yaml", "deployment.province", "not an official province code"),
    ],
)
def test_check_names_file_key_and_reason_when_a_value_is_bad(fixture, key, reason):
    found = problems_of(fixture)
    assert any(f"{fixture}: {key}:" in p and reason in p for p in found), found


def test_check_reports_every_problem_at_once_when_a_file_has_several():
    found = problems_of("bad_types.yaml")
    assert len(found) == 3, found


def test_check_reports_yaml_syntax_error_with_line_when_file_is_not_yaml():
    (found,) = problems_of("not_yaml.yaml")
    assert "not_yaml.yaml" in found and "line" in found


def test_check_names_site_file_keys_when_site_entries_are_bad():
    found = problems_of("bad_site.yaml")
    assert any("bad_site_centres.yaml: centres.19753: " in p and "both lat and lon" in p
               for p in found), found
    assert any("centres.19774.lat" in p for p in found), found
    assert any("centres.19774.colour: unknown key" in p for p in found), found


def test_check_reports_unknown_centre_and_wrong_province_when_site_does_not_match():
    found = problems_of("wrong_site.yaml")
    assert any("centres.99999: no centre has this official code" in p for p in found), found
    assert any(": province: site file is for province 38" in p for p in found), found


def test_check_reports_missing_file_when_path_does_not_exist():
    (found,) = problems_of("no_such_file.yaml")
    assert "cannot read" in found


def test_environment_overrides_file_when_ioc_variables_are_set():
    settings = load_settings(FIXTURES / "good_national.yaml", {
        "IOC_COLLECTOR__INTERVAL_S": "5",
        "IOC_DB_URL": "postgresql+psycopg://ioc:secret@db/ioc",
    })
    assert settings.collector.interval_s == 5
    assert settings.store.url.endswith("@db/ioc")  # a password is fine from the environment


def test_environment_error_names_variable_when_value_is_bad():
    found = problems_of("good_national.yaml", {"IOC_COLLECTOR__TIMEOUT_S": "slow"})
    assert found == [
        "environment IOC_COLLECTOR__TIMEOUT_S: collector.timeout_s: "
        "Input should be a valid number, unable to parse string as a number"
    ]


def test_environment_error_when_variable_names_no_setting():
    found = problems_of("good_national.yaml", {"IOC_COLECTOR__INTERVAL_S": "5"})
    assert len(found) == 1 and "environment IOC_COLECTOR__INTERVAL_S" in found[0]


def test_load_settings_raises_config_error_listing_problems_when_invalid():
    with pytest.raises(ConfigError) as err:
        load_settings(FIXTURES / "bad_types.yaml", {})
    assert len(err.value.problems) == 3


def test_registry_holds_official_counts_when_built_from_vietnam_provinces():
    assert len(provinces()) == 34
    communes = [c for c in all_centres() if len(c.id) == 5]
    assert len(communes) == 3321
    assert len(select("national")) == 3355
    assert provinces()[46].name == "Thành phố Huế"


@pytest.mark.parametrize(("spec", "count"), [("hue", 40), ("province:38", 166),
                                             ("province:68", 124), ("province:14", 75)])
def test_fleet_selects_official_communes_when_given_a_province(spec, count):
    centres = fleet(spec)
    assert len(centres) == count
    assert all(len(c.id) == 5 for c in centres)


def test_fleet_rejects_unknown_spec_when_misspelt():
    with pytest.raises(ValueError, match="fleet must be"):
        fleet("hanoi")
