"""docs/operations.md runs: its systemd units are valid units (`systemd-analyze verify`,
where installed) and every `ioc` command they start parses with the `ioc` command's own
parser; the commands its runbooks name exist."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from collectors.cli import parser

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "operations.md"
IOC = "/opt/ioc/.venv/bin/ioc"


def units() -> dict[str, str]:
    """Unit name → text, from the ```ini blocks that start with `# /etc/systemd/system/…`."""
    found = {}
    for block in re.findall(r"```ini\n(.*?)```", DOC.read_text(), re.S):
        first = block.splitlines()[0]
        match = re.match(r"# /etc/systemd/system/(\S+)", first)
        if match:
            found[match.group(1)] = block
    return found


def ioc_commands(text: str) -> list[list[str]]:
    """The argument lists after `ioc` in ExecStart= lines (a shell wrapper's first one too)."""
    commands = []
    for line in text.splitlines():
        if line.startswith("ExecStart=") and IOC in line:
            line = line.replace("%%", "%").replace("$(date +%F)", "2025-07-03")
            words = shlex.split(line.removeprefix("ExecStart="))
            if words[0] == "/bin/sh":
                words = shlex.split(words[2].split("&&")[0])
            commands.append([w.replace("%i", "1") for w in words[1:]])
    return commands


def test_operations_doc_has_the_units_it_promises():
    assert {"ioc-collector.service", "ioc-collector@.service", "ioc-dashboard.service",
            "ioc-simulator.service", "ioc-health.service", "ioc-health.timer",
            "ioc-collector-restart.service", "ioc-backup.service"} <= set(units())


@pytest.mark.parametrize("name", sorted(units()))
def test_every_ioc_command_in_a_unit_parses(name):
    for args in ioc_commands(units()[name]):
        parsed = parser().parse_args(args)
        assert parsed.command in {"collect", "dashboard", "simulate", "health", "store"}


def test_runbook_commands_parse():
    for line in ("store backup /var/backups/ioc/ioc.db", "store restore b.db --no-keep",
                 "store version", "store migrate", "store migrate /var/backups/ioc/pre.dump",
                 "store migrate --no-backup", "health", "health collector --live",
                 "health simulator --url http://127.0.0.1:8700", "check-config /etc/ioc/ioc.yaml",
                 "users passwd lan", "kiosk revoke 3", "alerts test-notify tech-slack"):
        parser().parse_args(shlex.split(line))


def test_units_pass_systemd_analyze_verify(tmp_path):
    # systemd-analyze comes with Debian's systemd package; `make test` installs it when missing
    assert shutil.which("systemd-analyze"), "systemd-analyze is missing: apt-get install systemd"
    ioc = str(Path(sys.executable).with_name("ioc"))
    names = []
    for name, text in units().items():
        (tmp_path / name).write_text(text.replace(IOC, ioc))
        if name.endswith(".service"):
            names.append(name.replace("@.", "@1."))
    done = subprocess.run(["systemd-analyze", "verify", *[str(tmp_path / n) for n in names]],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    problems = [line for line in done.stderr.splitlines()
                if "Unknown" in line or "not executable" in line or "Failed" in line
                or "Invalid" in line or "bad" in line.lower()]
    assert done.returncode == 0 and not problems, done.stderr
