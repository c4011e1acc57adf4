"""Running the emulator over HTTP(S) with uvicorn: in the foreground (``tessera entra serve``) or
in a background thread (``tessera.entra.testing.running_emulator``)."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass

import uvicorn
from starlette.applications import Starlette

from tessera.entra.pki import TlsFiles, ensure_tls_files
from tessera.entra.settings import EmulatorSettings


def uvicorn_config(
    app: Starlette, settings: EmulatorSettings, tls: TlsFiles | None, log_level: str
) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        ssl_certfile=str(tls.server_cert) if tls else None,
        ssl_keyfile=str(tls.server_key) if tls else None,
        log_level=log_level,
        access_log=log_level == "debug",
        lifespan="off",
        # No websockets here; leaving them out also avoids loading the websockets package.
        ws="none",
        # One asyncio loop per background thread; uvloop adds nothing for a test server.
        loop="auto",
        server_header=False,
    )


def tls_for(settings: EmulatorSettings) -> TlsFiles | None:
    return ensure_tls_files(settings.home) if settings.https else None


class _HarnessServer(uvicorn.Server):
    """Stops at once: idle keep-alive connections (MSAL's requests session, a browser) are
    aborted instead of waiting for the peer's TLS close_notify, which a test client never
    sends, so a graceful shutdown would wait for the SSL shutdown timeout."""

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for connection in list(self.server_state.connections):
            transport = getattr(connection, "transport", None)
            if transport is not None:
                transport.abort()
        await super().shutdown(sockets)


@dataclass
class BackgroundServer:
    server: uvicorn.Server
    thread: threading.Thread
    port: int

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def start_in_thread(app: Starlette, settings: EmulatorSettings, tls: TlsFiles | None) -> BackgroundServer:
    """Bind first (port 0 picks a free port), then serve on that socket from a daemon thread."""
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((settings.host, settings.port))
    sock.listen(128)
    port = sock.getsockname()[1]
    server = _HarnessServer(uvicorn_config(app, settings, tls, "warning"))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="tessera-entra", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("the emulator's server did not start")
        time.sleep(0.01)
    return BackgroundServer(server, thread, port)
