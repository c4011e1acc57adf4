"""Names and FQNs as search finds them, on SQLite (tokens of search_key, tessera.storage.search_keys)
and on PostgreSQL and MariaDB (rows of search_term) alike: terms, wildcards with and without a
literal beginning or end, ranges, exists, facets, case folding beyond ASCII."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.integration.catalog.helpers import SCHEMA, make_hierarchy, ok, put_table

NAMES = ("orders", "Order_Items", "Été_2024", "customer orders", "invoices")


def _found(client: TestClient, query: dict[str, Any]) -> list[str]:
    params = {
        "index": "table_search_index",
        "q": "*",
        "size": 50,
        "query_filter": json.dumps({"query": query}),
    }
    body = ok(client.get("/api/v1/search/query", params=params))
    return sorted(hit["_source"]["name"] for hit in body["hits"]["hits"])


def _facet(client: TestClient, field: str, q: str = "*") -> dict[str, int]:
    aggs = json.dumps({"aggs": {"f": {"terms": {"field": field, "size": 50}}}})
    params = {"index": "table_search_index", "q": q, "size": 0, "query_filter": aggs}
    body = ok(client.get("/api/v1/search/query", params=params))
    return {bucket["key"]: bucket["doc_count"] for bucket in body["aggregations"]["sterms#f"]["buckets"]}


def test_names_and_fqns_are_found_every_way(client: TestClient, database_url: str) -> None:
    make_hierarchy(client)
    for name in NAMES:
        ok(put_table(client, name), 201)
    fqn = {
        name: ok(client.get("/api/v1/tables/name/" + f"{SCHEMA}.{name}"))["fullyQualifiedName"]
        for name in NAMES
    }
    if database_url.startswith("sqlite"):
        engine = sa.create_engine(database_url)
        try:
            with engine.connect() as conn:
                rows = conn.exec_driver_sql(
                    "SELECT COUNT(*) FROM search_term WHERE field IN "
                    "('name', 'name.keyword', 'fullyQualifiedName', 'fullyQualifiedName.reversed')"
                ).scalar_one()
        finally:
            engine.dispose()
        assert rows == 0

    # Terms: a word of the name (any case), the exact name, the FQN in any case.
    assert _found(client, {"term": {"name": "ORDERS"}}) == ["customer orders", "orders"]
    assert _found(client, {"match": {"name": "customer orders"}}) == ["customer orders", "orders"]
    assert _found(client, {"term": {"name.keyword": "Order_Items"}}) == ["Order_Items"]
    assert _found(client, {"term": {"name.keyword": "order_items"}}) == []
    assert _found(client, {"term": {"fullyQualifiedName": fqn["Order_Items"].upper()}}) == ["Order_Items"]
    assert _found(client, {"term": {"fullyQualifiedName": fqn["Été_2024"].lower()}}) == ["Été_2024"]
    assert _found(client, {"terms": {"name.keyword": ["orders", "invoices", "nope"]}}) == [
        "invoices",
        "orders",
    ]

    # Wildcards: a literal beginning, a literal end, both, neither.
    assert _found(client, {"wildcard": {"name.keyword": "Order*"}}) == ["Order_Items"]
    assert _found(client, {"wildcard": {"name": "ord*"}}) == ["Order_Items", "customer orders", "orders"]
    assert _found(client, {"wildcard": {"name": "*ices"}}) == ["invoices"]
    assert _found(client, {"wildcard": {"fullyQualifiedName": f"{SCHEMA}.ORD*"}}) == ["Order_Items", "orders"]
    assert _found(client, {"wildcard": {"fullyQualifiedName": "*.orders"}}) == ["orders"]
    assert _found(client, {"wildcard": {"fullyQualifiedName": "*ÉTÉ_2024"}}) == ["Été_2024"]
    service = SCHEMA.split(".")[0]
    assert _found(client, {"wildcard": {"fullyQualifiedName": f"{service}.*.*items"}}) == ["Order_Items"]
    assert _found(client, {"wildcard": {"fullyQualifiedName": "*voic?s"}}) == ["invoices"]
    assert _found(client, {"wildcard": {"name.keyword": "*r*"}}) == [
        "Order_Items",
        "customer orders",
        "orders",
    ]
    assert _found(client, {"prefix": {"name.keyword": "in"}}) == ["invoices"]

    # Ranges, exists.
    assert _found(client, {"range": {"name.keyword": {"gte": "i", "lt": "p"}}}) == ["invoices", "orders"]
    assert _found(client, {"range": {"name": {"gt": "customer", "lte": "items"}}}) == [
        "Order_Items",
        "invoices",
    ]
    # Compared as code points: "é" comes after "o".
    assert _found(client, {"range": {"fullyQualifiedName": {"gte": f"{SCHEMA}.o".lower()}}}) == [
        "Order_Items",
        "orders",
        "Été_2024",
    ]
    assert _found(client, {"exists": {"field": "fullyQualifiedName"}}) == sorted(NAMES)
    assert _found(client, {"bool": {"must_not": [{"exists": {"field": "name"}}]}}) == []

    # Facets, of the whole kind and of a filtered search.
    assert _facet(client, "name.keyword") == dict.fromkeys(NAMES, 1)
    assert _facet(client, "fullyQualifiedName", q="orders") == {
        fqn["orders"].lower(): 1,
        fqn["customer orders"].lower(): 1,
    }
