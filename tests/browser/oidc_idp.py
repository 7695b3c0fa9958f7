"""A real OpenID Provider for the OIDC browser test: panva's `oidc-provider` (npm), run by
tests/browser/oidc/provider.mjs on a free loopback port.

`install()` runs `npm ci` into tests/browser/oidc/ when its node_modules is missing or older
than the committed package-lock.json (the version is pinned there); `running_provider`
starts it with one registered client and a directory of accounts and yields its issuer URL.
"""

from __future__ import annotations

import contextlib
import json
import selectors
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.faults.procs import stop_group

OIDC_DIR = Path(__file__).resolve().parent / "oidc"
LOCK = OIDC_DIR / "package-lock.json"
INSTALLED = OIDC_DIR / "node_modules" / ".package-lock.json"  # written by npm on install


def install() -> None:
    """Install the pinned provider (`npm ci`) unless node_modules is already up to date."""
    if INSTALLED.exists() and INSTALLED.stat().st_mtime >= LOCK.stat().st_mtime:
        return
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        pytest.fail("the OIDC browser test needs Node.js and npm (Debian: apt-get install "
                    "nodejs npm) to run its identity provider")
    done = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                          cwd=OIDC_DIR, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        pytest.fail(f"npm ci in {OIDC_DIR} failed:\n{done.stdout}\n{done.stderr}")


@contextlib.contextmanager
def running_provider(workdir: Path, client: Mapping[str, Any],
                     accounts: Mapping[str, Mapping[str, Any]]) -> Iterator[str]:
    """The provider with `client` registered and `accounts` (login → claims); its issuer URL.
    Its log is `workdir/oidc-provider.log`. Stopped afterwards."""
    install()
    setup = workdir / "oidc-setup.json"
    setup.write_text(json.dumps({"client": dict(client), "accounts": dict(accounts)}),
                     encoding="utf-8")
    log_path = workdir / "oidc-provider.log"
    with log_path.open("w", encoding="utf-8") as log:
        proc = subprocess.Popen([shutil.which("node") or "node", "provider.mjs", str(setup)],
                                cwd=OIDC_DIR, stdout=subprocess.PIPE, stderr=log, text=True,
                                start_new_session=True)
    try:
        yield _ready_line(proc, log_path)
    finally:
        stop_group(proc, 10)


def _ready_line(proc: subprocess.Popen[str], log_path: Path, timeout_s: float = 60) -> str:
    """The issuer from the provider's `ready <issuer>` line (fails the test after
    `timeout_s` or if the provider exits first, with its log)."""
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout_s
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while (left := deadline - time.monotonic()) > 0:
            if sel.select(timeout=left):
                line = proc.stdout.readline()
                if line.startswith("ready "):
                    return line.split(None, 1)[1].strip()
                if not line:
                    break  # the provider exited
    pytest.fail(f"the OIDC provider did not start:\n{log_path.read_text(encoding='utf-8')}")
