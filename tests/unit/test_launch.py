"""`ioc dashboard`'s child process environment."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from config.loader import load_settings
from dashboard.launch import child_env, command, find_jemalloc


def settings_with(allocator: str = "jemalloc"):
    return load_settings(env={"IOC_DB_URL": "sqlite:///x.db",
                              "IOC_DASHBOARD__ALLOCATOR": allocator})


def test_the_child_runs_on_jemalloc_when_it_is_installed():
    env, line = child_env(settings_with(), None, base={"PATH": "/usr/bin"},
                          jemalloc="libjemalloc.so.2")
    assert env["LD_PRELOAD"] == "libjemalloc.so.2" and "MALLOC_ARENA_MAX" not in env
    assert env["IOC_DB_URL"] == "sqlite:///x.db" and "jemalloc" in line


def test_without_jemalloc_the_child_gets_glibc_with_two_arenas_and_says_why():
    env, line = child_env(settings_with(), None, base={"PATH": "/usr/bin"}, jemalloc=None)
    assert "LD_PRELOAD" not in env and env["MALLOC_ARENA_MAX"] == "2"
    assert "not installed" in line and "libjemalloc2" in line


def test_allocator_system_keeps_glibc_even_when_jemalloc_is_there():
    env, line = child_env(settings_with("system"), None, base={}, jemalloc="libjemalloc.so.2")
    assert "LD_PRELOAD" not in env and env["MALLOC_ARENA_MAX"] == "2"
    assert "dashboard.allocator: system" in line


def test_the_operators_own_environment_wins():
    env, line = child_env(settings_with(), None, base={"LD_PRELOAD": "/opt/libtcmalloc.so"},
                          jemalloc="libjemalloc.so.2")
    assert env["LD_PRELOAD"] == "/opt/libtcmalloc.so" and "from the environment" in line
    env, _ = child_env(settings_with("system"), None, base={"MALLOC_ARENA_MAX": "8"},
                       jemalloc=None)
    assert env["MALLOC_ARENA_MAX"] == "8"


def test_an_unknown_allocator_is_an_error_naming_the_key():
    with pytest.raises(Exception, match="allocator"):
        settings_with("tcmalloc")


def test_find_jemalloc_names_a_library_a_child_process_runs_on():
    # `make demo` and `make test` install Debian's libjemalloc2. jemalloc can only be
    # preloaded (dlopen fails: "cannot allocate memory in static TLS block"), as launch does.
    found = find_jemalloc()
    assert found, "libjemalloc2 is not installed (the Makefile's runtime target installs it)"
    maps = subprocess.run([sys.executable, "-c", "print(open('/proc/self/maps').read())"],
                          env={**os.environ, "LD_PRELOAD": found}, capture_output=True,
                          text=True, check=True).stdout
    assert "libjemalloc" in maps


def test_every_streamlit_option_in_the_command_is_one_streamlit_knows():
    from streamlit import config

    known = config.get_config_options()
    cmd = command(8501, "127.0.0.1", "INFO")
    flags = [a[2:] for a in cmd[:cmd.index("--")] if a.startswith("--")]
    assert flags and all(f in known for f in flags), [f for f in flags if f not in known]


def test_the_dashboard_skips_streamlits_full_collection_after_every_run():
    # A gc.collect(2) per script run was a third of the CPU under 50 walls (docs/benchmarks.md).
    cmd = command(8501)
    assert cmd[cmd.index("--runner.postScriptGC") + 1] == "false"
