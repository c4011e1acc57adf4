"""Table data routes: OpenMetadata's ``/tables/{id}/sampleData``, ``/tableProfile``,
``/columnProfile``, ``/systemProfile``, ``/tableProfilerConfig``, ``/joins`` and ``/usage``.

Each is decided on the table itself (a rule's condition may look at its owners or tags), with
OpenMetadata's operations: ViewSampleData/EditSampleData, ViewDataProfile/EditDataProfile,
ViewUsage/EditUsage, and EditAll for joins.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from tessera.api.deps import ContainerDep, PrincipalDep, authorize_each
from tessera.api.route_helpers import json_response, read_json, render
from tessera.auth.permissions import Operation
from tessera.auth.principal import Principal
from tessera.catalog import fqn as fqns
from tessera.catalog.kinds import TABLE, Kind
from tessera.container import Container
from tessera.errors import BadRequest
from tessera.tabledata.service import ProfileKind, TableDataService, kind_of

router = APIRouter(prefix="/api/v1", tags=["tables"])
_TABLE = TABLE.type
MAX_MILLIS = 2**63 - 1


def _decided(operation: Operation, resource: str = _TABLE) -> Any:
    return authorize_each(operation, resource)


def _service(container: Container) -> TableDataService:
    return container.table_data


def may_see_pii(principal: Principal | None, table: dict[str, Any]) -> bool:
    """OpenMetadata's authorizePII: administrators, bots and the table's owners."""
    if principal is None or principal.is_admin or principal.is_bot:
        return principal is not None
    mine = {principal.user_id, *principal.team_ids} - {None}
    return any(owner.get("id") in mine for owner in table.get("owners") or [])


async def _table(
    container: Container, principal: Principal, table_id: str, operation: Operation
) -> dict[str, Any]:
    doc = await run_in_threadpool(container.catalog.get, TABLE, table_id)
    container.authorizer.check(principal, [operation], _TABLE, doc)
    return doc


async def _table_by_name(
    container: Container, principal: Principal, fqn: str, operation: Operation
) -> dict[str, Any]:
    doc = await run_in_threadpool(container.catalog.get_by_name, TABLE, fqn)
    container.authorizer.check(principal, [operation], _TABLE, doc)
    return doc


def _table_of_column(column_fqn: str) -> str:
    """The table part of a column's FQN (quoted parts may hold dots)."""
    parts = fqns.split(column_fqn)
    if len(parts) < 2:
        raise BadRequest(f"{column_fqn} is not a column FQN (service.database.schema.table.column)")
    return fqns.build(*parts[:-1])


def _shown(container: Container, request: Request, doc: dict[str, Any], **extra: Any) -> Response:
    out = render(container, request, TABLE, doc, None)
    out.update({key: value for key, value in extra.items() if value is not None})
    return json_response(out)


# -- sample data ----------------------------------------------------------------------------------


@router.put("/tables/{table_id}/sampleData", dependencies=[_decided(Operation.EDIT_SAMPLE_DATA)])
async def put_sample_data(
    table_id: str, request: Request, container: ContainerDep, principal: PrincipalDep
) -> Response:
    body = await read_json(request)
    table = await _table(container, principal, table_id, Operation.EDIT_SAMPLE_DATA)
    await run_in_threadpool(_service(container).put_sample_data, table, body)
    sample = await run_in_threadpool(
        lambda: _service(container).sample_data(table, may_see_pii=may_see_pii(principal, table))
    )
    return _shown(container, request, table, sampleData=sample)


@router.get("/tables/{table_id}/sampleData", dependencies=[_decided(Operation.VIEW_SAMPLE_DATA)])
async def get_sample_data(
    table_id: str, request: Request, container: ContainerDep, principal: PrincipalDep
) -> Response:
    table = await _table(container, principal, table_id, Operation.VIEW_SAMPLE_DATA)
    sample = await run_in_threadpool(
        lambda: _service(container).sample_data(table, may_see_pii=may_see_pii(principal, table))
    )
    return _shown(container, request, table, sampleData=sample)


@router.delete("/tables/{table_id}/sampleData", dependencies=[_decided(Operation.EDIT_SAMPLE_DATA)])
async def delete_sample_data(
    table_id: str, request: Request, container: ContainerDep, principal: PrincipalDep
) -> Response:
    table = await _table(container, principal, table_id, Operation.EDIT_SAMPLE_DATA)
    await run_in_threadpool(_service(container).delete_sample_data, table)
    return _shown(container, request, table)


# -- profiler configuration and joins ---------------------------------------------------------------


@router.put("/tables/{table_id}/tableProfilerConfig", dependencies=[_decided(Operation.EDIT_DATA_PROFILE)])
async def put_profiler_config(
    table_id: str, request: Request, container: ContainerDep, principal: PrincipalDep
) -> Response:
    body = await read_json(request)
    table = await _table(container, principal, table_id, Operation.EDIT_DATA_PROFILE)
    config = await run_in_threadpool(_service(container).put_profiler_config, table, body)
    return _shown(container, request, table, tableProfilerConfig=config)


@router.get("/tables/{table_id}/tableProfilerConfig", dependencies=[_decided(Operation.VIEW_DATA_PROFILE)])
async def get_profiler_config(
    table_id: str, request: Request, container: ContainerDep, principal: PrincipalDep
) -> Response:
    table = await _table(container, principal, table_id, Operation.VIEW_DATA_PROFILE)
    config = await run_in_threadpool(_service(container).profiler_config, table)
    return _shown(container, request, table, tableProfilerConfig=config)


@router.delete("/tables/{table_id}/tableProfilerConfig", dependencies=[_decided(Operation.EDIT_DATA_PROFILE)])
async def delete_profiler_config(
    table_id: str, request: Request, container: ContainerDep, principal: PrincipalDep
) -> Response:
    table = await _table(container, principal, table_id, Operation.EDIT_DATA_PROFILE)
    await run_in_threadpool(_service(container).delete_profiler_config, table)
    return _shown(container, request, table)


@router.put("/tables/{table_id}/joins", dependencies=[_decided(Operation.EDIT_ALL)])
async def put_joins(
    table_id: str, request: Request, container: ContainerDep, principal: PrincipalDep
) -> Response:
    body = await read_json(request)
    table = await _table(container, principal, table_id, Operation.EDIT_ALL)
    joins = await run_in_threadpool(_service(container).put_joins, table, body)
    return _shown(container, request, table, joins=joins)


# -- profiles -------------------------------------------------------------------------------------


@router.put("/tables/{table_id}/tableProfile", dependencies=[_decided(Operation.EDIT_DATA_PROFILE)])
async def put_profile(
    table_id: str, request: Request, container: ContainerDep, principal: PrincipalDep
) -> Response:
    body = await read_json(request)
    table = await _table(container, principal, table_id, Operation.EDIT_DATA_PROFILE)
    profiled = await run_in_threadpool(_service(container).put_profile, table, body)
    return _shown(container, request, profiled, profile=profiled.get("profile"))


@router.get("/tables/{fqn:path}/tableProfile/latest", dependencies=[_decided(Operation.VIEW_DATA_PROFILE)])
async def latest_profile(
    fqn: str, request: Request, container: ContainerDep, principal: PrincipalDep
) -> Response:
    table = await _table_by_name(container, principal, fqn, Operation.VIEW_DATA_PROFILE)
    profiled = await run_in_threadpool(_service(container).with_profile, table)
    return _shown(container, request, profiled, profile=profiled.get("profile"))


def _profile_route(kind: ProfileKind) -> None:
    @router.get(
        f"/tables/{{fqn:path}}/{kind}",
        dependencies=[_decided(Operation.VIEW_DATA_PROFILE)],
        name=f"list_{kind}",
    )
    async def list_profiles(
        fqn: str,
        container: ContainerDep,
        principal: PrincipalDep,
        startTs: int = Query(..., ge=0, le=MAX_MILLIS, description="Epoch milliseconds."),
        endTs: int = Query(..., ge=0, le=MAX_MILLIS, description="Epoch milliseconds."),
        limit: int = Query(100, ge=1, le=10_000),
        after: str | None = None,
    ) -> Response:
        service = _service(container)
        table_fqn = _table_of_column(fqn) if kind == "columnProfile" else fqn
        await _table_by_name(container, principal, table_fqn, Operation.VIEW_DATA_PROFILE)
        page = await run_in_threadpool(
            lambda: service.profiles(fqn, kind, start=startTs, end=endTs, limit=limit, after=after)
        )
        return json_response(page)


for _kind in ("tableProfile", "columnProfile", "systemProfile"):
    _profile_route(_kind)


@router.delete(
    "/tables/{fqn:path}/{entity_type}/{timestamp}/profile",
    dependencies=[_decided(Operation.EDIT_DATA_PROFILE)],
)
async def delete_profile(
    fqn: str,
    entity_type: Literal["table", "column"],
    timestamp: Annotated[int, Path(ge=0, le=MAX_MILLIS)],
    container: ContainerDep,
    principal: PrincipalDep,
) -> Response:
    table_fqn = _table_of_column(fqn) if entity_type == "column" else fqn
    await _table_by_name(container, principal, table_fqn, Operation.EDIT_DATA_PROFILE)
    await run_in_threadpool(_service(container).delete_profile, fqn, entity_type, timestamp)
    return Response(status_code=200)


# -- usage ----------------------------------------------------------------------------------------


async def _used(
    container: Container,
    principal: Principal,
    kind: Kind,
    *,
    entity_id: str | None,
    fqn: str | None,
    op: Operation,
) -> dict[str, Any]:
    if fqn is not None:
        doc = await run_in_threadpool(container.catalog.get_by_name, kind, fqn)
    else:
        doc = await run_in_threadpool(container.catalog.get, kind, entity_id or "")
    container.authorizer.check(principal, [op], kind.type, doc)
    return doc


@router.post("/usage/compute.percentile/{entity_type}/{date}", dependencies=[_decided(Operation.EDIT_USAGE)])
async def compute_percentile(entity_type: str, date: str) -> Response:
    """Percentile ranks are counted when usage is read; nothing is left to compute."""
    kind_of(entity_type)
    return json_response({})


@router.post("/usage/{entity_type}/name/{fqn:path}", dependencies=[_decided(Operation.EDIT_USAGE)])
async def add_usage_by_name(
    entity_type: str, fqn: str, request: Request, container: ContainerDep, principal: PrincipalDep
) -> Response:
    body = await read_json(request)
    kind = kind_of(entity_type)
    doc = await _used(container, principal, kind, entity_id=None, fqn=fqn, op=Operation.EDIT_USAGE)
    return json_response(await run_in_threadpool(_service(container).add_usage, kind, doc, body), 201)


@router.post("/usage/{entity_type}/{entity_id}", dependencies=[_decided(Operation.EDIT_USAGE)])
async def add_usage(
    entity_type: str, entity_id: str, request: Request, container: ContainerDep, principal: PrincipalDep
) -> Response:
    body = await read_json(request)
    kind = kind_of(entity_type)
    doc = await _used(container, principal, kind, entity_id=entity_id, fqn=None, op=Operation.EDIT_USAGE)
    return json_response(await run_in_threadpool(_service(container).add_usage, kind, doc, body), 201)


@router.get("/usage/{entity_type}/name/{fqn:path}", dependencies=[_decided(Operation.VIEW_USAGE)])
async def usage_by_name(
    entity_type: str,
    fqn: str,
    container: ContainerDep,
    principal: PrincipalDep,
    date: str | None = None,
    days: int = Query(1, ge=1, le=30),
) -> Response:
    kind = kind_of(entity_type)
    doc = await _used(container, principal, kind, entity_id=None, fqn=fqn, op=Operation.VIEW_USAGE)
    return json_response(
        await run_in_threadpool(lambda: _service(container).usage(kind, doc, date=date, days=days))
    )


@router.get("/usage/{entity_type}/{entity_id}", dependencies=[_decided(Operation.VIEW_USAGE)])
async def usage(
    entity_type: str,
    entity_id: str,
    container: ContainerDep,
    principal: PrincipalDep,
    date: str | None = None,
    days: int = Query(1, ge=1, le=30),
) -> Response:
    kind = kind_of(entity_type)
    doc = await _used(container, principal, kind, entity_id=entity_id, fqn=None, op=Operation.VIEW_USAGE)
    return json_response(
        await run_in_threadpool(lambda: _service(container).usage(kind, doc, date=date, days=days))
    )
