"""Outermost middleware: every request gets a correlation id, a metric and an access log line.

The correlation id is the caller's ``X-Request-ID`` or ``X-Correlation-ID`` when it looks like
an id (a proxy or a client that already tags its requests keeps its tag end to end), otherwise a
new one; it is echoed in ``X-Correlation-Id`` on every response and rides on every log line and
audit record written while the request is served (``observability.context``).

Metrics are labelled by route template (``/api/v1/tables/name/{fqn}``), never the raw path: a
label per table name would grow with the catalog and exhaust Prometheus.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Iterator, Sequence

from starlette.datastructures import Headers, MutableHeaders
from starlette.routing import BaseRoute, Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tessera.api.http_errors import CORRELATION_HEADER
from tessera.observability import context
from tessera.observability.metrics import Metrics

access_log = logging.getLogger("tessera.access")

_INCOMING = ("x-request-id", "x-correlation-id")
# Letters, digits and the separators of UUIDs, W3C trace ids and the like; anything else (or
# longer) could forge log lines or bloat them, and is replaced.
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
UNMATCHED = "unmatched"


def correlation_id(headers: Headers) -> str:
    for name in _INCOMING:
        value = headers.get(name, "").strip()
        if _SAFE_ID.fullmatch(value):
            return value
    return uuid.uuid4().hex


def _flatten(routes: Sequence[BaseRoute]) -> Iterator[BaseRoute]:
    for route in routes:
        # FastAPI keeps an included router as one entry that wraps the router's own routes.
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _flatten(inner.routes)
        else:
            yield route


def route_template(scope: Scope, routes: Sequence[BaseRoute]) -> str:
    """The template of the route that served (or would have served) ``scope``."""
    route = scope.get("route")
    if route is None:
        # Refused before routing (401, 413): the route it was meant for.
        route = next((r for r in _flatten(routes) if r.matches(scope)[0] is Match.FULL), None)
    if isinstance(route, Mount):
        return f"{route.path}/{{path}}"
    # path_format: the template as written in the OpenAPI document ({fqn}, not {fqn:path}).
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


class RequestSignals:
    def __init__(self, app: ASGIApp, metrics: Metrics, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = Headers(scope=scope)
        correlation = correlation_id(headers)
        scope.setdefault("state", {})["correlation_id"] = correlation
        client = scope.get("client")
        source_ip = client[0] if client else None
        token = context.bind(context.RequestContext(correlation, source_ip, headers.get("user-agent")))
        status = 500
        sent = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = int(message["status"])
                MutableHeaders(scope=message)[CORRELATION_HEADER] = correlation
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        self.metrics.in_progress.inc()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self.metrics.in_progress.dec()
            elapsed = time.perf_counter() - started
            method = str(scope.get("method", ""))
            template = route_template(scope, self.routes)
            self.metrics.requests.labels(method, template, str(status)).inc()
            self.metrics.duration.labels(method, template).observe(elapsed)
            # The path without its query: a query may carry an authorization code or a search.
            access_log.info(
                '%s "%s %s" %d %d %.1fms',
                source_ip or "-",
                method,
                scope["path"],
                status,
                sent,
                elapsed * 1000,
                extra={
                    "access": {
                        "client": source_ip,
                        "method": method,
                        "path": scope["path"],
                        "route": template,
                        "status": status,
                        "bytes": sent,
                        "durationMs": round(elapsed * 1000, 1),
                        "userAgent": headers.get("user-agent"),
                    }
                },
            )
            context.unbind(token)
