"""A deployment's own config folder: its profiles, metrics, watched centres and document ids.

Each test writes a folder beside a settings file in tmp_path; nothing under the install is
read except the shipped profiles and catalogue.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from collectors import validate
from collectors.commands.config_check import check
from collectors.mapping import deployment_profiles
from collectors.polling.targets import build_targets
from collectors.probes.json_probe import parse_json
from collectors.validate import Reading
from config import catalogue
from config.alerts import load_alerts
from config.deployment import centres, site_file, unwatched_ids
from config.loader import ConfigError, load_settings
from config.registry import fleet
from config.settings import SiteFile
from tests.fixtures.catalogue import catalogue_restored

HUE = [c.id for c in fleet("hue")]
QUEUE = "queue_waiting: {unit: người, kind: gauge, min: 0, max: 500}\n"
SETTINGS = "deployment: {scope: province, province: 46, site_file: site.yaml}\n"


@pytest.fixture(autouse=True)
def own_catalogue() -> Iterator[None]:
    """What a test registers in the catalogue does not leak into the next test."""
    with catalogue_restored():
        yield


def folder(tmp_path: Path, **files: str) -> Path:
    """A config folder holding `files` (name without .yaml → text); its settings file."""
    files = {"ioc": SETTINGS, "site": "province: 46\n", **files}
    for name, text in files.items():
        (tmp_path / f"{name}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path / "ioc.yaml"


def problems(exc: pytest.ExceptionInfo[ConfigError]) -> list[str]:
    return [str(p) for p in exc.value.problems]


# --- profiles ---------------------------------------------------------------------------

def test_deployment_profiles_add_the_folders_profile_to_the_shipped_ones(tmp_path):
    file = folder(tmp_path, metrics=QUEUE, probes="""
        foreign:
          centre_id: meta.site
          json: {queue.waiting: {metric: queue_waiting}}
        """)
    profiles = deployment_profiles(file)
    assert {"default", "foreign"} <= set(profiles)
    assert profiles["foreign"].centre_id == ("meta", "site")
    assert catalogue.METRICS["queue_waiting"].family is catalogue.Family.SITE


def test_deployment_profiles_refuse_a_shipped_name_in_one_line_naming_file_and_profile(
        tmp_path):
    file = folder(tmp_path, probes="default: {json: {x.y: {metric: system_state}}}\n")
    with pytest.raises(ConfigError) as exc:
        deployment_profiles(file)
    [line] = problems(exc)
    assert line.startswith(f"{tmp_path / 'probes.yaml'}: default: profile 'default' is shipped")
    assert "\n" not in line


@pytest.mark.parametrize(("body", "key", "reason"), [
    ("json: {queue.waiting: {metric: no_such}}", "foreign.json.queue.waiting",
     "unknown metric 'no_such'"),
    ("json: {queue.waiting: {metric: system_state, states: NOPE}}",
     "foreign.json.queue.waiting.states", "unknown state table 'NOPE'"),
    ("jsn: {}", "foreign.jsn", "unknown key"),
    ("json: {queue.waiting: {metric: system_state, scale: -1}}",
     "foreign.json.queue.waiting.scale", "greater than 0"),
])
def test_a_broken_profile_is_a_one_line_error_naming_file_profile_and_key(
        tmp_path, body, key, reason):
    file = folder(tmp_path, probes=f"foreign: {{{body}}}\n")
    with pytest.raises(ConfigError) as exc:
        deployment_profiles(file)
    [line] = problems(exc)
    assert line.startswith(f"{tmp_path / 'probes.yaml'}: {key}: ") and reason in line


def test_build_targets_carries_the_folders_profile_and_the_site_files_document_id(tmp_path):
    file = folder(tmp_path, metrics=QUEUE,
                  probes="foreign: {centre_id: meta.site, json: {q: {metric: queue_waiting}}}\n",
                  site=f"""
                      province: 46
                      centres:
                        "{HUE[0]}":
                          document_id: HUE-PX-01
                          probes: [{{kind: json, path: /s, profile: foreign}}]
                      """)
    settings = load_settings(file, env={})
    [target] = build_targets(settings, centres(settings, file)[:1], site_file(settings, file),
                             file)
    assert target.expected_id == "HUE-PX-01" and target.centre_id == HUE[0]
    assert target.calls[0].mapping.name == "foreign"


# --- metrics ----------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "key", "reason"), [
    ("up: {unit: x, kind: gauge, max: 1}", "up", "a built-in metric"),
    ("queue_waiting: {unit: x, kind: gauge}", "queue_waiting", "a gauge needs its 'max'"),
    ("queue_waiting: {unit: x, kind: counter}", "queue_waiting.kind", "ends in '_total'"),
    ("served_total: {unit: x, kind: gauge, max: 9}", "served_total.kind", "ends in '_total'"),
    ("Bad-Name: {unit: x, kind: gauge, max: 1}", "Bad-Name", "lower-case letters"),
    ("t: {unit: x, kind: gauge, min: 5, max: 1}", "t", "below min"),
    ("t: {unit: x, kind: gauge, max: 1, colour: red}", "t.colour", "unknown key"),
])
def test_a_broken_metric_definition_is_an_error_naming_file_metric_and_key(
        tmp_path, text, key, reason):
    file = folder(tmp_path, metrics=text + "\n")
    with pytest.raises(ConfigError) as exc:
        catalogue.use_deployment(file)
    [line] = problems(exc)
    assert line.startswith(f"{tmp_path / 'metrics.yaml'}: {key}: ") and reason in line


def test_validate_applies_a_site_metrics_declared_range_like_a_built_ins(tmp_path):
    catalogue.use_deployment(folder(tmp_path, metrics=QUEUE))
    samples, rejected = validate.validate([
        Reading("queue.waiting", "queue_waiting", 42),
        Reading("queue.other", "queue_waiting", 501),
    ])
    assert [(s.metric, s.value) for s in samples] == [("queue_waiting", 42.0)]
    assert rejected == ["queue.other: out of range [0, 500] (501)"]


def test_alert_rules_may_name_the_folders_own_metric_and_no_unknown_one(tmp_path):
    rule = ("rules: [{{name: q, condition: {{kind: threshold, metric: {m}, op: '>', "
            "value: 30}}, severity: warning, summary: '{{centre_name}}'}}]\n")
    folder(tmp_path, metrics=QUEUE, alerts=rule.format(m="queue_waiting"))
    assert load_alerts(tmp_path / "alerts.yaml").rules[0].condition.metric == "queue_waiting"
    folder(tmp_path, metrics=QUEUE, alerts=rule.format(m="queue_wating"))
    with pytest.raises(ConfigError, match="unknown metric 'queue_wating'"):
        load_alerts(tmp_path / "alerts.yaml")


def test_check_config_reports_a_broken_metrics_file_for_the_dashboard_alone(tmp_path):
    file = folder(tmp_path, metrics="queue_waiting: {unit: x, kind: gauge}\n")
    [problem] = check(file, env={}, roles=("dashboard",), ports=False)
    assert problem.key == "queue_waiting" and "max" in problem.reason


# --- watched centres and document ids -----------------------------------------------------

def test_the_site_file_disables_centres_within_the_scope(tmp_path):
    file = folder(tmp_path, site=f'province: 46\ncentres: {{"{HUE[1]}": {{enabled: false}}}}\n')
    settings = load_settings(file, env={})
    ids = [c.id for c in centres(settings, file)]
    assert len(ids) == 39 and HUE[1] not in ids
    assert unwatched_ids(settings, file) == {HUE[1]}


def test_watch_listed_keeps_only_the_listed_and_enabled_centres(tmp_path):
    file = folder(tmp_path, site=f"""
        province: 46
        watch: listed
        centres: {{"{HUE[0]}": {{}}, "{HUE[2]}": {{lat: 16.4, lon: 107.6}},
                   "{HUE[3]}": {{enabled: false}}}}
        """)
    settings = load_settings(file, env={})
    assert [c.id for c in centres(settings, file)] == [HUE[0], HUE[2]]
    assert len(unwatched_ids(settings, file)) == 38


def test_check_config_refuses_watch_listed_with_nothing_to_watch(tmp_path):
    file = folder(tmp_path, site="province: 46\nwatch: listed\n")
    [problem] = check(file, env={}, roles=("collector",), ports=False)
    assert problem.key == "watch" and "nothing to watch" in problem.reason


def test_two_centres_cannot_share_a_document_id():
    with pytest.raises(ValueError, match="same document_id 'HUE-1'"):
        SiteFile.model_validate({"province": 46, "centres": {
            HUE[0]: {"document_id": "HUE-1"}, HUE[1]: {"document_id": "HUE-1"}}})


def test_a_document_for_another_foreign_id_is_refused_naming_the_field_and_both_ids(tmp_path):
    catalogue.use_deployment(folder(tmp_path, metrics=QUEUE,
                                    probes="f: {centre_id: meta.site, "
                                           "json: {q: {metric: queue_waiting}}}\n"))
    profile = deployment_profiles(tmp_path / "ioc.yaml")["f"]
    good = parse_json(b'{"meta": {"site": "HUE-PX-01"}, "q": 4}', "HUE-PX-01", profile)
    bad = parse_json(b'{"meta": {"site": "HUE-PX-02"}, "q": 4}', "HUE-PX-01", profile)
    assert good.error is None and [r.value for r in good.readings] == [4]
    assert bad.error == "meta.site: document is for centre 'HUE-PX-02', not 'HUE-PX-01'"


# --- docs/configuration.md: its worked example, as written -------------------------------

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def doc_blocks() -> dict[str, str]:
    """The page's fenced blocks: yaml by the file named in their first line, and the JSON."""
    out = {}
    for block in DOC.read_text(encoding="utf-8").split("```")[1::2]:
        lang, _, body = block.partition("\n")
        first = body.split("\n", 1)[0]
        if lang == "yaml" and first.startswith("# ") and first.endswith(".yaml"):
            out[first[2:]] = body
        elif lang == "json":
            out["document.json"] = body
    return out


def test_the_worked_example_of_the_configuration_page_checks_and_reads_the_document(
        tmp_path):
    blocks = doc_blocks()
    assert set(blocks) == {"ioc.yaml", "hue-px.yaml", "probes.yaml", "metrics.yaml",
                           "alerts.yaml", "document.json"}
    for name, text in blocks.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    file = tmp_path / "ioc.yaml"
    assert check(file, env={}, roles=("collector", "dashboard"), ports=False) == []
    settings = load_settings(file, env={})
    assert [c.id for c in centres(settings, file)] == ["19753", "19774"]
    profile = deployment_profiles(file)["px_queue"]
    parsed = parse_json(blocks["document.json"].encode(), "HUE-PX-01", profile)
    samples, rejected = validate.validate(parsed.readings)
    assert parsed.error is None and rejected == []
    assert {s.metric: s.value for s in samples} == {
        "system_state": 2.0, "component_portal_link_state": 2.0, "queue_waiting": 42.0,
        "queue_served_total": 1234.0, "kiosk_temperature_celsius": 31.5}
    assert catalogue.METRICS["queue_waiting"].unit == "người"


def test_an_empty_probes_or_metrics_file_adds_nothing(tmp_path):
    file = folder(tmp_path, probes="# none yet\n", metrics="# none yet\n")
    assert set(deployment_profiles(file)) == {"default"}
    assert catalogue.site_metrics() == ()
