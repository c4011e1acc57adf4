"""Faults on demand, so that a client's behaviour under an identity provider outage is tested,
not assumed: an error answer (a status, an OAuth ``error`` and AADSTS code) or a delay for an
endpoint (``token``, ``keys``, ``discovery``, ``devicecode``, ``graph``, or ``any``), always, with a
probability, or for the next N calls; a JWKS outage (``keys`` answering 503); a clock offset
(every time the emulator issues or checks moves by it); and, in ``keys.py``, the unannounced
key rollover (``keys rotate --force``).

Faults live in the store, so the CLI sets them on a running server (``tessera entra faults
...``) as the admin API does; :class:`FaultInjection` applies them before routing. The admin API
and the sign-in pages are never faulted.
"""

from __future__ import annotations

import asyncio
import random
import re
from typing import Any

import orjson
from sqlalchemy import delete, select
from starlette.types import ASGIApp, Receive, Scope, Send

from tessera.entra.clock import Clock
from tessera.entra.directory import DirectoryError
from tessera.entra.errors import EntraError, ErrorContext, error_body
from tessera.entra.models import EmulatorValue, Fault
from tessera.entra.store import Store

ENDPOINTS = {
    "token": re.compile(r"^/[^/]+/oauth2/(?:v2\.0/)?token$"),
    "keys": re.compile(r"^/[^/]+/discovery/(?:v2\.0/)?keys$"),
    "discovery": re.compile(
        r"^/(?:[^/]+/(?:v2\.0/)?\.well-known/openid-configuration|common/discovery/instance)$"
    ),
    "devicecode": re.compile(r"^/[^/]+/oauth2/v2\.0/devicecode$"),
    "graph": re.compile(r"^/v1\.0/"),
}
CLOCK_OFFSET = "clock_offset"


def endpoint_of(path: str) -> str | None:
    return next((name for name, pattern in ENDPOINTS.items() if pattern.match(path)), None)


def fault_json(f: Fault) -> dict[str, Any]:
    return {
        "id": f.id,
        "endpoint": f.endpoint,
        "kind": f.kind,
        "status": f.status,
        "error": f.error,
        "code": f.code,
        "description": f.description,
        "latencyMs": f.latency_ms,
        "probability": f.probability,
        "remaining": f.remaining,
    }


class FaultOps:
    """The faults part of :class:`tessera.entra.service.DirectoryService`."""

    store: Store
    clock: Clock

    def add_fault(
        self,
        endpoint: str,
        *,
        status: int | None = None,
        error: str | None = None,
        code: int | None = None,
        description: str | None = None,
        latency_ms: int | None = None,
        probability: float = 1.0,
        count: int | None = None,
    ) -> dict[str, Any]:
        """An error answer (``status``) or a delay (``latency_ms``) for ``endpoint``."""
        if endpoint not in (*ENDPOINTS, "any"):
            raise DirectoryError(f"endpoint is one of {', '.join([*ENDPOINTS, 'any'])}, not '{endpoint}'.")
        if (status is None) == (latency_ms is None):
            raise DirectoryError("a fault is either an error (status) or a delay (latencyMs).")
        if status is not None and not 400 <= status <= 599:
            raise DirectoryError("an error fault's status is 400 to 599.")
        if not 0 < probability <= 1:
            raise DirectoryError("probability is more than 0 and at most 1.")
        if count is not None and count < 1:
            raise DirectoryError("count is at least 1 (leave it out for 'until cleared').")
        if latency_ms is not None and not 0 < latency_ms <= 120_000:
            raise DirectoryError("latencyMs is 1 to 120000.")
        unavailable = status in (None, 429, 503, 504)
        fault = Fault(
            endpoint=endpoint,
            kind="error" if status is not None else "latency",
            status=status,
            error=error or ("temporarily_unavailable" if unavailable else "server_error"),
            code=code if code is not None else 90033,
            description=description or "A transient error has occurred. Please try again.",
            latency_ms=latency_ms,
            probability=probability,
            remaining=count,
        )
        with self.store.transaction() as s:
            s.add(fault)
            s.flush()
            return fault_json(fault)

    def jwks_outage(self, *, count: int | None = None) -> dict[str, Any]:
        """The keys endpoint answers 503 until cleared (or ``count`` times)."""
        return self.add_fault("keys", status=503, count=count)

    def faults(self) -> list[dict[str, Any]]:
        with self.store.transaction() as s:
            return [fault_json(f) for f in s.scalars(select(Fault).order_by(Fault.id)).all()]

    def clear_faults(self, fault_id: int | None = None) -> int:
        with self.store.transaction() as s:
            query = delete(Fault) if fault_id is None else delete(Fault).where(Fault.id == fault_id)
            return int(s.execute(query).rowcount)  # type: ignore[attr-defined]

    def set_clock_offset(self, seconds: float) -> float:
        """Move the emulator's time by ``seconds`` (negative: back) for everything it issues and
        checks, as an identity provider whose clock is off would."""
        with self.store.transaction() as s:
            row = s.get(EmulatorValue, CLOCK_OFFSET)
            if row is None:
                s.add(EmulatorValue(key=CLOCK_OFFSET, value=float(seconds)))
            else:
                row.value = float(seconds)
        return float(seconds)

    def clock_offset(self) -> float:
        with self.store.transaction() as s:
            return offset(s)


def offset(s: Any) -> float:
    row = s.get(EmulatorValue, CLOCK_OFFSET)
    return float(row.value) if row is not None else 0.0


class FaultInjection:
    """ASGI middleware: applies the store's faults to the protocol endpoint a request is for."""

    def __init__(self, app: ASGIApp, store: Store, origin_of: Any, now: Any) -> None:
        self.app = app
        self.store = store
        self.origin_of = origin_of
        self.now = now

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        name = endpoint_of(scope["path"]) if scope["type"] == "http" else None
        if name is None or scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
        error: Fault | None = None
        delay = 0.0
        for fault in self._firing(name):
            if fault.kind == "latency":
                delay += (fault.latency_ms or 0) / 1000
            elif error is None:
                error = fault
        if delay:
            await asyncio.sleep(delay)
        if error is None:
            await self.app(scope, receive, send)
            return
        await self._answer(scope, send, error)

    def _firing(self, name: str) -> list[Fault]:
        with self.store.unit() as unit:
            active = self.store.cached(
                ("faults",),
                lambda: list(unit.session.scalars(select(Fault).order_by(Fault.id)).all()),
            )
            if not active:
                return []
            firing = [
                f
                for f in active
                if f.endpoint in (name, "any") and (f.probability >= 1 or random.random() < f.probability)
            ]
            for fault in firing:
                if fault.remaining is not None:
                    row = unit.session.get(Fault, fault.id)
                    if row is not None:
                        if row.remaining is None or row.remaining <= 1:
                            unit.session.delete(row)
                        else:
                            row.remaining -= 1
            return firing

    async def _answer(self, scope: Scope, send: Send, fault: Fault) -> None:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        origin = self.origin_of(scope, headers)
        err = EntraError(
            fault.error or "server_error",
            fault.code or 90033,
            fault.description or "",
            status=fault.status or 503,
        )
        context = ErrorContext.new(origin, headers.get("client-request-id"), self.now())
        body = orjson.dumps(error_body(err, context))
        response_headers = [
            (b"content-type", b"application/json; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store, no-cache"),
        ]
        if err.status in (429, 503):
            response_headers.append((b"retry-after", b"1"))
        await send({"type": "http.response.start", "status": err.status, "headers": response_headers})
        await send({"type": "http.response.body", "body": body})
