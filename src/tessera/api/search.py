"""/api/v1/search: OpenMetadata's search endpoints over the database's own full-text index.

Responses have the Elasticsearch shape OpenMetadata's clients parse
(``hits.total.value``, ``hits.hits[]._source``).
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from tessera.api.deps import ContainerDep, authorize
from tessera.api.entities import json_response, render
from tessera.auth.permissions import Operation
from tessera.catalog import fqn as fqns
from tessera.catalog.kinds import ALL, by_type
from tessera.errors import BadRequest

router = APIRouter(prefix="/api/v1/search", tags=["search"])

INDEXES: dict[str, str] = {kind.search_index: kind.type for kind in ALL if kind.search_index}
# Aliases OpenMetadata accepts for its indexes.
ALIASES: dict[str, str] = {kind.type: kind.search_index for kind in ALL if kind.search_index}
_DATA_ASSETS = ("table", "storedProcedure", "database", "databaseSchema", "databaseService")
# query_filter term fields we understand, and what they filter on.
_SERVICE_FIELDS = {
    "service.name",
    "service.name.keyword",
    "service.displayName.keyword",
    "service.fullyQualifiedName",
}
_TYPE_FIELDS = {"entityType", "entityType.keyword"}


def _entity_types(index: str) -> list[str] | None:
    if index in ("all", "dataAsset", "*", ""):
        return list(_DATA_ASSETS) if index == "dataAsset" else None
    types = []
    for name in index.split(","):
        name = ALIASES.get(name.strip(), name.strip())
        if name not in INDEXES:
            known = ", ".join(sorted(INDEXES))
            raise BadRequest(f"Unknown search index {name!r}; use one of: all, dataAsset, {known}")
        types.append(INDEXES[name])
    return types


def _filters(query_filter: str | None) -> tuple[list[str], list[str]]:
    """Term filters from an Elasticsearch-style query_filter: (entity types, services)."""
    if not query_filter:
        return [], []
    try:
        parsed = orjson.loads(query_filter)
    except orjson.JSONDecodeError:
        raise BadRequest("query_filter is not valid JSON") from None
    types: list[str] = []
    services: list[str] = []
    for field, value in _terms(parsed):
        if field in _SERVICE_FIELDS:
            services.append(value)
        elif field in _TYPE_FIELDS:
            types.append(value)
        else:
            raise BadRequest(
                f"query_filter field {field!r} is not supported; filter on entityType or service.name.keyword"
            )
    return types, services


def _terms(node: Any) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("term", "match") and isinstance(value, dict):
                for field, term in value.items():
                    term = term.get("value", term.get("query")) if isinstance(term, dict) else term
                    found.append((field, str(term)))
            elif key == "terms" and isinstance(value, dict):
                for field, terms in value.items():
                    found.extend(
                        (field, str(term)) for term in (terms if isinstance(terms, list) else [terms])
                    )
            else:
                found.extend(_terms(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_terms(value))
    return found


def _hits(total: int, hits: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "took": 0,
        "timed_out": False,
        "hits": {"total": {"value": total, "relation": "eq"}, "max_score": None, "hits": hits},
    }


@router.get("/query", dependencies=[authorize(Operation.VIEW_ALL, "search")])
async def search_query(
    request: Request,
    container: ContainerDep,
    q: str = "*",
    index: str = "all",
    from_: int = Query(0, alias="from", ge=0, le=10_000),
    size: int = Query(10, ge=0, le=1000),
    deleted: bool | None = False,
    query_filter: str | None = None,
) -> Response:
    types = _entity_types(index)
    filter_types, services = _filters(query_filter)
    if filter_types:
        types = [t for t in filter_types if types is None or t in types]
    total, rows = await run_in_threadpool(
        container.catalog.search,
        q,
        entity_types=types,
        services=services or None,
        deleted=deleted,
        offset=from_,
        size=size,
    )
    hits = []
    for row in rows:
        kind = by_type(row.entity_type)
        source = render(container, request, kind, row.doc, None)
        source["entityType"] = row.entity_type
        hits.append({"_index": kind.search_index, "_id": row.id, "_score": None, "_source": source})
    return json_response(_hits(total, hits))


@router.get("/fieldQuery", dependencies=[authorize(Operation.VIEW_ALL, "search")])
async def field_query(
    request: Request,
    container: ContainerDep,
    fieldName: str,
    fieldValue: str,
    index: str = "table_search_index",
    from_: int = Query(0, alias="from", ge=0),
    size: int = Query(10, ge=0, le=1000),
    deleted: bool = False,
) -> Response:
    types = _entity_types(index) or list(_DATA_ASSETS)
    if fieldName not in ("fullyQualifiedName", "name", "fullyQualifiedName.keyword", "name.keyword"):
        raise BadRequest(f"fieldQuery on {fieldName!r} is not supported; use fullyQualifiedName or name")
    hits = []
    if fieldName.startswith("fullyQualifiedName"):
        for entity_type in types:
            kind = by_type(entity_type)
            doc = await run_in_threadpool(container.catalog.find_by_name, kind, fieldValue)
            if doc is not None and bool(doc.get("deleted")) == deleted:
                source = render(container, request, kind, doc, None)
                source["entityType"] = entity_type
                hits.append(
                    {"_index": kind.search_index, "_id": doc["id"], "_score": None, "_source": source}
                )
    else:
        _, rows = await run_in_threadpool(
            container.catalog.search,
            fqns.quote(fieldValue),
            entity_types=types,
            services=None,
            deleted=deleted,
            offset=0,
            size=1000,
        )
        for row in rows:
            if row.name == fieldValue:
                kind = by_type(row.entity_type)
                source = render(container, request, kind, row.doc, None)
                source["entityType"] = row.entity_type
                hits.append({"_index": kind.search_index, "_id": row.id, "_score": None, "_source": source})
    window = hits[from_ : from_ + size]
    return json_response(_hits(len(hits), window))
