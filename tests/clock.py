"""A clock tests move forward instead of sleeping: real time plus an offset, so that everything
that merely waits (polling, timeouts) keeps working while the code under test sees time pass."""

from __future__ import annotations

import time

from tessera.clock import Clock


class MovableClock:
    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    @property
    def clock(self) -> Clock:
        return Clock(now=self.now, monotonic=self.monotonic)
