"""A console progress bar: one line redrawn in place on a terminal, plain lines otherwise.

On a terminal: `history [██████░░░░░░░░░░]  38 % 331/864 · 12 s` rewritten with `\\r`.
Not on a terminal (a log file, a pipe): a plain line at every `every_pct` per cent and at
the end, so a log keeps a readable record without hundreds of updates.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 24


def bar_line(label: str, done: int, total: int, elapsed_s: float, width: int = WIDTH) -> str:
    """The bar's text for `done` of `total` after `elapsed_s` seconds."""
    ratio = 1.0 if total <= 0 else min(1.0, done / total)
    filled = round(ratio * width)
    bar = "█" * filled + "░" * (width - filled)
    eta = ""
    if 0 < done < total and elapsed_s > 0:
        eta = f", ~{(total - done) * elapsed_s / done:.0f} s left"
    return (f"{label} [{bar}] {ratio * 100:3.0f} % {done:,}/{total:,} "
            f"· {elapsed_s:.0f} s{eta}")


class Bar:
    """Call with (done, total) as work advances; `close()` ends the line."""

    def __init__(self, label: str, stream: TextIO | None = None, every_pct: int = 10,
                 tty: bool | None = None):
        self.label = label
        self.stream = stream if stream is not None else sys.stdout
        self.tty = self.stream.isatty() if tty is None else tty
        self.every_pct = every_pct
        self.started = time.monotonic()
        self._last_pct = -1
        self._drawn = False

    def __call__(self, done: int, total: int) -> None:
        line = bar_line(self.label, done, total, time.monotonic() - self.started)
        if self.tty:
            self.stream.write("\r\x1b[2K" + line)
            self._drawn = True
        else:
            pct = 100 if total <= 0 else done * 100 // total
            step = pct // self.every_pct * self.every_pct
            if step == self._last_pct:
                return
            self._last_pct = step
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False
