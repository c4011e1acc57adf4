"""Large list pages, streamed: ``GET /api/v1/tables?limit=1000000`` answers the page that limit
asks for (OpenMetadata accepts limits up to 1,000,000), read and written :data:`CHUNK` entities
at a time, so that the server's memory does not grow with the limit.

The first chunk is read before the response starts, so that a bad cursor or an unknown parent
is still a 400 or a 404. The chunks are consecutive pages read one after the other, each in a
read of its own: like any two pages, they see the catalog as it is when each is read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import orjson
from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from tessera.api.route_helpers import JSON, render_many
from tessera.auth.permissions import Operation
from tessera.auth.principal import Principal
from tessera.catalog.kinds import Kind
from tessera.catalog.models import Include, ParentScope
from tessera.container import Container
from tessera.storage.repository import EntityRow, Page, encode_cursor

CHUNK = 1_000


async def stream_page(
    request: Request,
    container: Container,
    principal: Principal,
    kind: Kind,
    *,
    filters: Mapping[ParentScope, str],
    include: Include,
    limit: int,
    after: str | None,
    wanted: frozenset[str] | None,
) -> StreamingResponse:
    def read(cursor: str | None, size: int) -> Page:
        return container.catalog.page(kind, filters=filters, include=include, limit=size, after=cursor)

    first = await run_in_threadpool(read, after, min(limit, CHUNK))
    each = container.authorizer.scope(principal, Operation.VIEW_ALL, kind.type) == "each"

    def shown(rows: list[EntityRow]) -> list[EntityRow]:
        if not each:
            return rows
        return [
            r for r in rows if container.authorizer.allows(principal, Operation.VIEW_ALL, kind.type, r.doc)
        ]

    async def body() -> AsyncIterator[bytes]:
        page, remaining, written = first, limit, 0
        yield b'{"data":['
        while True:
            # A chunk is rendered at once (relation fields, inherited owners and table data read
            # for the whole chunk), off the event loop as its page was read.
            docs = [row.doc for row in shown(page.rows)]
            rendered = await run_in_threadpool(render_many, container, request, kind, docs, wanted)
            for doc in rendered:
                yield (b"," if written else b"") + orjson.dumps(doc)
                written += 1
            remaining -= len(page.rows)
            if page.after is None or remaining <= 0:
                break
            page = await run_in_threadpool(read, page.after, min(remaining, CHUNK))
        yield b'],"paging":' + orjson.dumps(_paging(first, page, after)) + b"}"

    return StreamingResponse(body(), media_type=JSON)


def _paging(first: Page, last: Page, after: str | None) -> dict[str, Any]:
    paging: dict[str, Any] = {"total": first.total}
    if after is not None and first.rows:
        paging["before"] = encode_cursor(first.rows[0])
    if last.after is not None:
        paging["after"] = last.after
    return paging
