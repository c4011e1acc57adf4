"""/api/v1/search: OpenMetadata's search endpoints over the database's own full-text index.

Responses have the Elasticsearch shape OpenMetadata's clients parse
(``hits.total.value``, ``hits.hits[]._source``).

Search shows only what the caller may view (deny wins, as on every other route): kinds the
caller may not view at all are left out of the query, and where a conditional rule (``isOwner()``
and the like) decides per entity, each hit is asked about. ``hits.total`` counts what the caller
may see, never the hidden documents; when per-entity decisions apply to more than
:data:`FILTER_WINDOW` matches, only that many are looked at and the total says ``"gte"``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

import orjson
from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from tessera.api.deps import ContainerDep, PrincipalDep, authorize
from tessera.api.route_helpers import json_response, render
from tessera.auth.permissions import Operation, Scope
from tessera.auth.principal import Principal
from tessera.catalog.kinds import ALL, Kind, by_type
from tessera.container import Container
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
# Matches read to decide per entity who may see them (see the module docstring).
FILTER_WINDOW = 10_000


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


def _filters(query_filter: str | None) -> tuple[list[str], list[str], list[str]]:
    """From an Elasticsearch-style query_filter: (entity types, services, query_string queries)."""
    if not query_filter:
        return [], [], []
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
    return types, services, _query_strings(parsed)


def _query_strings(node: Any) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "query_string" and isinstance(value, dict) and isinstance(value.get("query"), str):
                found.append(value["query"])
            else:
                found.extend(_query_strings(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_query_strings(value))
    return found


_OPERATORS = re.compile(r"\S+:\S+|\b(?:AND|OR|NOT)\b")
_FIELD_QUERY = re.compile(r"^\s*([A-Za-z][A-Za-z.]*)\s*:\s*(.+?)\s*$")
_FIELDS = {
    "email": "email",
    "email.keyword": "email",
    "name": "name",
    "name.keyword": "name",
    "fullyQualifiedName": "fullyQualifiedName",
    "fullyQualifiedName.keyword": "fullyQualifiedName",
}


def _field_query(q: str) -> tuple[str, str] | None:
    """``email.keyword:mia@example.com`` style queries, as OpenMetadata's SDK sends them."""
    match = _FIELD_QUERY.match(q)
    if match is None or match.group(1) not in _FIELDS:
        return None
    return _FIELDS[match.group(1)], match.group(2).strip('"')


def _words(text: str) -> set[str]:
    return {word.lower() for word in re.findall(r"[0-9A-Za-z\u00C0-\uFFFF]+", text)}


def _matches_query_string(kind: Kind, doc: dict[str, Any], query: str) -> bool:
    """A small, exact reading of Elasticsearch's query_string: ``words AND field:value``.

    Every word must be a word of the name or display name; a ``field:value`` term must equal
    the field, and never matches an entity that has no such field (as in Elasticsearch).
    """
    names = _words(f"{doc.get('name', '')} {doc.get('displayName') or ''}")
    for term in re.split(r"\s+AND\s+", query.strip()):
        term = term.strip()
        if not term:
            continue
        field_term = _FIELD_QUERY.match(term)
        if field_term is not None and " " not in field_term.group(1):
            field, value = (
                field_term.group(1).removesuffix(".keyword"),
                field_term.group(2).strip('"').lower(),
            )
            if field not in kind.entity_fields:
                return False
            actual = doc.get(field, False if field in ("isBot", "isAdmin", "deleted") else None)
            if str(actual).lower() != value:
                return False
        elif not _words(term) <= names:
            return False
    return True


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


def _hits(total: int, hits: list[dict[str, Any]], relation: str = "eq") -> dict[str, Any]:
    return {
        "took": 0,
        "timed_out": False,
        "hits": {"total": {"value": total, "relation": relation}, "max_score": None, "hits": hits},
    }


@router.get("/query", dependencies=[authorize(Operation.VIEW_ALL, "search")])
async def search_query(
    request: Request,
    container: ContainerDep,
    principal: PrincipalDep,
    q: str = "*",
    index: str = "all",
    from_: int = Query(0, alias="from", ge=0, le=10_000),
    size: int = Query(10, ge=0, le=1000),
    deleted: bool | None = False,
    query_filter: str | None = None,
) -> Response:
    types = _entity_types(index)
    filter_types, services, query_strings = _filters(query_filter)
    if filter_types:
        types = [t for t in filter_types if types is None or t in types]
    visibility = _Visibility(container, principal)
    kinds = visibility.kinds(types if types is not None else list(INDEXES.values()))
    field_query = _field_query(q)
    if field_query is not None or query_strings:
        rows = await run_in_threadpool(
            _exact_search, container, visibility, kinds, field_query, query_strings, services, deleted
        )
        window = rows[from_ : from_ + size]
        return json_response(_hits(len(rows), [_hit(container, request, kind, doc) for kind, doc in window]))
    search = functools.partial(
        container.catalog.search, q, entity_types=kinds, services=services or None, deleted=deleted
    )
    relation = "eq"
    if not visibility.per_entity(kinds):
        # Whole kinds in or out: the database counts and pages exactly what the caller may see.
        total, found = await run_in_threadpool(search, offset=from_, size=size)
    else:
        matched, candidates = await run_in_threadpool(search, offset=0, size=FILTER_WINDOW)
        visible = [hit for hit in candidates if visibility.shows(hit.entity_type, hit.doc)]
        total, found = len(visible), visible[from_ : from_ + size]
        relation = "eq" if matched <= FILTER_WINDOW else "gte"
    hits = [_hit(container, request, by_type(hit.entity_type), hit.doc) for hit in found]
    return json_response(_hits(total, hits, relation))


# What OpenMetadata's user and team indexes hold beyond an entity's default fields.
_SOURCE_FIELDS: dict[str, frozenset[str]] = {
    "user": frozenset({"teams", "roles"}),
    "team": frozenset({"parents"}),
}


def _hit(container: Container, request: Request, kind: Kind, doc: dict[str, Any]) -> dict[str, Any]:
    source = render(container, request, kind, doc, _SOURCE_FIELDS.get(kind.type))
    source["entityType"] = kind.type
    return {"_index": kind.search_index, "_id": doc["id"], "_score": None, "_source": source}


def _exact_search(
    container: Container,
    visibility: _Visibility,
    types: list[str],
    field_query: tuple[str, str] | None,
    query_strings: list[str],
    services: list[str],
    deleted: bool | None,
) -> list[tuple[Kind, dict[str, Any]]]:
    found: list[tuple[Kind, dict[str, Any]]] = []
    for kind in (by_type(t) for t in types):
        if field_query is not None:
            field, value = field_query
            if field == "email" and kind.type not in ("user", "team"):
                continue
            docs = container.catalog.find_by_field(kind, field, value, deleted=deleted)
        else:
            # The words to look up: field terms and the operators between terms are no words.
            words = " ".join(" ".join(_words(_OPERATORS.sub(" ", query))) for query in query_strings)
            _, rows = container.catalog.search(
                words or "*", entity_types=[kind.type], services=None, deleted=deleted, offset=0, size=1000
            )
            docs = [row.doc for row in rows]
        for doc in docs:
            if services and (doc.get("service") or {}).get("name") not in services:
                continue
            if not all(_matches_query_string(kind, doc, query) for query in query_strings):
                continue
            if visibility.shows(kind.type, doc):
                found.append((kind, doc))
    return found


@router.get("/fieldQuery", dependencies=[authorize(Operation.VIEW_ALL, "search")])
async def field_query(
    request: Request,
    container: ContainerDep,
    principal: PrincipalDep,
    fieldName: str,
    fieldValue: str,
    index: str = "table_search_index",
    from_: int = Query(0, alias="from", ge=0),
    size: int = Query(10, ge=0, le=1000),
    deleted: bool = False,
) -> Response:
    visibility = _Visibility(container, principal)
    types = visibility.kinds(_entity_types(index) or list(_DATA_ASSETS))
    if fieldName not in ("fullyQualifiedName", "name", "fullyQualifiedName.keyword", "name.keyword"):
        raise BadRequest(f"fieldQuery on {fieldName!r} is not supported; use fullyQualifiedName or name")
    field = fieldName.removesuffix(".keyword")

    def lookup() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for entity_type in types:
            kind = by_type(entity_type)
            if field == "fullyQualifiedName" and "*" not in fieldValue:
                doc = container.catalog.find_by_name(kind, fieldValue)
                docs = [doc] if doc is not None and bool(doc.get("deleted")) == deleted else []
            else:
                docs = container.catalog.find_by_field(kind, field, fieldValue, deleted=deleted)
            found.extend(
                _hit(container, request, kind, doc) for doc in docs if visibility.shows(kind.type, doc)
            )
        return found

    hits = await run_in_threadpool(lookup)
    window = hits[from_ : from_ + size]
    return json_response(_hits(len(hits), window))
