"""GET /api/v1/audit/events: the audit log, for administrators."""

from __future__ import annotations

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from tessera.api.deps import ContainerDep, PrincipalDep, authorize
from tessera.api.route_helpers import json_response
from tessera.auth.permissions import Operation
from tessera.errors import AdminOnly

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get("/events", dependencies=[authorize(Operation.VIEW_ALL, "audit")])
async def events(
    container: ContainerDep,
    principal: PrincipalDep,
    limit: int = Query(50, ge=1, le=1000),
    before: int | None = Query(None, ge=1, le=2**63 - 1, description="The id of the oldest event seen."),
    action: str | None = None,
) -> Response:
    if not principal.is_admin:
        raise AdminOnly(principal.display, "read the audit log")
    audit = container.audit
    return json_response(await run_in_threadpool(audit.page, limit=limit, before=before, action=action))
