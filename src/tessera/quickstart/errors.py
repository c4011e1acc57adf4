"""The quickstart's one error: what went wrong, what to change, and where the full story is."""

from __future__ import annotations

from pathlib import Path


class QuickstartError(Exception):
    def __init__(self, message: str, *, fix: str | None = None, log: Path | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.log = log
