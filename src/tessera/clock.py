"""Time, injected: every service that reads the time takes it from the :class:`Clock` it was
built with, so that tests move time instead of sleeping through it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Clock:
    # Wall time in epoch seconds: timestamps, token lifetimes, lockouts.
    now: Callable[[], float] = time.time
    # Elapsed time, never set back: cool-downs and polling intervals.
    monotonic: Callable[[], float] = time.monotonic


SYSTEM_CLOCK = Clock()
