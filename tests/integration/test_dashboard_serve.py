"""`ioc dashboard` serves the app with its sign-in cookie route (dashboard/server.py, an
st.App under uvicorn) and stops cleanly, exit code 0, when its service manager says so."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import requests

from collectors.simulator.background import free_port
from dashboard.session.cookie import ROUTE
from tests.browser.serve import ROOT


def test_ioc_dashboard_serves_the_cookie_route_and_exits_0_when_told_to_stop(tmp_path):
    port = free_port()
    env = dict(os.environ, IOC_DB_URL=f"sqlite:///{tmp_path / 'ioc.db'}",
               IOC_DASHBOARD__AUTH="local", IOC_DASHBOARD__USERS_FILE=str(tmp_path / "u.yaml"))
    proc = subprocess.Popen([sys.executable, "-m", "collectors.cli", "dashboard", "--port",
                             str(port)], cwd=ROOT, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(base + "_stcore/health", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.3)
        else:
            raise AssertionError("the dashboard did not answer /_stcore/health within 60 s")
        assert requests.post(base + ROUTE, data="x", timeout=10).status_code == 403
        assert requests.get(base + "commune", timeout=10).ok  # the app's own pages still
        os.killpg(proc.pid, signal.SIGTERM)  # systemd's stop: the whole group
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
