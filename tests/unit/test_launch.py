"""`ioc dashboard`'s child process environment."""

from __future__ import annotations

from config.loader import load_settings
from dashboard.launch import child_env


def test_child_env_limits_malloc_arenas_unless_the_environment_says_otherwise():
    settings = load_settings(env={"IOC_DB_URL": "sqlite:///x.db"})
    env = child_env(settings, None, base={"PATH": "/usr/bin"})
    assert env["MALLOC_ARENA_MAX"] == "2" and env["IOC_DB_URL"] == "sqlite:///x.db"
    assert child_env(settings, None, base={"MALLOC_ARENA_MAX": "8"})["MALLOC_ARENA_MAX"] == "8"
