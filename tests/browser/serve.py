"""Serve `ioc dashboard` for a browser test: a child process on a free loopback port."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from collectors.simulator.background import free_port
from tests.faults.procs import stop_group

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@contextlib.contextmanager
def served_dashboard(env_extra: dict[str, str], *, port: int | None = None,
                     cwd: Path = ROOT) -> Iterator[str]:
    """`ioc dashboard` with `env_extra` on top of this environment, run in `cwd` (where
    Streamlit looks for .streamlit/secrets.toml) on `port` (default a free one), once it
    answers its health check (60 s at most); its URL. Stopped (its whole process group)
    afterwards."""
    port = port or free_port()
    env = dict(os.environ, **env_extra)
    proc = subprocess.Popen([sys.executable, "-m", "collectors.cli", "dashboard", "--port",
                             str(port)], cwd=cwd, env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.stdout.read()
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"http://127.0.0.1:{port}/_stcore/health", timeout=1).ok:
                    break
            time.sleep(0.3)
        else:
            pytest.fail("the dashboard did not answer /_stcore/health within 60 s")
        yield f"http://127.0.0.1:{port}/"
    finally:
        stop_group(proc, 15)


def refresh_bursts(frames: list[tuple[float, int]], gap_s: float = 1.0) -> list[int]:
    """Bytes of each burst of websocket frames (frames closer than `gap_s` belong to one
    refresh)."""
    bursts: list[int] = []
    last = None
    for t, n in frames:
        if last is None or t - last > gap_s:
            bursts.append(0)
        bursts[-1] += n
        last = t
    return bursts
