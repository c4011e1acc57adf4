"""``/api/v1/lineage``: OpenMetadata's LineageResource.

Writing an edge needs EditLineage on its upstream (from) entity, as in OpenMetadata, and
ViewBasic on its downstream one (linking to an entity one may not see would reveal it).
Reading needs ViewBasic on the entity; entities a walk reaches that the caller may not see are
left out, with their edges.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from tessera.api.deps import ContainerDep, PrincipalDep, authorize_in_handler
from tessera.api.route_helpers import actor_of, json_response, read_json
from tessera.auth.permissions import Operation, Scope
from tessera.auth.principal import Principal
from tessera.catalog.kinds import BY_TYPE
from tessera.container import Container
from tessera.errors import BadRequest
from tessera.lineage.service import MAX_DEPTH, AuthorizeEdge, LineageService, Visible
from tessera.lineage.store import Node

router = APIRouter(prefix="/api/v1/lineage", tags=["lineage"])
# The entity decides: the operation is checked in the handler on the entities the path names.
DECIDED_ON_ENTITIES = authorize_in_handler("lineage")


def _depth() -> Any:
    # A Query of its own per parameter: FastAPI keeps the parameter's name on it.
    return Query(1, ge=0, le=MAX_DEPTH, description="Levels to walk (0 to 3).")


def _service(container: Container) -> LineageService:
    return container.lineage


def _edge_rule(container: Container, principal: Principal) -> AuthorizeEdge:
    def decide(source: Node, target: Node) -> None:
        container.authorizer.check(principal, [Operation.EDIT_LINEAGE], source.entity_type, source.doc)
        container.authorizer.check(principal, [Operation.VIEW_BASIC], target.entity_type, target.doc)

    return decide


def _visible(container: Container, principal: Principal) -> Visible:
    scopes: dict[str, Scope] = {}

    def visible(node: Node) -> bool:
        scope = scopes.get(node.entity_type)
        if scope is None:
            scope = scopes[node.entity_type] = container.authorizer.scope(
                principal, Operation.VIEW_BASIC, node.entity_type
            )
        if scope == "each":
            return container.authorizer.allows(principal, Operation.VIEW_BASIC, node.entity_type, node.doc)
        return scope == "all"

    return visible


def _by_name(container: Container, entity_type: str, fqn: str) -> Node:
    kind = BY_TYPE.get(entity_type)
    if kind is None:
        raise BadRequest(f"entity type {entity_type!r} is not an entity type tessera serves")
    doc = container.catalog.get_by_name(kind, fqn)
    return Node(doc["id"], kind.type, False, doc)


def _hrefs(container: Container, request: Request, lineage: dict[str, Any]) -> dict[str, Any]:
    base = container.base_url(request)
    for ref in [lineage["entity"], *lineage["nodes"]]:
        ref["href"] = f"{base}/api/v1/{BY_TYPE[ref['type']].collection}/{ref['id']}"
    return lineage


async def _read(
    container: Container, principal: Principal, request: Request, root: Node, up: int, down: int
) -> Response:
    container.authorizer.check(principal, [Operation.VIEW_BASIC], root.entity_type, root.doc)
    service = _service(container)
    lineage = await run_in_threadpool(service.lineage, root, up, down, _visible(container, principal))
    return json_response(_hrefs(container, request, lineage))


@router.put("", dependencies=[DECIDED_ON_ENTITIES])
async def add_lineage(request: Request, container: ContainerDep, principal: PrincipalDep) -> Response:
    body = await read_json(request)
    rule = _edge_rule(container, principal)
    await run_in_threadpool(_service(container).add, [body], actor_of(principal).name, rule)
    return Response(status_code=200)


@router.put("/bulk", dependencies=[DECIDED_ON_ENTITIES])
async def add_lineage_bulk(request: Request, container: ContainerDep, principal: PrincipalDep) -> Response:
    """tessera's own: many addLineage requests in one transaction (all or none)."""
    body = await read_json(request)
    if not isinstance(body, list):
        raise BadRequest("The bulk lineage body must be a JSON array of addLineage requests")
    rule = _edge_rule(container, principal)
    edges = await run_in_threadpool(_service(container).add, body, actor_of(principal).name, rule)
    return json_response({"numberOfRowsProcessed": len(body), "numberOfRowsPassed": len(edges)})


@router.get("/getLineageEdge/{from_id}/{to_id}", dependencies=[DECIDED_ON_ENTITIES])
async def get_edge(from_id: str, to_id: str, container: ContainerDep, principal: PrincipalDep) -> Response:
    service = _service(container)
    ends = await run_in_threadpool(service.ends, from_id, to_id)
    for node in ends:
        container.authorizer.check(principal, [Operation.VIEW_BASIC], node.entity_type, node.doc)
    return json_response(await run_in_threadpool(service.edge, from_id, to_id))


@router.get("/{entity_type}/name/{fqn:path}", dependencies=[DECIDED_ON_ENTITIES])
async def get_by_name(
    entity_type: str,
    fqn: str,
    request: Request,
    container: ContainerDep,
    principal: PrincipalDep,
    upstreamDepth: int = _depth(),
    downstreamDepth: int = _depth(),
) -> Response:
    root = await run_in_threadpool(_by_name, container, entity_type, fqn)
    return await _read(container, principal, request, root, upstreamDepth, downstreamDepth)


@router.get("/{entity_type}/{entity_id}", dependencies=[DECIDED_ON_ENTITIES])
async def get_by_id(
    entity_type: str,
    entity_id: str,
    request: Request,
    container: ContainerDep,
    principal: PrincipalDep,
    upstreamDepth: int = _depth(),
    downstreamDepth: int = _depth(),
) -> Response:
    root = await run_in_threadpool(_service(container).entity, entity_type, entity_id)
    return await _read(container, principal, request, root, upstreamDepth, downstreamDepth)


@router.patch("/{from_type}/{from_id}/{to_type}/{to_id}", dependencies=[DECIDED_ON_ENTITIES])
async def patch_edge(
    from_type: str,
    from_id: str,
    to_type: str,
    to_id: str,
    request: Request,
    container: ContainerDep,
    principal: PrincipalDep,
) -> Response:
    operations = await read_json(request)
    service = _service(container)
    source = await run_in_threadpool(service.entity, from_type, from_id)
    target = await run_in_threadpool(service.entity, to_type, to_id)
    details = await run_in_threadpool(
        service.patch, source, target, operations, actor_of(principal).name, _edge_rule(container, principal)
    )
    return json_response(details)


@router.delete(
    "/{from_type}/name/{from_fqn}/{to_type}/name/{to_fqn:path}", dependencies=[DECIDED_ON_ENTITIES]
)
async def delete_by_name(
    from_type: str, from_fqn: str, to_type: str, to_fqn: str, container: ContainerDep, principal: PrincipalDep
) -> Response:
    source = await run_in_threadpool(_by_name, container, from_type, from_fqn)
    target = await run_in_threadpool(_by_name, container, to_type, to_fqn)
    await run_in_threadpool(_service(container).delete, source, target, _edge_rule(container, principal))
    return Response(status_code=200)


@router.delete("/{entity_type}/{entity_id}/type/{source}", dependencies=[DECIDED_ON_ENTITIES])
async def delete_by_source(
    entity_type: str, entity_id: str, source: str, container: ContainerDep, principal: PrincipalDep
) -> Response:
    service = _service(container)
    node = await run_in_threadpool(service.entity, entity_type, entity_id)
    container.authorizer.check(principal, [Operation.EDIT_LINEAGE], node.entity_type, node.doc)
    await run_in_threadpool(service.delete_by_source, node, source)
    return Response(status_code=200)


@router.delete("/{from_type}/{from_id}/{to_type}/{to_id}", dependencies=[DECIDED_ON_ENTITIES])
async def delete_edge(
    from_type: str, from_id: str, to_type: str, to_id: str, container: ContainerDep, principal: PrincipalDep
) -> Response:
    service = _service(container)
    source = await run_in_threadpool(service.entity, from_type, from_id)
    target = await run_in_threadpool(service.entity, to_type, to_id)
    await run_in_threadpool(service.delete, source, target, _edge_rule(container, principal))
    return Response(status_code=200)
