"""What every router's handlers share: reading a JSON body and request headers, running catalog
calls off the event loop, naming the writer, and rendering entities and JSON responses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import orjson
from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from tessera.auth.principal import Principal
from tessera.catalog import changes, documents, shapes
from tessera.catalog.documents import Doc
from tessera.catalog.kinds import Kind
from tessera.catalog.models import NESTED_SCOPES, Actor, ExpectedVersions, ParentScope
from tessera.container import Container
from tessera.errors import BadRequest

JSON = "application/json"
T = TypeVar("T")

_PARENT_SCOPES: tuple[ParentScope, ...] = ("service", "database", "databaseSchema")


def json_response(payload: Any, status: int = 200) -> Response:
    return Response(content=orjson.dumps(payload), status_code=status, media_type=JSON)


async def read_json(request: Request) -> Any:
    body = await request.body()
    if not body:
        raise BadRequest("The request body is empty; send a JSON document")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"The request body is not valid JSON: {exc}") from None


def require_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object")
    return body


async def catalog_read(container: Container, call: Callable[[], T], *, small: bool = True) -> T:
    """Run a small catalog read inline on SQLite, anything else in the worker pool.

    An SQLite read of one entity or one page is an in-process call of a fraction of a
    millisecond that never waits for a writer (WAL): handing it to a worker thread and back cost
    several times the read itself. A server database is a network round trip away, and a large
    page takes long enough to hold up other requests, so those keep the event loop free.
    """
    if small and container.engine.dialect.name == "sqlite":
        return call()
    return await run_in_threadpool(call)


def actor_of(principal: Principal) -> Actor:
    return Actor(name=principal.name, is_bot=principal.is_bot)


def render(
    container: Container, request: Request, kind: Kind, doc: Doc, fields: frozenset[str] | None
) -> Doc:
    return render_many(container, request, kind, [doc], fields)[0]


def render_many(
    container: Container, request: Request, kind: Kind, docs: list[Doc], fields: frozenset[str] | None
) -> list[Doc]:
    """Entities as responses carry them: the fields asked for, relation fields read for all of
    them at once, OpenMetadata's defaults (catalog.shapes), secrets masked, ``href``."""
    container.preload(kind, docs, fields)
    expansions = container.catalog.expansions(kind)
    skip = expansions - (fields or frozenset())
    principal = getattr(request.state, "principal", None)
    base = container.base_url(request)
    out: list[Doc] = []
    for doc in container.catalog.relations.decorate(kind, docs, fields):
        shaped = documents.select_fields(kind, doc, fields)
        if fields and not fields.isdisjoint(expansions):
            shaped = container.catalog.expand(kind, shaped, fields)
        shaped = shapes.shape(kind, shaped, fields, skip=skip)
        shaped = container.present(kind, shaped, principal, fields)
        shaped["href"] = f"{base}/api/v1/{kind.collection}/{doc['id']}"
        out.append(shaped)
    return out


def parent_filters(request: Request, kind: Kind | None = None) -> dict[ParentScope, str]:
    """OpenMetadata's parent filters: service=, database=, databaseSchema= (FQNs); parent=,
    glossary= and directChildrenOf= for kinds that nest (tags, glossary terms)."""
    scopes = _PARENT_SCOPES + (NESTED_SCOPES if kind is not None and kind.nested is not None else ())
    return {scope: request.query_params[scope] for scope in scopes if scope in request.query_params}


def expected_versions(request: Request) -> ExpectedVersions:
    """The versions an ``If-Match`` header accepts (None: no header, or ``*``).

    RFC 9110 13.1.1: If-Match is ``*`` or a list of entity tags; tessera's tags are the
    entity's version, ``W/"0.3"``. ``*`` matches any current representation: the write still
    answers 404 for an entity that does not exist.
    """
    header = request.headers.get("if-match")
    if header is None:
        return None
    tags = [tag.strip() for tag in header.split(",") if tag.strip()]
    if not tags:
        raise BadRequest('Invalid If-Match header: empty; expected W/"<version>" or *')
    if "*" in tags:
        return None
    return frozenset(_version_of_tag(tag) for tag in tags)


def _version_of_tag(tag: str) -> int:
    text = tag.removeprefix("W/").strip('"')
    try:
        return changes.to_tenths(text)
    except (ValueError, OverflowError):  # not a number; "inf" overflows
        raise BadRequest(f'Invalid If-Match header {tag!r}; expected W/"<version>"') from None
