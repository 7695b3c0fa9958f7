"""What Linux's /proc says about processes and sockets, with no psutil: CPU seconds, memory,
the allocator, a process's descendants, who listens on a port.

The one /proc reader of the benchmarks and of the tests that start processes. The `parse_*`
and `*_in` functions are pure (they take the file's text); the others read /proc.
"""

from __future__ import annotations

import os
import socket
import sys
from contextlib import suppress
from pathlib import Path
from typing import NamedTuple

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
LISTEN = "0A"  # the `st` column of /proc/net/tcp for a listening socket


def stat_fields(text: str) -> list[str]:
    """The fields of /proc/<pid>/stat after the command name (which may hold spaces and
    parentheses): [0] state, [1] parent pid, [11] utime, [12] stime (clock ticks)."""
    return text.rsplit(")", 1)[1].split()


def parse_stat(text: str) -> tuple[int, int]:
    """(utime, stime) in clock ticks from the text of /proc/<pid>/stat."""
    fields = stat_fields(text)
    return int(fields[11]), int(fields[12])


def cpu_ticks(pid: int) -> int:
    """User + system CPU time of a process in clock ticks; OSError once it is gone."""
    return sum(parse_stat(Path(f"/proc/{pid}/stat").read_text()))


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process; OSError once it is gone."""
    return cpu_ticks(pid) / CLOCK_TICKS


def parse_rss_kb(status: str) -> tuple[int, int]:
    """(VmRSS, RssAnon) in kB from the text of /proc/<pid>/status. RssAnon is the part no
    file backs (the heaps); the rest is mapped files, such as the libraries' code pages."""
    found: dict[str, int] = {}
    for line in status.splitlines():
        key = line.split(":", 1)[0]
        if key in ("VmRSS", "RssAnon"):
            found[key] = int(line.split()[1])
    if len(found) < 2:
        raise ValueError("no VmRSS or RssAnon line in /proc/<pid>/status "
                         "(a zombie or kernel thread?)")
    return found["VmRSS"], found["RssAnon"]


def rss_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, RssAnon) of a process in kB (`parse_rss_kb`)."""
    return parse_rss_kb(Path(f"/proc/{pid}/status").read_text())


def allocator_in(maps: str) -> str:
    """Which malloc a process runs on, from the text of /proc/<pid>/maps: a preloaded
    jemalloc or tcmalloc shows as a mapped library, else it is glibc's."""
    for name in ("jemalloc", "tcmalloc"):
        if f"/lib{name}" in maps:
            return name
    return "glibc"


def malloc_settings_in(environ: bytes) -> dict[str, str]:
    """The allocators' settings (glibc's `MALLOC_*` and `GLIBC_TUNABLES`, polars' jemalloc's
    `_RJEM_MALLOC_CONF`) from the bytes of /proc/<pid>/environ, the environment the process
    started with. glibc 2.36 cuts `GLIBC_TUNABLES` there after the first tunable it parsed;
    the others still apply."""
    found = {}
    for entry in environ.split(b"\0"):
        name, sep, value = entry.decode(errors="replace").partition("=")
        if sep and (name.startswith("MALLOC_") or name in ("GLIBC_TUNABLES", "_RJEM_MALLOC_CONF")):
            found[name] = value
    return dict(sorted(found.items()))


def allocator(pid: int) -> str:
    """Which malloc a process runs on (`allocator_in`); OSError without ptrace rights on it."""
    return allocator_in(Path(f"/proc/{pid}/maps").read_text())


def malloc_settings(pid: int) -> dict[str, str]:
    """The allocators' settings a process started with (`malloc_settings_in`); OSError
    without ptrace rights on it."""
    return malloc_settings_in(Path(f"/proc/{pid}/environ").read_bytes())


def parents() -> dict[int, int]:
    """pid → parent pid of every live process."""
    found: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with suppress(OSError, IndexError):
                found[int(entry.name)] = int(stat_fields((entry / "stat").read_text())[1])
    return found


def descendants(pid: int) -> set[int]:
    """Every live process whose ancestry leads to `pid` (not `pid` itself)."""
    parent_of = parents()
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {p for p, pp in parent_of.items() if pp in frontier} - found
        found |= frontier
    return found


def running(pid: int) -> bool:
    """True while `pid` exists and is not a zombie waiting to be reaped."""
    try:
        return stat_fields(Path(f"/proc/{pid}/stat").read_text())[0] != "Z"
    except OSError:
        return False


def named(name: str) -> list[int]:
    """Every process whose command name is `name` (e.g. the PostgreSQL server's)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with suppress(OSError):
                if (entry / "comm").read_text().strip() == name:
                    pids.append(int(entry.name))
    return pids


class Listener(NamedTuple):
    """A listening socket as a line of /proc/net/tcp or tcp6 shows it."""

    address: str  # e.g. "127.0.0.1", "::"
    port: int
    inode: str


def _address(hex_address: str) -> str:
    """An address as /proc/net/tcp prints it (each 32-bit word in host byte order) as text."""
    raw = bytes.fromhex(hex_address)
    if sys.byteorder == "little":
        raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    return socket.inet_ntop(socket.AF_INET if len(raw) == 4 else socket.AF_INET6, raw)


def listeners_in(table: str) -> list[Listener]:
    """The listening sockets in the text of /proc/net/tcp or tcp6."""
    found = []
    for line in table.splitlines()[1:]:
        cols = line.split()
        if len(cols) > 9 and cols[3] == LISTEN:
            address, port = cols[1].rsplit(":", 1)
            found.append(Listener(_address(address), int(port, 16), cols[9]))
    return found


def listening_inodes(table: str, port: int) -> set[str]:
    """Socket inodes listening on `port` in the text of /proc/net/tcp or tcp6."""
    return {s.inode for s in listeners_in(table) if s.port == port}


def listening_addresses(port: int) -> set[str]:
    """The IPv4 addresses a socket listens on at `port` (from /proc/net/tcp)."""
    return {s.address for s in listeners_in(Path("/proc/net/tcp").read_text()) if s.port == port}


def listener_pid(port: int) -> int | None:
    """The pid of the process listening on TCP `port` (one we may inspect), or None."""
    inodes: set[str] = set()
    for name in ("tcp", "tcp6"):
        try:
            inodes |= listening_inodes(Path(f"/proc/net/{name}").read_text(), port)
        except OSError:
            continue
    if not inodes:
        return None
    wanted = {f"socket:[{i}]" for i in inodes}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            for fd in (entry / "fd").iterdir():
                if os.readlink(fd) in wanted:
                    return int(entry.name)
        except OSError:
            continue
    return None
