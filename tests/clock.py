"""A clock tests move forward instead of sleeping: real time plus an offset, so that everything
that merely waits (polling, timeouts) keeps working while the code under test sees time pass.

``frozen_wall=True`` stops the wall clock (``now``) between advances, for tests whose margins are
below what a loaded machine takes between two requests; ``monotonic``, which waits and polls
use, keeps running."""

from __future__ import annotations

import time

from tessera.clock import Clock


class MovableClock:
    def __init__(self, *, frozen_wall: bool = False) -> None:
        self.offset = 0.0
        self._frozen_at = time.time() if frozen_wall else None

    def now(self) -> float:
        return (self._frozen_at if self._frozen_at is not None else time.time()) + self.offset

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    @property
    def clock(self) -> Clock:
        return Clock(now=self.now, monotonic=self.monotonic)
