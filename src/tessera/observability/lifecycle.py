"""An orderly stop on SIGTERM, as an orchestrator expects from a replica it retires.

Kubernetes sends SIGTERM and, at about the same moment, starts taking the pod out of the
Service's endpoints; until that has spread, new requests still arrive. So the first SIGTERM
only turns readiness to 503 and keeps serving for ``server.shutdownDrainSeconds``; then
uvicorn's own graceful shutdown stops accepting connections, lets the requests in flight finish
(for at most ``server.shutdownTimeoutSeconds``) and exits. A second SIGTERM, or SIGINT (Ctrl-C
at a terminal), skips the wait.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from types import FrameType

log = logging.getLogger("tessera.lifecycle")


class Lifecycle:
    def __init__(self, drain_seconds: float) -> None:
        self.drain_seconds = drain_seconds
        self.draining = False

    def install_sigterm_drain(self) -> None:
        """Wrap the SIGTERM handler of the server that runs us (uvicorn installs its own before
        the application starts). A no-op outside a server's main thread (tests, tools)."""
        if threading.current_thread() is not threading.main_thread():
            return
        stop = signal.getsignal(signal.SIGTERM)
        if not callable(stop):
            return
        loop = asyncio.get_running_loop()

        def on_sigterm(signum: int, frame: FrameType | None) -> None:
            if self.draining or self.drain_seconds <= 0:
                self.draining = True
                stop(signum, frame)
                return
            self.draining = True
            log.info(
                "SIGTERM: readiness is now 503; serving %.1f s more, then finishing the requests in flight",
                self.drain_seconds,
            )
            loop.call_soon_threadsafe(loop.call_later, self.drain_seconds, stop, signum, frame)

        signal.signal(signal.SIGTERM, on_sigterm)
