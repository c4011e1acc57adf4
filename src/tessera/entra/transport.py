"""``EmulatorTransport``: a synchronous httpx transport that hands each request to an ASGI
application in this process, as ``httpx.ASGITransport`` does for ``httpx.AsyncClient``.

No socket, no TLS, no port: the URL's scheme and host only name the origin the application
sees (its issuers and endpoint URLs), so an ``https://`` authority works, which MSAL requires.
The application runs on an event loop in one background thread (an anyio blocking portal),
started on the first request and stopped by :meth:`close` (``httpx.Client.close`` calls it), so
a caller inside a running event loop can use the transport too.
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager
from typing import Any

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal


class EmulatorTransport(httpx.BaseTransport):
    def __init__(self, app: Any) -> None:
        self._asgi = httpx.ASGITransport(app=app)
        self._lock = threading.Lock()
        self._portal: BlockingPortal | None = None
        self._portal_cm: AbstractContextManager[BlockingPortal] | None = None

    def _running_portal(self) -> BlockingPortal:
        with self._lock:
            if self._portal is None:
                self._portal_cm = start_blocking_portal()
                self._portal = self._portal_cm.__enter__()
            return self._portal

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()

        async def call() -> httpx.Response:
            inner = httpx.Request(request.method, request.url, headers=request.headers, content=body)
            response = await self._asgi.handle_async_request(inner)
            # Raw bytes: the caller's response decodes them per its headers, once.
            raw = b"".join([chunk async for chunk in response.aiter_raw()])
            return httpx.Response(
                response.status_code, headers=response.headers, content=raw, request=request
            )

        return self._running_portal().call(call)

    def close(self) -> None:
        with self._lock:
            cm, self._portal_cm, self._portal = self._portal_cm, None, None
        if cm is not None:
            cm.__exit__(None, None, None)
