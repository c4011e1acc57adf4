"""The probes and the metrics: ``/healthz`` (alive), ``/readyz`` (able to serve) and ``/metrics``.

They live outside ``/api/v1`` (OpenMetadata has no such paths; its ``/api/v1/system/health``
stays as it is) and need no token, as probes and scrapers expect; ``/metrics`` can be limited
to signed-in callers or administrators (``server.metricsAccess``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from tessera.api.deps import ContainerDep, public_route
from tessera.api.route_helpers import json_response
from tessera.container import Container
from tessera.errors import Forbidden, NotAuthenticated
from tessera.observability.lifecycle import Lifecycle
from tessera.observability.metrics import Metrics

log = logging.getLogger("tessera.readiness")
router = APIRouter(tags=["operations"], dependencies=[public_route()])
# A database that does not answer within this is as good as down for a probe.
READINESS_TIMEOUT_S = 5.0


@router.get("/healthz", summary="Liveness: the process answers (no dependency is checked)")
async def healthz() -> Response:
    return json_response({"status": "alive"})


@router.get("/readyz", summary="Readiness: the database and the signing keys are reachable")
async def readyz(request: Request, container: ContainerDep) -> Response:
    lifecycle: Lifecycle = request.app.state.lifecycle
    checks: dict[str, str] = {}
    if lifecycle.draining:
        checks["shutdown"] = "the server is shutting down (SIGTERM)"
    checks["database"] = await _check(_ping_database, container)
    checks["signingKeys"] = await _check(_load_keys, container)
    failed = {name: outcome for name, outcome in checks.items() if outcome != "ok"}
    if not failed:
        return json_response({"status": "ready", "checks": checks})
    message = "Not ready: " + "; ".join(f"{name}: {outcome}" for name, outcome in failed.items())
    log.warning("%s", message)
    body: dict[str, Any] = {"code": 503, "message": message, "status": "not ready", "checks": checks}
    return json_response(body, status=503)


async def _check(probe: Callable[[Container], None], container: Container) -> str:
    try:
        await asyncio.wait_for(run_in_threadpool(probe, container), READINESS_TIMEOUT_S)
    except TimeoutError:
        return f"no answer within {READINESS_TIMEOUT_S:g} s"
    except sa.exc.SQLAlchemyError as exc:
        return f"unreachable ({exc.__class__.__name__})"
    except Exception as exc:  # noqa: BLE001 - a probe reports any failure, it never raises
        # /readyz is public: the answer names the kind of failure, the log says the rest.
        log.warning("readiness probe %s failed: %s", probe.__name__, exc)
        return f"failed ({exc.__class__.__name__})"
    return "ok"


def _ping_database(container: Container) -> None:
    with container.engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))


def _load_keys(container: Container) -> None:
    if not container.keys.jwks()["keys"]:
        raise LookupError("no signing key is published")
    _ = container.keys.signing


@router.get("/metrics", summary="Prometheus metrics (text exposition format)")
async def metrics(request: Request, container: ContainerDep) -> Response:
    access = container.settings.server.metricsAccess
    if access != "open":
        principal = getattr(request.state, "principal", None)
        if principal is None:
            raise NotAuthenticated(
                f"Not Authorized! /metrics needs a token (server.metricsAccess is {access!r})",
                headers={"WWW-Authenticate": 'Bearer realm="tessera"'},
            )
        if access == "admin" and not principal.is_admin:
            raise Forbidden(f"Only administrators may read /metrics (server.metricsAccess is {access!r})")
    registry: Metrics = request.app.state.metrics
    body, content_type = await run_in_threadpool(registry.render)
    return Response(body, media_type=content_type)
