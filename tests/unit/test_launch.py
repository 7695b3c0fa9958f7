"""`ioc dashboard`'s child process environment."""

from __future__ import annotations

from collectors.commands.launch_dashboard import child_env, command
from config.loader import load_settings


def test_child_env_limits_malloc_arenas_unless_the_environment_says_otherwise():
    settings = load_settings(env={"IOC_DB_URL": "sqlite:///x.db"})
    env = child_env(settings, None, base={"PATH": "/usr/bin"})
    assert env["MALLOC_ARENA_MAX"] == "1" and env["IOC_DB_URL"] == "sqlite:///x.db"
    assert child_env(settings, None, base={"MALLOC_ARENA_MAX": "8"})["MALLOC_ARENA_MAX"] == "8"


def test_every_streamlit_option_in_the_command_is_one_streamlit_knows():
    from streamlit import config

    known = config.get_config_options()
    cmd = command(8501, "127.0.0.1", "INFO")
    flags = [a[2:] for a in cmd[:cmd.index("--")] if a.startswith("--")]
    assert flags and all(f in known for f in flags), [f for f in flags if f not in known]


def test_the_dashboard_skips_streamlits_full_collection_after_every_run():
    # A gc.collect(2) per script run holds the GIL for every session; gc_pacer collects instead.
    cmd = command(8501)
    assert cmd[cmd.index("--runner.postScriptGC") + 1] == "false"
