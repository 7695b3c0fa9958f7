"""Making a file or a folder's entries durable on disk, for every part that must survive a
power cut: the collector's spool and drop log, the store's backups."""

from __future__ import annotations

import os
from pathlib import Path


def fsync_path(path: Path) -> None:
    """Flush `path` (a file, or a folder after a new, renamed or removed entry) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
