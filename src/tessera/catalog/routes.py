"""The standard OpenMetadata routes of an entity collection, built from its :class:`Kind`.

Handlers are thin: parse, authorize, call the catalog service (in a worker thread, or inline for
a small read on SQLite: see ``catalog_read``), render.
"""

from __future__ import annotations

import functools
from typing import Any, Literal

import orjson
from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from tessera.api import list_stream
from tessera.api.deps import (
    ContainerDep,
    PrincipalDep,
    authorize,
    authorize_each,
    authorize_in_handler,
    container_of,
    principal_of,
)
from tessera.api.route_helpers import (
    actor_of,
    catalog_read,
    expected_versions,
    json_response,
    parent_filters,
    read_json,
    render,
    render_many,
    require_object,
)
from tessera.auth.permissions import PATCH_PATH_OPERATIONS, Operation
from tessera.auth.principal import Principal
from tessera.catalog import documents, shapes
from tessera.catalog import fqn as fqns
from tessera.catalog.documents import Doc
from tessera.catalog.kinds import Kind
from tessera.catalog.models import AuthorizeChange, AuthorizeWrite
from tessera.container import Container
from tessera.errors import BadRequest, NotFound

IncludeParam = Literal["non-deleted", "deleted", "all"]
MAX_LIMIT = 1_000_000
# Pages up to this size are read inline on SQLite (see catalog_read).
INLINE_PAGE_LIMIT = 100


def entity_router(kind: Kind) -> APIRouter:
    router = APIRouter(prefix=f"/api/v1/{kind.collection}", tags=[kind.collection])
    resource = kind.type
    # Reads are decided on each entity: a rule's condition may look at its tags or owners.
    view = authorize_each(Operation.VIEW_ALL, resource)

    @router.get("", dependencies=[view], summary=f"List {kind.collection}")
    async def list_entities(
        request: Request,
        container: ContainerDep,
        principal: PrincipalDep,
        limit: int = Query(10, ge=0, le=MAX_LIMIT),
        before: str | None = None,
        after: str | None = None,
        fields: str | None = None,
        include: IncludeParam = "non-deleted",
    ) -> Response:
        wanted = documents.parse_fields(kind, fields)
        filters = parent_filters(request, kind)
        if limit > list_stream.CHUNK and before is None:
            # Large pages are streamed in chunks: memory does not grow with the limit.
            return await list_stream.stream_page(
                request,
                container,
                principal,
                kind,
                filters=filters,
                include=include,
                limit=limit,
                after=after,
                wanted=wanted,
            )
        page = await catalog_read(
            container,
            functools.partial(
                container.catalog.page,
                kind,
                filters=filters,
                include=include,
                limit=limit,
                after=after,
                before=before,
            ),
            small=limit <= INLINE_PAGE_LIMIT,
        )
        paging: dict[str, Any] = {"total": page.total}
        if page.after:
            paging["after"] = page.after
        if page.before:
            paging["before"] = page.before
        rows = page.rows
        if container.authorizer.scope(principal, Operation.VIEW_ALL, resource) == "each":
            # A conditional rule decides per entity (its tags, its owners): hidden ones are left out.
            rows = [
                row
                for row in rows
                if container.authorizer.allows(principal, Operation.VIEW_ALL, resource, row.doc)
            ]
        # Relation fields are read for the whole page: off the event loop like the page itself.
        data = await catalog_read(
            container,
            functools.partial(render_many, container, request, kind, [row.doc for row in rows], wanted),
            small=limit <= INLINE_PAGE_LIMIT,
        )
        return json_response({"data": data, "paging": paging})

    if not kind.read_only:

        @router.delete("/deleteStale", dependencies=[authorize(Operation.DELETE, resource)])
        async def delete_stale(
            request: Request, container: ContainerDep, principal: PrincipalDep
        ) -> Response:
            body = await read_json(request)
            result = await run_in_threadpool(container.catalog.delete_stale, kind, body, actor_of(principal))
            return json_response(result.as_json())

        @router.put(
            "/bulk",
            dependencies=[authorize(Operation.CREATE, resource), authorize(Operation.EDIT_ALL, resource)],
        )
        async def bulk(
            request: Request, container: ContainerDep, principal: PrincipalDep, overrideMetadata: bool = False
        ) -> Response:
            body = await read_json(request)
            result = await run_in_threadpool(
                functools.partial(
                    container.catalog.bulk,
                    kind,
                    body,
                    actor_of(principal),
                    override=overrideMetadata,
                    authorize=_authorize_upsert(container, principal, resource),
                )
            )
            return json_response(result.as_json())

        @router.put("/restore", dependencies=[authorize(Operation.EDIT_ALL, resource)])
        async def restore(request: Request, container: ContainerDep, principal: PrincipalDep) -> Response:
            body = await read_json(request)
            if not isinstance(body, dict) or "id" not in body:
                raise BadRequest('The restore request must be {"id": "<entity id>"}')
            doc = await run_in_threadpool(
                container.catalog.restore, kind, str(body["id"]), actor_of(principal)
            )
            return json_response(await _rendered(container, request, kind, doc, frozenset({"*"})))

    # The two hottest routes take the container and the caller from the request rather than as
    # dependencies (the same values: api.deps.container_of).
    @router.get("/name/{fqn:path}", dependencies=[view])
    async def get_by_name(
        fqn: str,
        request: Request,
        fields: str | None = None,
        include: IncludeParam = "non-deleted",
    ) -> Response:
        container, principal = container_of(request), principal_of(request)
        wanted = documents.parse_fields(kind, fields)
        doc = await catalog_read(container, lambda: container.catalog.get_by_name(kind, fqn, include))
        container.authorizer.check(principal, [Operation.VIEW_ALL], resource, doc)
        return json_response(await _rendered(container, request, kind, doc, wanted))

    @router.get("/{entity_id}", dependencies=[view])
    async def get_by_id(
        entity_id: str,
        request: Request,
        fields: str | None = None,
        include: IncludeParam = "non-deleted",
    ) -> Response:
        container, principal = container_of(request), principal_of(request)
        wanted = documents.parse_fields(kind, fields)
        doc = await catalog_read(container, lambda: container.catalog.get(kind, entity_id, include))
        container.authorizer.check(principal, [Operation.VIEW_ALL], resource, doc)
        return json_response(await _rendered(container, request, kind, doc, wanted))

    @router.get("/{entity_id}/versions", dependencies=[view])
    async def list_versions(entity_id: str, container: ContainerDep, principal: PrincipalDep) -> Response:
        # Decided on the entity as it is now, for its whole history.
        current = await run_in_threadpool(container.catalog.get, kind, entity_id, "all")
        container.authorizer.check(principal, [Operation.VIEW_ALL], resource, current)
        docs = await run_in_threadpool(container.catalog.versions, kind, entity_id)
        every = frozenset({"*"})
        skip = container.catalog.expansions(kind)
        versions = [
            orjson.dumps(
                container.present(kind, shapes.shape(kind, doc, every, skip=skip), principal)
            ).decode()
            for doc in docs
        ]
        return json_response({"entityType": kind.type, "versions": versions})

    @router.get("/{entity_id}/versions/{version}", dependencies=[view])
    async def get_version(
        entity_id: str, version: str, request: Request, container: ContainerDep, principal: PrincipalDep
    ) -> Response:
        current = await run_in_threadpool(container.catalog.get, kind, entity_id, "all")
        container.authorizer.check(principal, [Operation.VIEW_ALL], resource, current)
        doc = await run_in_threadpool(container.catalog.version, kind, entity_id, version)
        return json_response(await _rendered(container, request, kind, doc, frozenset({"*"})))

    if kind.read_only:
        return router

    if "followers" in kind.optional_fields and "followers" in kind.entity_fields:
        _relation_routes(router, kind)

    @router.post("", status_code=201, dependencies=[authorize(Operation.CREATE, resource)])
    async def create(request: Request, container: ContainerDep, principal: PrincipalDep) -> Response:
        body = await read_json(request)
        require_object(body)
        doc = await run_in_threadpool(container.catalog.create, kind, body, actor_of(principal))
        return json_response(await _rendered(container, request, kind, doc, frozenset({"*"})), 201)

    @router.put("", dependencies=[authorize_in_handler(resource)])
    async def create_or_update(
        request: Request, container: ContainerDep, principal: PrincipalDep, overrideMetadata: bool = False
    ) -> Response:
        body = await read_json(request)
        require_object(body)
        existing = await run_in_threadpool(_existing_for_put, container, kind, body)
        container.authorizer.check(
            principal, [Operation.EDIT_ALL if existing is not None else Operation.CREATE], resource, existing
        )
        result = await run_in_threadpool(
            functools.partial(
                container.catalog.create_or_update,
                kind,
                body,
                actor_of(principal),
                override=overrideMetadata,
                authorize=_authorize_upsert(container, principal, resource),
            )
        )
        status = 201 if result.outcome == "created" else 200
        return json_response(await _rendered(container, request, kind, result.doc, frozenset({"*"})), status)

    @router.patch("/name/{fqn:path}", dependencies=[authorize_in_handler(resource)])
    async def patch_by_name(
        fqn: str, request: Request, container: ContainerDep, principal: PrincipalDep
    ) -> Response:
        existing = await run_in_threadpool(container.catalog.get_by_name, kind, fqn)
        return await patch_entity(existing, request, container, principal)

    @router.patch("/{entity_id}", dependencies=[authorize_in_handler(resource)])
    async def patch(
        entity_id: str, request: Request, container: ContainerDep, principal: PrincipalDep
    ) -> Response:
        existing = await run_in_threadpool(container.catalog.get, kind, entity_id)
        return await patch_entity(existing, request, container, principal)

    async def patch_entity(
        existing: Doc, request: Request, container: Container, principal: Principal
    ) -> Response:
        entity_id = str(existing["id"])
        operations = await read_json(request)
        needed = _patch_operations(operations)
        # Refuse early on what the pointers name; the decision that counts is taken on the locked
        # entity and on what the patch actually changes (see _authorize_change).
        container.authorizer.check(principal, needed, resource, existing)
        doc = await run_in_threadpool(
            functools.partial(
                container.catalog.patch,
                kind,
                entity_id,
                operations,
                actor_of(principal),
                expected_versions=expected_versions(request),
                authorize=_authorize_change(container, principal, resource, needed),
            )
        )
        return json_response(await _rendered(container, request, kind, doc, frozenset({"*"})))

    @router.delete("/name/{fqn:path}", dependencies=[authorize(Operation.DELETE, resource)])
    async def delete_by_name(
        fqn: str,
        request: Request,
        container: ContainerDep,
        principal: PrincipalDep,
        recursive: bool = False,
        hardDelete: bool = False,
    ) -> Response:
        doc = await run_in_threadpool(
            functools.partial(
                container.catalog.delete_by_name,
                kind,
                fqn,
                actor_of(principal),
                recursive=recursive,
                hard=hardDelete,
                authorize=_authorize_delete(container, principal, resource),
            )
        )
        return json_response(await _rendered(container, request, kind, doc, frozenset({"*"})))

    @router.delete("/{entity_id}", dependencies=[authorize(Operation.DELETE, resource)])
    async def delete(
        entity_id: str,
        request: Request,
        container: ContainerDep,
        principal: PrincipalDep,
        recursive: bool = False,
        hardDelete: bool = False,
    ) -> Response:
        doc = await run_in_threadpool(
            functools.partial(
                container.catalog.delete,
                kind,
                entity_id,
                actor_of(principal),
                recursive=recursive,
                hard=hardDelete,
                authorize=_authorize_delete(container, principal, resource),
            )
        )
        return json_response(await _rendered(container, request, kind, doc, frozenset({"*"})))

    return router


async def _rendered(
    container: Container, request: Request, kind: Kind, doc: Doc, fields: frozenset[str] | None
) -> Doc:
    """One entity rendered (its relation fields read) as a catalog read: off the event loop
    unless it is a quick SQLite read (see catalog_read)."""
    return await catalog_read(container, lambda: render(container, request, kind, doc, fields))


def _relation_routes(router: APIRouter, kind: Kind) -> None:
    """Followers and votes: relations of users to the entity, not changes of it (no version)."""
    view = authorize_each(Operation.VIEW_ALL, kind.type)

    async def change_followers(
        entity_id: str, user_id: str, container: ContainerDep, principal: PrincipalDep, add: bool
    ) -> Response:
        current = await run_in_threadpool(container.catalog.get, kind, entity_id)
        container.authorizer.check(principal, [Operation.VIEW_ALL], kind.type, current)
        if user_id != principal.user_id:
            # Following is for oneself; changing who else follows is editing the entity.
            container.authorizer.check(principal, [Operation.EDIT_ALL], kind.type, current)
        relations = container.catalog.relations
        change = relations.follow if add else relations.unfollow
        event = await run_in_threadpool(change, kind, entity_id, user_id, principal.name)
        return json_response(event)

    @router.put("/{entity_id}/followers", dependencies=[view])
    async def add_follower(
        entity_id: str, request: Request, container: ContainerDep, principal: PrincipalDep
    ) -> Response:
        # OpenMetadata's body is the user's id, as a JSON string or bare.
        body = (await request.body()).decode("utf-8", "replace").strip()
        user_id = body.strip('"')
        if not user_id:
            raise BadRequest("The request body must be the id of the user who follows")
        return await change_followers(entity_id, user_id, container, principal, True)

    @router.put("/{entity_id}/followers/{user_id}", dependencies=[view])
    async def add_follower_by_path(
        entity_id: str, user_id: str, request: Request, container: ContainerDep, principal: PrincipalDep
    ) -> Response:
        return await change_followers(entity_id, user_id, container, principal, True)

    @router.delete("/{entity_id}/followers/{user_id}", dependencies=[view])
    async def remove_follower(
        entity_id: str, user_id: str, request: Request, container: ContainerDep, principal: PrincipalDep
    ) -> Response:
        return await change_followers(entity_id, user_id, container, principal, False)

    if "votes" not in kind.entity_fields:
        return

    @router.put("/{entity_id}/vote", dependencies=[view])
    async def vote(
        entity_id: str, request: Request, container: ContainerDep, principal: PrincipalDep
    ) -> Response:
        body = await read_json(request)
        current = await run_in_threadpool(container.catalog.get, kind, entity_id)
        container.authorizer.check(principal, [Operation.VIEW_ALL], kind.type, current)
        event = await run_in_threadpool(
            container.catalog.relations.vote, kind, entity_id, principal.user_id, body, principal.name
        )
        return json_response(event)


def _existing_for_put(container: Container, kind: Kind, body: dict[str, Any]) -> Doc | None:
    """The entity a PUT would update, if any (decides between Create and EditAll)."""
    name = body.get("name")
    if not isinstance(name, str):
        return None
    try:
        parent_field = kind.parent.field if kind.parent is not None else None
        if kind.nested is not None and body.get(kind.nested.field) is not None:
            parent_field = kind.nested.field
        parent = body.get(parent_field) if parent_field else None
        if isinstance(parent, str):
            target = fqns.build(*fqns.split(parent), name)
        elif parent is None:
            target = fqns.quote(name)
        else:
            return None
        return container.catalog.get_by_name(kind, target, "all")
    except (NotFound, BadRequest):
        return None


def _authorize_upsert(container: Container, principal: Principal, resource: str) -> AuthorizeWrite:
    """A PUT's decision on the entity it updates (locked), or Create when there is none."""

    def decide(existing: Doc | None) -> None:
        operation = Operation.EDIT_ALL if existing is not None else Operation.CREATE
        container.authorizer.check(principal, [operation], resource, existing)

    return decide


def _authorize_delete(container: Container, principal: Principal, resource: str) -> AuthorizeWrite:
    """Delete decided again on the entity itself: deny rules with conditions, built-in roles."""

    def decide(existing: Doc | None) -> None:
        container.authorizer.check(principal, [Operation.DELETE], resource, existing)

    return decide


def _authorize_change(
    container: Container, principal: Principal, resource: str, needed: list[Operation]
) -> AuthorizeChange:
    def decide(stored: Doc, patched: Doc) -> None:
        operations = sorted({*needed, *_changed_operations(stored, patched)})
        container.authorizer.check(principal, operations, resource, stored)

    return decide


def _changed_operations(stored: Doc, patched: Doc) -> set[Operation]:
    """What the fields a patch changes need, however its pointers reached them."""
    return {
        PATCH_PATH_OPERATIONS.get(field, Operation.EDIT_ALL)
        for field in stored.keys() | patched.keys()
        if field not in stored or field not in patched or stored[field] != patched[field]
    }


def _patch_operations(operations: Any) -> list[Operation]:
    """What the pointers of a JSON Patch name: ``path``, and ``from`` of a move (which removes
    it) or copy. The root pointer "" is the whole entity and needs EditAll."""
    if not isinstance(operations, list):
        raise BadRequest("A JSON Patch body must be an array of operations (RFC 6902)")
    needed: set[Operation] = set()
    for operation in operations:
        if not isinstance(operation, dict) or "path" not in operation:
            needed.add(Operation.EDIT_ALL)
            continue
        pointers = [operation["path"]]
        if "from" in operation:
            pointers.append(operation["from"])
        needed.update(_pointer_operation(pointer) for pointer in pointers)
    return sorted(needed) or [Operation.EDIT_ALL]


def _pointer_operation(pointer: Any) -> Operation:
    if not isinstance(pointer, str) or not pointer.startswith("/"):
        return Operation.EDIT_ALL  # the root "", or not a JSON pointer at all
    top = pointer[1:].split("/", 1)[0].replace("~1", "/").replace("~0", "~")
    return PATCH_PATH_OPERATIONS.get(top, Operation.EDIT_ALL)
