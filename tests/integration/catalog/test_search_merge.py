"""A search of whole kinds that spans several of them (``index=all``, ``dataAsset``) or both
deleted flags merges the first rows of each kind's own sort index (storage.search_walk). On
SQLite, PostgreSQL and MariaDB, in every sort order and direction, its pages by search_after and
by offset are the documents of every kind in scope sorted together, each exactly once, ties
broken by id as a single index would."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tessera.catalog.kinds import ALL
from tessera.storage.search_query import And, MatchAll, Query, Search, SortField, Term
from tests.integration.catalog.helpers import SCHEMA, columns, make_hierarchy, ok

SEARCHED = tuple(kind.type for kind in ALL if kind.search_index)
# Names that sort among, and collide with, the built-in users, teams, roles and policies.
NAMES = ["Organization", "DataConsumer", "admin", "a0", "zz", "ingestion-bot", "M", "m", "Z9"] + [
    f"t{i:02d}" for i in range(12)
]
DELETED = {"a0", "t03", "t07", "Organization"}


def _deleted_flag(deleted: bool) -> Query:
    return Term("deleted", ("true" if deleted else "false",))


def _catalog(client: TestClient) -> Any:
    return client.app.state.container.catalog  # type: ignore[attr-defined]


def _one_index(client: TestClient, kind: str, deleted: bool, sort: SortField) -> list[tuple[Any, str]]:
    """(sort key, id) of every document of one kind and deleted flag: one index walk each, not
    the merge under test."""
    search = Search(_deleted_flag(deleted), (kind,), sort=sort, descending=False, size=10_000)
    result, _found = _catalog(client).search(search)
    return [(hit.sort[-2], hit.entity_id) for hit in result.hits]


def _pages(client: TestClient, search: Search, size: int) -> list[tuple[Any, str]]:
    seen: list[tuple[Any, str]] = []
    after: tuple[str, ...] | None = None
    while True:
        page = replace(search, size=size, search_after=after)
        result, _found = _catalog(client).search(page)
        if not result.hits:
            return seen
        seen += [(hit.sort[-2], hit.entity_id) for hit in result.hits]
        after = tuple(str(value) for value in result.hits[-1].sort)


@pytest.fixture
def catalog(client: TestClient) -> TestClient:
    make_hierarchy(client)
    rows = [{"name": name, "databaseSchema": SCHEMA, "columns": columns("id")} for name in NAMES]
    assert ok(client.put("/api/v1/tables/bulk?async=false", json=rows))["numberOfRowsFailed"] == 0
    for name in DELETED:
        table = ok(client.get(f"/api/v1/tables/name/{SCHEMA}.{name}"))
        ok(client.delete(f"/api/v1/tables/{table['id']}"))
    return client


@pytest.mark.parametrize("sort", ["name", "fqn", "updated_at", "_score"])
@pytest.mark.parametrize("descending", [False, True])
def test_pages_of_several_kinds_are_their_indexes_merged(
    catalog: TestClient, sort: SortField, descending: bool
) -> None:
    # Relevance without a text is name order, ascending whatever the direction.
    key: SortField = "name" if sort == "_score" else sort
    reverse = descending and sort != "_score"
    scopes: list[tuple[Query, tuple[str, ...] | None, list[tuple[str, bool]]]] = [
        (_deleted_flag(False), None, [(kind, False) for kind in SEARCHED]),
        (_deleted_flag(True), SEARCHED, [(kind, True) for kind in SEARCHED]),
        (_deleted_flag(False), ("table", "user"), [("table", False), ("user", False)]),
        (MatchAll(), ("table",), [("table", False), ("table", True)]),
        (MatchAll(), None, [(kind, flag) for kind in SEARCHED for flag in (False, True)]),
    ]
    for query, kinds, indexes in scopes:
        expected = sorted(
            (entry for kind, flag in indexes for entry in _one_index(catalog, kind, flag, key)),
            reverse=reverse,
        )
        assert len({entity_id for _key, entity_id in expected}) == len(expected)
        search = Search(query, kinds, sort=sort, descending=descending)
        assert _pages(catalog, search, 4) == expected, (query, kinds)
        result, _found = _catalog(catalog).search(
            Search(query, kinds, sort=sort, descending=descending, offset=5, size=9)
        )
        assert [(hit.sort[-2], hit.entity_id) for hit in result.hits] == expected[5:14]
        assert (result.total, result.exact) == (len(expected), True)
    # The scopes above are what they claim: the deleted tables are their own index's.
    assert sorted(name for name, _id in _one_index(catalog, "table", True, "name")) == sorted(DELETED)


def test_index_all_and_data_assets_sort_every_kind_together(catalog: TestClient) -> None:
    assets = ("table", "storedProcedure", "database", "databaseSchema", "databaseService")
    for index, kinds in (("all", SEARCHED), ("dataAsset", assets)):
        expected = sorted(entry for kind in kinds for entry in _one_index(catalog, kind, False, "name"))
        seen: list[str] = []
        after: list[str] = []
        while True:
            params: dict[str, Any] = {"index": index, "q": "*", "size": 5, "sort_field": "name"}
            params["sort_order"] = "asc"
            if after:
                params["search_after"] = after
            hits = ok(catalog.get("/api/v1/search/query", params=params))["hits"]["hits"]
            if not hits:
                break
            seen += [hit["_source"]["name"] for hit in hits]
            after = [str(value) for value in hits[-1]["sort"]]
        assert seen == [name for name, _id in expected], index


def test_both_deleted_flags_at_once_match_nothing(catalog: TestClient) -> None:
    query = And((Term("deleted", ("false",)), Term("deleted", ("true",))))
    result, _found = _catalog(catalog).search(Search(query, None, sort="name"))
    assert (result.total, result.hits) == (0, [])
    both = '{"query": {"term": {"deleted": true}}}'
    body = ok(catalog.get("/api/v1/search/query", params={"index": "all", "q": "*", "query_filter": both}))
    assert body["hits"]["total"]["value"] == 0
