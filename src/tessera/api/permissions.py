"""``GET /api/v1/permissions/{entityType}/{id}`` (and ``.../name/{fqn}``): what the caller may do
to one entity, as OpenMetadata's PermissionsResource answers its UI: a ``ResourcePermission``,
each operation with its ``access``, ``allow`` or ``notAllow``.

The UI shows the controls that change an entity to those whose change the server would accept.
So the answer is the decision a write is checked against: the caller's roles and policies on the
entity as it is served (inherited owners included), with the rules' conditions (``isOwner()``,
``matchAnyTag(...)``) evaluated on it. It can go stale like any page (roles or the entity change
meanwhile): the write is decided again. Which rule, policy or role decided (OpenMetadata's
optional ``rule``, ``policy`` and ``role``) is not told, and a deny is not told apart from no
allow: both are ``notAllow``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from tessera.api.deps import ContainerDep, PrincipalDep, authorize_in_handler
from tessera.api.route_helpers import json_response
from tessera.auth.permissions import Operation
from tessera.auth.principal import Principal
from tessera.catalog.kinds import ALL, Kind
from tessera.container import Container
from tessera.errors import BadRequest

router = APIRouter(prefix="/api/v1/permissions", tags=["permissions"])

# The kinds with pages of their own in the catalog's API.
_KINDS: dict[str, Kind] = {kind.type: kind for kind in ALL}


def _kind(entity_type: str) -> Kind:
    kind = _KINDS.get(entity_type)
    if kind is None:
        known = ", ".join(sorted(_KINDS))
        raise BadRequest(f"Unknown entity type {entity_type!r}; use one of: {known}")
    return kind


def _answer(container: Container, principal: Principal, kind: Kind, doc: dict[str, Any]) -> dict[str, Any]:
    # Someone who may not see the entity learns nothing about it here either.
    container.authorizer.check(principal, [Operation.VIEW_ALL], kind.type, doc)
    allows = container.authorizer.allows
    return {
        "resource": kind.type,
        "permissions": [
            {
                "operation": op.value,
                "access": "allow" if allows(principal, op, kind.type, doc) else "notAllow",
            }
            for op in Operation
        ],
    }


# Any signed-in caller: the answer is about the caller's own permissions.
@router.get("/{entity_type}/name/{fqn:path}", dependencies=[authorize_in_handler("permission")])
async def permissions_by_name(
    entity_type: str, fqn: str, container: ContainerDep, principal: PrincipalDep
) -> Response:
    kind = _kind(entity_type)
    doc = await run_in_threadpool(container.catalog.get_by_name, kind, fqn)
    return json_response(_answer(container, principal, kind, doc))


@router.get("/{entity_type}/{entity_id}", dependencies=[authorize_in_handler("permission")])
async def permissions_by_id(
    entity_type: str, entity_id: str, container: ContainerDep, principal: PrincipalDep
) -> Response:
    kind = _kind(entity_type)
    doc = await run_in_threadpool(container.catalog.get, kind, entity_id)
    return json_response(_answer(container, principal, kind, doc))
