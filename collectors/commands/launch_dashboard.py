"""`ioc dashboard`: run `streamlit run dashboard/server.py` (the app and its sign-in cookie
route) as a child process with our flags.

The child gets the settings' database URL (IOC_DB_URL) and the config file
(IOC_CONFIG), so it reads the same data the caller means. SIGINT and SIGTERM
are passed on to the child; its exit code is returned.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from config.logs import LOGGING_FLAG
from config.settings import Settings

# st.App of dashboard/app.py plus one route; a file streamlit runs in its own process, so the
# dashboard package is never imported here.
APP = Path(__file__).resolve().parents[2] / "dashboard" / "server.py"


def command(port: int, address: str | None = None, log_level: str = "INFO") -> list[str]:
    """The streamlit command line: headless, offline, no usage statistics or file watcher,
    dark, Streamlit's own log at `log_level` (settings `logging.level`)."""
    cmd = [sys.executable, "-m", "streamlit", "run", str(APP),
           "--server.port", str(port),
           "--logger.level", log_level.lower(),
           "--server.headless", "true",
           "--browser.gatherUsageStats", "false",
           # The welcome message asks a public service for our external IP: no.
           "--logger.hideWelcomeMessage", "true",
           "--server.fileWatcherType", "none",
           "--server.runOnSave", "false",
           # Streamlit's full gc.collect(2) after every script run holds the GIL for every
           # other session; Python's own generational thresholds collect instead.
           "--runner.postScriptGC", "false",
           "--theme.base", "dark"]
    if address:
        cmd += ["--server.address", address]
    return [*cmd, "--", LOGGING_FLAG]  # the app then sets up the product's logging


def child_env(settings: Settings, config_path: str | None,
              base: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    env["IOC_DB_URL"] = settings.store.url
    if config_path:
        env["IOC_CONFIG"] = str(Path(config_path).resolve())
    env.setdefault("PYTHONUNBUFFERED", "1")
    # One glibc malloc arena instead of 8 per core: Streamlit runs every session's script in
    # its own thread, and each arena would keep its own freed memory, fragmented (polars
    # allocates with its own jemalloc). A value in the environment wins.
    env.setdefault("MALLOC_ARENA_MAX", "1")
    return env


def run(settings: Settings, port: int, config_path: str | None = None, *,
        address: str | None = None) -> int:
    """Serve the dashboard on `port` until the child exits or we are told to stop."""
    proc = subprocess.Popen(command(port, address, settings.logging.level),
                            env=child_env(settings, config_path))
    print(f"ioc dashboard: http://{address or 'localhost'}:{port}", flush=True)

    asked: set[int] = set()

    def forward(signum: int, _frame: object) -> None:
        asked.add(signum)
        if proc.poll() is None:
            proc.send_signal(signum)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        code = proc.wait()
        # uvicorn (st.App) ends by re-raising the stop signal it handled: asked to stop and
        # stopped is a clean exit, as a service manager expects.
        return 0 if code < 0 and -code in asked else code
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
