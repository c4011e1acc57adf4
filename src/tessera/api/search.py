"""/api/v1/search: OpenMetadata's search endpoints over the database's own full-text index.

Responses have the OpenSearch shape OpenMetadata's clients parse (``hits.total.value``,
``hits.hits[]._source``, ``_score``, ``sort``; ``aggregations`` with OpenSearch's typed keys,
``sterms#<name>``, as OpenMetadata's server returns them). ``q`` is Lucene's query-string
syntax and ``query_filter`` OpenSearch's query DSL (:mod:`tessera.catalog.search_parser`);
the store answers both (:mod:`tessera.storage.search_engine`).

Search shows only what the caller may view (deny wins, as on every other route): kinds the
caller may not view at all are left out of the query, and where a conditional rule (``isOwner()``
and the like) decides per entity, each hit is asked about. ``hits.total`` counts what the caller
may see, never the hidden documents; when per-entity decisions apply to more than
:data:`FILTER_WINDOW` matches, only that many are looked at and the total says ``"gte"``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from tessera.api.deps import ContainerDep, PrincipalDep, authorize
from tessera.api.route_helpers import json_response, render
from tessera.auth.permissions import Operation, Scope
from tessera.auth.principal import Principal
from tessera.catalog.kinds import ALL, Kind, by_type
from tessera.catalog.models import Found
from tessera.catalog.search_documents import search_document
from tessera.catalog.search_parser import (
    parse_aggregations,
    parse_field_query,
    parse_filter,
    parse_query_string,
)
from tessera.container import Container
from tessera.errors import BadRequest
from tessera.storage.search_engine import Hit, Result
from tessera.storage.search_facets import Buckets
from tessera.storage.search_query import (
    COLUMN_FIELDS,
    SORT_FIELDS,
    Aggregation,
    Search,
    Term,
    Wildcard,
    conjunction,
    field_kind,
    stored_field,
)
from tessera.storage.search_query import Query as SearchQuery

router = APIRouter(prefix="/api/v1/search", tags=["search"])

INDEXES: dict[str, str] = {kind.search_index: kind.type for kind in ALL if kind.search_index}
# Aliases OpenMetadata accepts for its indexes: the entity type, and the index name without
# "_search_index" (as its client's ES_INDEX_MAP and the UI name them).
ALIASES: dict[str, str] = {
    **{kind.type: kind.search_index for kind in ALL if kind.search_index},
    **{
        kind.search_index.removesuffix("_search_index"): kind.search_index
        for kind in ALL
        if kind.search_index
    },
}
_DATA_ASSETS = ("table", "storedProcedure", "database", "databaseSchema", "databaseService")
# Matches read to decide per entity who may see them (see the module docstring).
FILTER_WINDOW = 10_000
# OpenSearch's index.max_result_window: from + size beyond it is refused there too.
MAX_RESULT_WINDOW = 10_000


class _Visibility:
    """What of the search index one caller may view: per kind, and per document where needed.

    Decisions are in memory (the authorizer caches roles and policies): no query per hit.
    """

    def __init__(self, container: Container, principal: Principal) -> None:
        self._authorizer = container.authorizer
        self._principal = principal
        self._scopes: dict[str, Scope] = {}

    def scope(self, entity_type: str) -> Scope:
        scope = self._scopes.get(entity_type)
        if scope is None:
            scope = self._authorizer.scope(self._principal, Operation.VIEW_ALL, entity_type)
            self._scopes[entity_type] = scope
        return scope

    def kinds(self, entity_types: Sequence[str]) -> list[str]:
        """The kinds of which the caller may view something."""
        return [t for t in entity_types if self.scope(t) != "none"]

    def per_entity(self, entity_types: Sequence[str]) -> bool:
        return any(self.scope(t) == "each" for t in entity_types)

    def shows(self, entity_type: str, doc: dict[str, Any]) -> bool:
        scope = self.scope(entity_type)
        if scope != "each":
            return scope == "all"
        return self._authorizer.allows(self._principal, Operation.VIEW_ALL, entity_type, doc)


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


def _kinds(visibility: _Visibility, index: str) -> tuple[str, ...] | None:
    """The kinds to search (None: every searchable kind, with no filter on the kind)."""
    wanted = _entity_types(index)
    every = list(INDEXES.values())
    visible = visibility.kinds(wanted if wanted is not None else every)
    if wanted is None and len(visible) == len(every):
        return None
    return tuple(visible)


def _sort(sort_field: str | None, sort_order: str) -> tuple[Any, bool]:
    if sort_order.lower() not in ("asc", "desc"):
        raise BadRequest(f"sort_order must be asc or desc, not {sort_order!r}")
    field = sort_field or "_score"
    if field not in SORT_FIELDS:
        known = ", ".join(sorted(SORT_FIELDS))
        raise BadRequest(f"sort_field {field!r} cannot be sorted on; use one of: {known}")
    return SORT_FIELDS[field], sort_order.lower() == "desc"


def _query(q: str, query_filter: str | None, deleted: bool | None) -> tuple[SearchQuery, list[Aggregation]]:
    filter_query, aggregations = parse_filter(query_filter)
    parts = [parse_query_string(q), filter_query]
    if deleted is not None:
        parts.append(Term("deleted", ("true" if deleted else "false",)))
    return conjunction(parts), aggregations


def _run(
    container: Container, visibility: _Visibility, search: Search
) -> tuple[Result, list[tuple[Hit, Found]], str]:
    """The page of hits the caller may see, the total and its relation (eq or gte)."""
    kinds = search.entity_types if search.entity_types is not None else tuple(INDEXES.values())
    if not visibility.per_entity(kinds):
        # Whole kinds in or out: the database counts and pages exactly what the caller may see.
        result, found = container.catalog.search(search)
        return result, found, "eq" if result.exact else "gte"
    wide = Search(
        query=search.query,
        entity_types=search.entity_types,
        sort=search.sort,
        descending=search.descending,
        offset=0,
        size=FILTER_WINDOW,
        search_after=search.search_after,
        count_up_to=FILTER_WINDOW,
    )
    result, candidates = container.catalog.search(wide)
    visible = [(hit, f) for hit, f in candidates if visibility.shows(f.entity_type, f.doc)]
    relation = "eq" if result.exact else "gte"
    page = visible[search.offset : search.offset + search.size]
    # Facets count what the caller may see, like the total: counted here, from the visible hits.
    facets = {agg.name: _facet([f for _, f in visible], agg) for agg in search.aggregations}
    return Result(len(visible), result.exact, [hit for hit, _ in page], facets), page, relation


def _facet(found: list[Found], aggregation: Aggregation) -> Buckets:
    counts: Counter[str] = Counter()
    stored = stored_field(aggregation.field)
    if field_kind(aggregation.field) == "text" and not stored.endswith(".keyword"):
        stored += ".keyword"
    for hit in found:
        deleted = bool(hit.doc.get("deleted"))
        if field_kind(aggregation.field) == "column":
            columns = {"entity_type": hit.entity_type, "deleted": "true" if deleted else "false"}
            value = columns.get(COLUMN_FIELDS[aggregation.field])
            if value is not None:
                counts[value] += 1
            continue
        kind = by_type(hit.entity_type)
        document = search_document(kind, hit.doc["id"], hit.doc["name"], deleted, hit.doc) or {}
        counts.update({term["value"] for term in document.get("terms", ()) if term["field"] == stored})
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    shown = ranked[: aggregation.size]
    return Buckets(shown, sum(n for _, n in ranked[aggregation.size :]))


@router.get("/query", dependencies=[authorize(Operation.VIEW_ALL, "search")])
async def search_query(
    request: Request,
    container: ContainerDep,
    principal: PrincipalDep,
    q: str = "*",
    index: str = "all",
    from_: int = Query(0, alias="from", ge=0, le=MAX_RESULT_WINDOW),
    size: int = Query(10, ge=0, le=MAX_RESULT_WINDOW),
    deleted: bool | None = False,
    query_filter: str | None = None,
    sort_field: str | None = "_score",
    sort_order: str = "desc",
    search_after: list[str] | None = Query(None),
    track_total_hits: bool = False,
    include_source_fields: list[str] | None = Query(None),
    fetch_source: bool = True,
) -> Response:
    if from_ + size > MAX_RESULT_WINDOW:
        raise BadRequest(
            f"from + size may not exceed {MAX_RESULT_WINDOW:,} (as in OpenSearch); "
            "page further with search_after and the sort values of the last hit"
        )
    visibility = _Visibility(container, principal)
    query, aggregations = _query(q, query_filter, deleted)
    sort, descending = _sort(sort_field, sort_order)
    search = Search(
        query=query,
        entity_types=_kinds(visibility, index),
        sort=sort,
        descending=descending,
        offset=from_,
        size=size,
        search_after=tuple(search_after) if search_after else None,
        count_up_to=None if track_total_hits else MAX_RESULT_WINDOW,
        aggregations=tuple(aggregations),
    )
    result, found, relation = await run_in_threadpool(_run, container, visibility, search)
    sources = set(include_source_fields) if include_source_fields else None
    hits = [_hit(container, request, hit, f, sources if fetch_source else set()) for hit, f in found]
    return json_response(_response(result.total, relation, hits, result.aggregations))


@router.get("/aggregate", dependencies=[authorize(Operation.VIEW_ALL, "search")])
async def aggregate(
    container: ContainerDep,
    principal: PrincipalDep,
    field: str,
    index: str = "all",
    q: str = "*",
    value: str | None = None,
    size: int = Query(10, ge=1, le=1000),
    deleted: bool | None = False,
    query_filter: str | None = None,
) -> Response:
    """OpenMetadata's facet counts of one field (``value``: only the keys it begins)."""
    visibility = _Visibility(container, principal)
    query, _ = _query(q, query_filter, deleted)
    (aggregation,) = parse_aggregations({field: {"terms": {"field": field, "size": size}}})
    if value:
        query = conjunction([query, Wildcard(field, f"{value}*")])
    search = Search(query=query, entity_types=_kinds(visibility, index), size=0, aggregations=(aggregation,))
    result, _found, relation = await run_in_threadpool(_run, container, visibility, search)
    return json_response(_response(result.total, relation, [], result.aggregations))


def _response(
    total: int, relation: str, hits: list[dict[str, Any]], aggregations: dict[str, Buckets]
) -> dict[str, Any]:
    scores = [hit["_score"] for hit in hits if hit["_score"] is not None]
    body: dict[str, Any] = {
        "took": 0,
        "timed_out": False,
        "hits": {
            "total": {"value": total, "relation": relation},
            "max_score": max(scores) if scores else None,
            "hits": hits,
        },
    }
    if aggregations:
        body["aggregations"] = {
            f"sterms#{name}": {
                "doc_count_error_upper_bound": 0,
                "sum_other_doc_count": buckets.other,
                "buckets": [{"key": key, "doc_count": n} for key, n in buckets.buckets],
            }
            for name, buckets in aggregations.items()
        }
    return body


def _hit(
    container: Container, request: Request, hit: Hit, found: Found, fields: set[str] | None
) -> dict[str, Any]:
    kind = by_type(found.entity_type)
    source = _source(container, request, kind, found.doc)
    if fields is not None:
        source = {key: value for key, value in source.items() if key in fields}
    return {
        "_index": kind.search_index,
        "_id": found.doc["id"],
        "_score": hit.score,
        "_source": source,
        "sort": hit.sort,
    }


# What OpenMetadata's user and team indexes hold beyond an entity's default fields.
_SOURCE_FIELDS: dict[str, frozenset[str]] = {
    "user": frozenset({"teams", "roles"}),
    "team": frozenset({"parents"}),
}


# Data assets' documents in OpenMetadata's indexes carry their owners and tags (the UI's Explore
# shows them on each hit); inherited owners were added when the hits were read.
_ASSET_FIELDS = frozenset({"owners", "tags"})


def _source(container: Container, request: Request, kind: Kind, doc: dict[str, Any]) -> dict[str, Any]:
    fields = _SOURCE_FIELDS.get(kind.type, _ASSET_FIELDS & kind.entity_fields)
    source = render(container, request, kind, doc, fields or None)
    source["entityType"] = kind.type
    if "tier" not in source:
        # OpenMetadata's search documents carry the Tier label of the tags as a field of its own.
        tier = next((t for t in doc.get("tags") or [] if str(t.get("tagFQN", "")).startswith("Tier.")), None)
        if tier is not None:
            source["tier"] = tier
    return source


@router.get("/fieldQuery", dependencies=[authorize(Operation.VIEW_ALL, "search")])
async def field_query(
    request: Request,
    container: ContainerDep,
    principal: PrincipalDep,
    fieldName: str,
    fieldValue: str,
    index: str = "table_search_index",
    from_: int = Query(0, alias="from", ge=0, le=MAX_RESULT_WINDOW),
    size: int = Query(10, ge=0, le=MAX_RESULT_WINDOW),
    deleted: bool = False,
) -> Response:
    """One field's value (``*`` and ``?`` wildcards allowed), as the client's
    ``es_search_from_fqn`` asks for FQNs such as ``service.*.schema.table``."""
    visibility = _Visibility(container, principal)
    filter_query = parse_field_query(fieldName, fieldValue)
    types = _entity_types(index) or list(_DATA_ASSETS)
    search = Search(
        query=conjunction([filter_query, Term("deleted", ("true" if deleted else "false",))]),
        entity_types=tuple(visibility.kinds(types)),
        sort="name",
        descending=False,
        offset=from_,
        size=size,
    )
    result, found, relation = await run_in_threadpool(_run, container, visibility, search)
    hits = [_hit(container, request, hit, f, None) for hit, f in found]
    return json_response(_response(result.total, relation, hits, {}))
