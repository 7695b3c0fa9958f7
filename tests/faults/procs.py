"""The product's processes as children of the test: started, killed, restarted, read back.

Each `Proc` runs one `ioc …` command in its own process group (so a SIGKILL of the
collector leaves its workers to notice the parent is gone, as in production, while the
teardown can still stop the whole group), appends its output to one log file across
restarts, and says how often it was started and killed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
IOC = [sys.executable, "-m", "collectors.cli"]


def stop_group(proc: subprocess.Popen, timeout_s: float = 20) -> int:
    """SIGTERM the process's whole group (it started a session of its own), SIGKILL it if
    it lingers past `timeout_s`; its exit code."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        return proc.wait(timeout_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        return proc.wait(10)


class Proc:
    """One `ioc` sub-command, restartable; stdout and stderr go to `log` (appended)."""

    def __init__(self, name: str, args: list[str], env: Mapping[str, str], log: Path):
        self.name, self.args, self.env, self.log = name, args, dict(env), log
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self.kills: list[float] = []  # time.time() of every SIGKILL
        self.groups: list[int] = []  # the process group of every start (its leader's pid)

    def start(self) -> Proc:
        with open(self.log, "a") as out:
            out.write(f"--- start {self.starts + 1} at {time.time():.3f}\n")
            out.flush()
            self.proc = subprocess.Popen([*IOC, *self.args], cwd=ROOT, env=self.env,
                                         stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        self.starts += 1
        self.groups.append(self.proc.pid)
        return self

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self, group: bool = False) -> None:
        """SIGKILL the main process (its children must cope, as after a crash), or with
        `group` the whole process group (the dashboard's launcher and its Streamlit)."""
        if self.alive:
            assert self.proc is not None
            if group:
                os.killpg(self.proc.pid, signal.SIGKILL)
            else:
                self.proc.send_signal(signal.SIGKILL)
            self.kills.append(time.time())
            self.proc.wait(10)

    def terminate(self, timeout_s: float = 30) -> int | None:
        """SIGTERM the main process only, as a service manager stops it, and wait: it
        finishes (and logs) the cycle in hand and exits. The exit code (None: not running)."""
        if not self.alive:
            return None
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout_s)

    def stop(self, timeout_s: float = 20) -> int | None:
        """SIGTERM the whole group, then SIGKILL it if it lingers; the exit code."""
        if self.proc is None:
            return None
        try:
            return stop_group(self.proc, timeout_s)
        finally:
            for group in self.groups:  # anything an earlier start left behind
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(group, signal.SIGKILL)

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def tail(self, chars: int = 3000) -> str:
        return self.text()[-chars:]


def wait_until(what: str, test: Callable[[], object], timeout_s: float,
               proc: Proc | None = None, every_s: float = 0.2) -> object:
    """Poll `test` until it returns something truthy; AssertionError naming `what` if not."""
    deadline = time.monotonic() + timeout_s
    while True:
        got = test()
        if got:
            return got
        if proc is not None and not proc.alive:
            raise AssertionError(f"{proc.name} exited while waiting for {what}:\n{proc.tail()}")
        if time.monotonic() > deadline:
            tail = f":\n{proc.tail()}" if proc is not None else ""
            raise AssertionError(f"waited {timeout_s:g} s for {what}{tail}")
        time.sleep(every_s)


def http_ok(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).ok
    except requests.RequestException:
        return False
