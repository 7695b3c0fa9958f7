"""Where a simulated centre listens: each centre is its own host on the loopback range.

Giving every centre its own address (127.1.x.y for communes, 127.2.0.z for
provincial centres) lets the simulator refuse one centre's connections for
real, and makes the collector keep one connection pool per centre, as it must
against a real fleet. Linux routes all of 127.0.0.0/8 to loopback.
"""

from __future__ import annotations


def sim_host(centre_id: str) -> str:
    """The loopback address a centre listens on, derived from its official code."""
    code = int(centre_id)
    if len(centre_id) == 5:
        return f"127.1.{code >> 8}.{code & 0xFF}"
    if len(centre_id) == 2:
        return f"127.2.0.{code}"
    raise ValueError(f"not a centre id (5-digit ward or 2-digit province code): {centre_id!r}")
