"""Files tessera generates in TESSERA_HOME: created atomically, readable by the owner only."""

from __future__ import annotations

import os
import stat
from pathlib import Path


def write_private(path: Path, data: bytes) -> bool:
    """Create ``path`` (mode 0600) with ``data``; False when another process created it first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    return True


def readable_by_others(path: Path) -> bool:
    mode = path.stat().st_mode
    return bool(mode & (stat.S_IRGRP | stat.S_IROTH | stat.S_IWGRP | stat.S_IWOTH))
