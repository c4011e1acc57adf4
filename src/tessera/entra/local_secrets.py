"""Secrets the emulator keeps in its home for local callers: the admin API's token and the App
Service managed identity's ``IDENTITY_HEADER``. Each is a random value written once, readable by
its owner only (0600), and read back on later starts."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from tessera.entra.directory import DirectoryError


def local_secret(home: Path, name: str) -> str:
    """The secret in ``home/name``, created on first use."""
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = home / name
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        value = path.read_text(encoding="ascii").strip()
        if len(value) < 32:
            raise DirectoryError(
                f"{path} holds no usable secret: delete it to have a new one made."
            ) from None
        return value
    value = secrets.token_urlsafe(32)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(value + "\n")
    return value
