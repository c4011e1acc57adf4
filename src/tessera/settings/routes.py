"""``/api/v1/system/settings``: OpenMetadata's settings endpoints."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from tessera.api.deps import ContainerDep, PrincipalDep, authorize, authorize_in_handler
from tessera.api.route_helpers import json_response, read_json
from tessera.auth.permissions import Operation
from tessera.errors import BadRequest

router = APIRouter(prefix="/api/v1/system/settings", tags=["system"])
RESOURCE = "settings"


@router.get("", dependencies=[authorize(Operation.VIEW_ALL, RESOURCE)])
async def list_settings(container: ContainerDep, principal: PrincipalDep) -> Response:
    found = await run_in_threadpool(container.system_settings.list, principal)
    return json_response({"data": found, "paging": {"total": len(found)}})


@router.get("/{name}", dependencies=[authorize(Operation.VIEW_ALL, RESOURCE)])
async def get_setting(name: str, container: ContainerDep, principal: PrincipalDep) -> Response:
    return json_response(await run_in_threadpool(container.system_settings.get, principal, name))


@router.put("", dependencies=[authorize_in_handler(RESOURCE)])
async def put_setting(request: Request, container: ContainerDep, principal: PrincipalDep) -> Response:
    body = await read_json(request)
    if not isinstance(body, dict):
        raise BadRequest('A setting is {"config_type": "<name>", "config_value": {...}}')
    return json_response(await run_in_threadpool(container.system_settings.put, principal, body))


@router.put("/reset/{name}", dependencies=[authorize_in_handler(RESOURCE)])
async def reset_setting(name: str, container: ContainerDep, principal: PrincipalDep) -> Response:
    return json_response(await run_in_threadpool(container.system_settings.reset, principal, name))
