"""Time as the emulator sees it.

Every lifetime check (authorization codes, refresh tokens, client secrets, client assertions)
reads the injected clock, so tests can walk past an expiry without sleeping.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch."""
        ...


class SystemClock:
    def now(self) -> float:
        return time.time()


class ManualClock:
    """A clock that starts at the real time (or ``start``) and only moves when told to.

    Tokens stay plausible for clients that check ``exp`` against their own clock, because the
    starting point is the present.
    """

    def __init__(self, start: float | None = None) -> None:
        self._lock = threading.Lock()
        self._now = time.time() if start is None else start

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds

    def set(self, when: float) -> None:
        with self._lock:
            self._now = when


def to_datetime(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def iso(epoch: float) -> str:
    """Microsoft Graph's dateTimeOffset rendering, e.g. ``2024-05-01T10:00:00Z``."""
    return to_datetime(epoch).strftime("%Y-%m-%dT%H:%M:%SZ")
