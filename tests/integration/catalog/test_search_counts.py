"""search_term_count stays exact through every kind of write, on SQLite, PostgreSQL and MariaDB:
create, update, PATCH, soft delete, restore, hard delete, bulk PUT, a tag renamed under its
labels. Facets of whole kinds and the totals of one term, which read it, give OpenSearch's
exact answers; a dense one-term filter sorted by FQN pages through every match once, in order,
as a sparse one does."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tessera.storage.search_query import And, Search, Term
from tests.integration.catalog.helpers import SCHEMA, columns, make_hierarchy, ok, put_table
from tests.integration.search_counts import assert_counts_exact

_FACETS = {
    "tier": {"terms": {"field": "tier.tagFQN"}},
    "tags": {"terms": {"field": "tags.tagFQN"}},
    "owners": {"terms": {"field": "owners.name"}},
    "types": {"terms": {"field": "entityType"}},
    "deleted": {"terms": {"field": "deleted"}},
}


def label(fqn: str) -> dict[str, Any]:
    return {"tagFQN": fqn, "source": "Classification", "labelType": "Manual", "state": "Confirmed"}


def facets(client: TestClient, **params: Any) -> dict[str, dict[str, int]]:
    body = ok(
        client.get(
            "/api/v1/search/query",
            params={
                "index": "table_search_index",
                "q": "*",
                "size": 0,
                "query_filter": json.dumps({"aggs": _FACETS}),
                **params,
            },
        )
    )
    return {
        name.split("#", 1)[1]: {b["key"]: b["doc_count"] for b in agg["buckets"]}
        for name, agg in body["aggregations"].items()
    }


def tier_search(client: TestClient, tier: str, **params: Any) -> dict[str, Any]:
    return ok(
        client.get(
            "/api/v1/search/query",
            params={
                "index": "table_search_index",
                "q": "*",
                "size": 10,
                "query_filter": json.dumps({"query": {"term": {"tier.tagFQN": tier}}}),
                **params,
            },
        )
    )


def test_counts_stay_exact_through_every_write(client: TestClient, database_url: str) -> None:
    make_hierarchy(client)
    ada = ok(client.put("/api/v1/users", json={"name": "ada", "email": "ada@example.com"}), 201)
    owner = [{"id": ada["id"], "type": "user"}]
    orders = ok(put_table(client, "orders", "id", tags=[label("Tier.Tier1")], owners=owner), 201)
    ok(put_table(client, "items", "id", tags=[label("Tier.Tier1"), label("PII.Sensitive")]), 201)
    ok(put_table(client, "notes", "id"), 201)
    assert_counts_exact(database_url)
    assert facets(client) == {
        "tier": {"Tier.Tier1": 2},
        "tags": {"Tier.Tier1": 2, "PII.Sensitive": 1},
        "owners": {"ada": 1},
        "types": {"table": 3},
        "deleted": {"false": 3},
    }

    # An update moves a table between values; a PATCH too.
    ok(put_table(client, "items", "id", tags=[label("Tier.Tier2")]))
    patch = [{"op": "add", "path": "/tags", "value": [label("Tier.Tier2")]}]
    ok(client.patch(f"/api/v1/tables/{orders['id']}", json=patch))
    assert_counts_exact(database_url)
    assert facets(client)["tier"] == {"Tier.Tier2": 2}

    # Soft delete: out of the default (deleted=false) facets, into deleted=true's; restore.
    ok(client.delete(f"/api/v1/tables/{orders['id']}"))
    assert_counts_exact(database_url)
    assert facets(client)["tier"] == {"Tier.Tier2": 1}
    assert facets(client, deleted="true")["tier"] == {"Tier.Tier2": 1}
    assert facets(client, deleted="true")["deleted"] == {"true": 1}
    ok(client.put("/api/v1/tables/restore", json={"id": orders["id"]}))
    assert_counts_exact(database_url)
    assert facets(client)["tier"] == {"Tier.Tier2": 2}

    # A tag renamed: the listener reindexes the tables that carry it.
    pii = ok(client.get("/api/v1/tags/name/PII.Sensitive"))
    ok(put_table(client, "people", "id", tags=[label("PII.Sensitive")]), 201)
    rename = [{"op": "replace", "path": "/name", "value": "Private"}]
    ok(client.patch(f"/api/v1/tags/{pii['id']}", json=rename))
    assert_counts_exact(database_url)
    assert facets(client)["tags"] == {"Tier.Tier2": 2, "PII.Private": 1}

    # Bulk PUT of new and existing tables, then hard deletes: of a table, of the whole service.
    rows = [
        {
            "name": f"bulk_{i}",
            "databaseSchema": SCHEMA,
            "columns": columns("id"),
            "tags": [label("Tier.Tier3")],
        }
        for i in range(30)
    ]
    rows.append(
        {"name": "notes", "databaseSchema": SCHEMA, "columns": columns("id"), "tags": [label("Tier.Tier3")]}
    )
    result = ok(client.put("/api/v1/tables/bulk?async=false", json=rows))
    assert result["numberOfRowsFailed"] == 0
    assert_counts_exact(database_url)
    assert facets(client)["tier"] == {"Tier.Tier3": 31, "Tier.Tier2": 2}
    ok(client.delete(f"/api/v1/tables/{orders['id']}?hardDelete=true"))
    assert_counts_exact(database_url)
    assert facets(client)["types"] == {"table": 33}
    service = ok(client.get("/api/v1/services/databaseServices/name/" + SCHEMA.split(".")[0]))
    ok(client.delete(f"/api/v1/services/databaseServices/{service['id']}?recursive=true&hardDelete=true"))
    stored = assert_counts_exact(database_url)
    assert not any(kind == "table" for _field, kind, _deleted, _value in stored)
    assert facets(client)["types"] == {}


@pytest.mark.parametrize("descending", [False, True])
def test_one_term_totals_are_exact_and_pages_walk_every_match_in_order(
    client: TestClient, descending: bool
) -> None:
    make_hierarchy(client)

    # Tier1 on every third table (dense: its pages walk the FQN index); Tier2 on seven tables
    # at the end of the FQN order (dense, but a walk from the start finds none in its first
    # window); Tier3 on one in 150 (sparse: its matches are sorted).
    def tier(i: int) -> str | None:
        if i % 3 == 0:
            return "Tier.Tier1"
        return "Tier.Tier2" if i >= 140 else "Tier.Tier3" if i == 77 else None

    rows = [
        {
            "name": f"t{i:03d}",
            "databaseSchema": SCHEMA,
            "columns": columns("id"),
            "tags": [label(name) for name in [tier(i)] if name is not None],
        }
        for i in range(150)
    ]
    assert ok(client.put("/api/v1/tables/bulk?async=false", json=rows))["numberOfRowsFailed"] == 0
    order = "desc" if descending else "asc"
    for wanted in ("Tier.Tier1", "Tier.Tier2", "Tier.Tier3"):
        expected = sorted((f"t{i:03d}" for i in range(150) if tier(i) == wanted), reverse=descending)
        body = tier_search(client, wanted, track_total_hits="true")
        assert body["hits"]["total"] == {"value": len(expected), "relation": "eq"}
        for sort in ({"sort_field": "fullyQualifiedName", "sort_order": order}, {}):
            seen: list[str] = []
            after: list[str] = []
            while True:
                extra = {"search_after": after} if after else {}
                page = tier_search(client, wanted, size=3, **sort, **extra)
                hits = page["hits"]["hits"]
                if not hits:
                    break
                seen += [hit["_source"]["name"] for hit in hits]
                after = [str(value) for value in hits[-1]["sort"]]
            # Without a sort field: relevance, which is name order when every match scores alike.
            assert seen == (expected if sort else sorted(expected))
    # Beyond track_total_hits the total is a lower bound, as in OpenSearch.
    container = client.app.state.container  # type: ignore[attr-defined]
    tier1 = And((Term("tier.tagFQN", ("Tier.Tier1",)), Term("deleted", ("false",))))
    capped, _ = container.catalog.search(Search(tier1, ("table",), sort="fqn", count_up_to=20))
    assert (capped.total, capped.exact) == (20, False)
    exact, _ = container.catalog.search(Search(tier1, ("table",), sort="fqn", count_up_to=50))
    assert (exact.total, exact.exact) == (50, True)
    # Deleted tables are counted only when asked for.
    first = ok(client.get(f"/api/v1/tables/name/{SCHEMA}.t000"))
    ok(client.delete(f"/api/v1/tables/{first['id']}"))
    assert tier_search(client, "Tier.Tier1")["hits"]["total"]["value"] == 49
    assert tier_search(client, "Tier.Tier1", deleted="true")["hits"]["total"]["value"] == 1
