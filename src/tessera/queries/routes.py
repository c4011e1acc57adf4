"""OpenMetadata's QueryResource beyond create/read/update/delete: ``GET /queries?entityId=`` (the
queries used in an entity), ``PUT /queries/{id}/usage`` (add entities it is used in),
``/users`` (users who ran it, by name) and ``/usedBy`` (free-text names). Each adds to what the
query has, as OpenMetadata's do, and needs EditAll on the query.
"""

from __future__ import annotations

import functools
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from tessera.api.deps import ContainerDep, PrincipalDep, authorize, authorize_each
from tessera.api.route_helpers import actor_of, json_response, read_json, render
from tessera.auth.permissions import Operation
from tessera.catalog import documents
from tessera.catalog import fqn as fqns
from tessera.catalog.kinds import BY_TYPE, QUERY, USER
from tessera.container import Container
from tessera.errors import BadRequest, NotFound

router = APIRouter(prefix="/api/v1/queries", tags=["queries"])
_RESOURCE = QUERY.type


@router.get("", dependencies=[authorize_each(Operation.VIEW_ALL, _RESOURCE)])
async def list_queries(
    request: Request,
    container: ContainerDep,
    principal: PrincipalDep,
    entityId: str | None = None,
    service: str | None = None,
    limit: int = Query(10, ge=0, le=1_000_000),
    before: str | None = None,
    after: str | None = None,
    fields: str | None = None,
    include: Literal["non-deleted", "deleted", "all"] = "non-deleted",
) -> Response:
    wanted = documents.parse_fields(QUERY, fields)
    if entityId is not None:
        docs = await run_in_threadpool(container.catalog.referencing, QUERY, entityId)
        docs = [d for d in docs if any(ref.get("id") == entityId for ref in d.get("queryUsedIn") or [])]
        paging: dict[str, Any] = {"total": len(docs)}
    else:
        page = await run_in_threadpool(
            functools.partial(
                container.catalog.page,
                QUERY,
                filters={"service": service} if service else {},
                include=include,
                limit=limit,
                after=after,
                before=before,
            )
        )
        docs = [row.doc for row in page.rows]
        paging = {"total": page.total, **({"after": page.after} if page.after else {})}
        if page.before:
            paging["before"] = page.before
    visible = [d for d in docs if container.authorizer.allows(principal, Operation.VIEW_ALL, _RESOURCE, d)]
    return json_response(
        {"data": [render(container, request, QUERY, d, wanted) for d in visible], "paging": paging}
    )


async def _add(
    container: Container, principal: Any, query_id: str, field: str, values: list[Any], request: Request
) -> Response:
    current = await run_in_threadpool(container.catalog.get, QUERY, query_id)
    container.authorizer.check(principal, [Operation.EDIT_ALL], _RESOURCE, current)
    existing = list(current.get(field) or [])
    known = {_identity(v) for v in existing}
    merged = existing + [v for v in values if _identity(v) not in known]
    operation = "replace" if field in current else "add"
    doc = await run_in_threadpool(
        container.catalog.patch,
        QUERY,
        query_id,
        [{"op": operation, "path": f"/{field}", "value": merged}],
        actor_of(principal),
    )
    return json_response(render(container, request, QUERY, doc, frozenset({"*"})))


def _identity(value: Any) -> str:
    """A reference by its id; a usedBy name by itself."""
    return str(value["id"]) if isinstance(value, dict) else str(value)


@router.put("/{query_id}/usage", dependencies=[authorize(Operation.EDIT_ALL, _RESOURCE)])
async def add_usage(
    query_id: str, request: Request, container: ContainerDep, principal: PrincipalDep
) -> Response:
    body = await read_json(request)
    if not isinstance(body, list):
        raise BadRequest("The body must be a JSON array of entity references")

    def resolve() -> list[dict[str, Any]]:
        refs = []
        for index, ref in enumerate(body):
            if not isinstance(ref, dict) or "id" not in ref or ref.get("type") not in BY_TYPE:
                raise BadRequest(
                    f"[{index}]: an entity reference with an id and an entity type tessera serves"
                )
            target = container.catalog.get(BY_TYPE[ref["type"]], str(ref["id"]))
            refs.append(documents.reference(target, ref["type"]))
        return refs

    return await _add(
        container, principal, query_id, "queryUsedIn", await run_in_threadpool(resolve), request
    )


@router.put("/{query_id}/users", dependencies=[authorize(Operation.EDIT_ALL, _RESOURCE)])
async def add_users(
    query_id: str, request: Request, container: ContainerDep, principal: PrincipalDep
) -> Response:
    body = await read_json(request)
    if not isinstance(body, list) or not all(isinstance(name, str) for name in body):
        raise BadRequest("The body must be a JSON array of user names")

    def resolve() -> list[dict[str, Any]]:
        refs = []
        for name in body:
            try:
                user = container.catalog.get_by_name(USER, fqns.quote(name))
            except NotFound:
                raise NotFound(f"user {name} not found") from None
            refs.append(documents.reference(user, USER.type))
        return refs

    return await _add(container, principal, query_id, "users", await run_in_threadpool(resolve), request)


@router.put("/{query_id}/usedBy", dependencies=[authorize(Operation.EDIT_ALL, _RESOURCE)])
async def add_used_by(
    query_id: str, request: Request, container: ContainerDep, principal: PrincipalDep
) -> Response:
    body = await read_json(request)
    if not isinstance(body, list) or not all(isinstance(name, str) for name in body):
        raise BadRequest("The body must be a JSON array of names")
    return await _add(container, principal, query_id, "usedBy", list(body), request)


def query_presenter(kind: Any, doc: dict[str, Any], principal: Any, fields: Any) -> dict[str, Any]:
    """OpenMetadata's query has no ``deleted`` field (its client refuses one): tessera's soft
    delete keeps it in the stored document only."""
    if kind.type != QUERY.type or "deleted" not in doc:
        return doc
    return {key: value for key, value in doc.items() if key != "deleted"}
