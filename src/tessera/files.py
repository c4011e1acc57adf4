"""Files tessera generates in TESSERA_HOME: created atomically, readable by the owner only.

TESSERA_HOME holds password hashes, the audit log, sealed secrets and their key: the directory
is created 0700 and every file in it 0600, whatever the umask. Production mode refuses to start
on looser permissions (:func:`too_open`).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


def private_directory(path: Path) -> None:
    """Create ``path`` for the owner only, and every missing directory above it the same way (the
    first file written under TESSERA_HOME may create the home itself); existing ones are left as
    they are."""
    if path.is_dir():
        return
    private_directory(path.parent)
    try:
        path.mkdir(mode=0o700)
    except FileExistsError:
        return
    os.chmod(path, 0o700)  # mkdir's mode is filtered by the umask


def private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 unless it exists (e.g. before SQLite opens it, so that
    the database and the journal files SQLite creates beside it with its mode are private)."""
    private_directory(path.parent)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(descriptor)


def write_private(path: Path, data: bytes) -> bool:
    """Create ``path`` (mode 0600) with ``data``; False when another process created it first."""
    private_directory(path.parent)
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


def too_open(paths: list[Path]) -> list[Path]:
    """Those of ``paths`` that exist and that others may read, write or (directories) enter."""
    found = []
    for path in paths:
        if path.exists() and path.stat().st_mode & 0o077:
            found.append(path)
    return found
