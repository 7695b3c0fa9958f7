"""`ioc check-config` and the start-up of `ioc collect` / `ioc dashboard` are one validation:
whatever check-config refuses, the process refuses with the same one-line problems (exit 2, no
traceback), and whatever it passes, the collector runs."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from collectors.cli import main
from collectors.commands.config_check import check, startup
from collectors.endpoint.health import CollectorHealth
from collectors.simulator.background import free_port
from config.loader import ConfigError
from metrics.store.check import StoreCheck

GOOD = """\
deployment: {scope: province, province: 46, site_file: site.yaml}
collector: {interval_s: 5, timeout_s: 1, connect_timeout_s: 1, workers: 1, concurrency: 8,
            metrics_port: 0, spool_dir: null}
"""
GOOD_SITE = """\
province: 46
centres:
  "19753": {lat: 16.47, lon: 107.58, url: "http://127.0.0.1:9/pvhcc"}
"""


def write(tmp: Path, settings: str | None = GOOD, site: str | None = GOOD_SITE) -> Path:
    if site is not None:
        (tmp / "site.yaml").write_text(site, encoding="utf-8")
    file = tmp / "ioc.yaml"
    if settings is not None:
        file.write_text(settings, encoding="utf-8")
    return file


def env_for(tmp: Path, **more: str) -> dict[str, str]:
    """A clean environment: a scratch SQLite store, a closed simulator port."""
    return {"IOC_DB_URL": f"sqlite:///{tmp / 'ioc.db'}",
            "IOC_SIMULATOR__PORT": str(free_port()), **more}


def refused_by_both(file: Path, env: dict[str, str], capsys, monkeypatch,
                    command: str = "collect") -> list[str]:
    """check-config's problems, after asserting the process refuses with exactly those."""
    problems = [str(p) for p in check(file, env, ports=False)]
    assert problems, "check-config passed it"
    role = "collector" if command == "collect" else "dashboard"
    with pytest.raises(ConfigError) as refused:
        startup([role], file, env, ports=False)
    mine = [str(p) for p in check(file, env, roles=[role], ports=False)]
    assert [str(p) for p in refused.value.problems] == mine
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    capsys.readouterr()
    assert main(["--config", str(file), command, *(["--once"] if role == "collector" else [])]
                ) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert all(p in err for p in mine), err
    assert main(["check-config", str(file)]) == 1
    assert str(file) in capsys.readouterr().err
    return problems


def test_an_empty_settings_file_is_refused_naming_the_file(tmp_path, capsys, monkeypatch):
    file = write(tmp_path, "# only a comment\n")
    [problem] = refused_by_both(file, env_for(tmp_path), capsys, monkeypatch)
    assert problem.startswith(f"{file}: <top>: empty")


def test_an_explicit_empty_mapping_still_means_every_default(tmp_path):
    file = write(tmp_path, "{}\n")
    assert check(file, env_for(tmp_path), ports=False) == []


def test_a_missing_settings_file_is_refused_naming_the_file(tmp_path, capsys, monkeypatch):
    file = tmp_path / "nowhere.yaml"
    [problem] = refused_by_both(file, env_for(tmp_path), capsys, monkeypatch)
    assert problem == f"{file}: <top>: cannot read: No such file or directory"


@pytest.mark.parametrize("command", ["collect", "dashboard"])
def test_a_mysql_store_url_is_refused_by_check_config_and_start_up(tmp_path, capsys,
                                                                    monkeypatch, command):
    file = write(tmp_path)
    env = env_for(tmp_path, IOC_DB_URL="mysql://ioc@db-host/ioc")
    [problem] = refused_by_both(file, env, capsys, monkeypatch, command)
    assert problem.startswith("environment IOC_DB_URL: store.url: unsupported database 'mysql'")


def test_a_store_url_in_the_file_with_another_driver_is_refused(tmp_path, capsys, monkeypatch):
    file = write(tmp_path, GOOD + "store: {url: 'postgresql+asyncpg://ioc@db/ioc'}\n")
    env = env_for(tmp_path)
    env.pop("IOC_DB_URL")
    [problem] = refused_by_both(file, env, capsys, monkeypatch)
    assert problem == (f"{file}: store.url: unsupported postgresql driver 'asyncpg': "
                       "use postgresql+psycopg")


def test_an_ftp_centre_url_is_refused_by_check_config_and_start_up(tmp_path, capsys,
                                                                    monkeypatch):
    file = write(tmp_path, site=GOOD_SITE.replace("http://127.0.0.1:9", "ftp://pvhcc.example"))
    [problem] = refused_by_both(file, env_for(tmp_path), capsys, monkeypatch)
    assert problem.startswith(f"{tmp_path / 'site.yaml'}: centres.19753.url: not an http(s) URL")


def test_an_ftp_endpoint_template_is_refused_by_check_config_and_start_up(tmp_path, capsys,
                                                                           monkeypatch):
    file = write(tmp_path)
    env = env_for(tmp_path, IOC_COLLECTOR__ENDPOINT_TEMPLATE="ftp://{sim_host}/c/{id}")
    [problem] = refused_by_both(file, env, capsys, monkeypatch)
    assert "collector.endpoint_template: not an http(s) URL ('ftp://')" in problem


@pytest.mark.parametrize("site, reason", [
    (GOOD_SITE + '  "99999": {lat: 16.0, lon: 107.0}\n',
     "centres.99999: no centre has this official code"),
    (GOOD_SITE.replace("province: 46", "province: 38"),
     "province: site file is for province 38, the deployment watches 46"),
    (GOOD_SITE.replace("lat: 16.47, ", ""), "centres.19753: give both lat and lon, or neither"),
    (GOOD_SITE + '  "19774": {probes: [{kind: json, path: /s, profile: nope}]}\n',
     "unknown mapping profile 'nope'"),
    ("province: [46\n", "not valid YAML"),
])
def test_site_file_problems_are_refused_by_check_config_and_start_up(tmp_path, capsys,
                                                                     monkeypatch, site, reason):
    file = write(tmp_path, site=site)
    problems = refused_by_both(file, env_for(tmp_path), capsys, monkeypatch)
    assert any(reason in p for p in problems), problems


def test_what_check_config_passes_the_collector_runs(tmp_path, capsys, monkeypatch):
    file = write(tmp_path)
    env = env_for(tmp_path)
    assert check(file, env) == []
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["--config", str(file), "collect", "--once"]) == 0
    assert '"centres": 40' in capsys.readouterr().out  # every centre polled (and refused)


@pytest.mark.parametrize("key, variable", [
    ("collector.metrics_port", "IOC_COLLECTOR__METRICS_PORT"),
    ("dashboard.port", "IOC_DASHBOARD__PORT"),
])
def test_a_taken_port_is_refused_by_check_config_and_start_up(tmp_path, capsys, monkeypatch,
                                                              key, variable):
    file = write(tmp_path)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1" if key.startswith("collector") else "", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = env_for(tmp_path, **{variable: str(port)})
        [problem] = [str(p) for p in check(file, env)]
        assert problem.startswith(f"listen: {key}: ") and f":{port} is in use" in problem
        with pytest.raises(ConfigError, match=f":{port} is in use"):
            startup(["collector" if key.startswith("collector") else "dashboard"], file, env)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        command = "collect" if key.startswith("collector") else "dashboard"
        assert main(["--config", str(file), command]) == 2
        err = capsys.readouterr().err
        assert problem in err and "Traceback" not in err


def test_check_config_and_readyz_name_the_file_ioc_config_names(tmp_path, capsys, monkeypatch):
    file = write(tmp_path)
    for name, value in env_for(tmp_path).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("IOC_CONFIG", str(file))
    monkeypatch.setenv("IOC_DASHBOARD__PORT", str(free_port()))
    assert main(["check-config"]) == 0
    assert capsys.readouterr().out.strip() == f"configuration OK: {file}"
    health = CollectorHealth(5, lambda: StoreCheck(True, "ok", "sqlite", 1, 1))
    assert health.ready()[1]["checks"]["config"]["file"] == str(file)
    (tmp_path / "site.yaml").write_text("province: 38\n")
    assert main(["check-config"]) == 1
    assert f"problem(s) in the configuration {file}:" in capsys.readouterr().err


@pytest.mark.parametrize("url, named", [
    ("postgresql+psycopg://ioc:s3cret@127.0.0.1:{port}/ioc",
     "database postgresql+psycopg://ioc:***@127.0.0.1:{port}/ioc unreachable and no spool"),
    ("sqlite:////proc/no-such-folder/ioc.db", "/proc/no-such-folder: No such file or directory"),
])
def test_a_store_the_collector_cannot_open_is_one_line_naming_it(tmp_path, capsys, monkeypatch,
                                                                 url, named):
    port = free_port()
    file = write(tmp_path)  # spool_dir: null, so nothing to fall back on
    for name, value in env_for(tmp_path, IOC_DB_URL=url.format(port=port)).items():
        monkeypatch.setenv(name, value)
    assert check(file) == []  # the settings are fine: the database itself is not there
    assert main(["--config", str(file), "collect", "--once"]) == 2
    err = capsys.readouterr().err
    line = next(x for x in err.splitlines() if x.startswith("ioc collect: refusing to run: "))
    assert named.format(port=port) in line
    assert "Traceback" not in err and "s3cret" not in err
