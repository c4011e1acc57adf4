"""Names and FQNs as search finds them, on SQLite (tokens of search_key, tessera.storage.search_keys)
and on PostgreSQL and MariaDB (rows of search_term) alike: terms, wildcards with and without a
literal beginning or end, ranges, exists, facets, case folding beyond ASCII."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.integration.catalog.helpers import SCHEMA, facet, found, make_hierarchy, ok, put_table

NAMES = ("orders", "Order_Items", "Été_2024", "customer orders", "invoices")


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
    assert found(client, {"term": {"name": "ORDERS"}}) == ["customer orders", "orders"]
    assert found(client, {"match": {"name": "customer orders"}}) == ["customer orders", "orders"]
    assert found(client, {"term": {"name.keyword": "Order_Items"}}) == ["Order_Items"]
    assert found(client, {"term": {"name.keyword": "order_items"}}) == []
    assert found(client, {"term": {"fullyQualifiedName": fqn["Order_Items"].upper()}}) == ["Order_Items"]
    assert found(client, {"term": {"fullyQualifiedName": fqn["Été_2024"].lower()}}) == ["Été_2024"]
    assert found(client, {"terms": {"name.keyword": ["orders", "invoices", "nope"]}}) == [
        "invoices",
        "orders",
    ]

    # Wildcards: a literal beginning, a literal end, both, neither.
    assert found(client, {"wildcard": {"name.keyword": "Order*"}}) == ["Order_Items"]
    assert found(client, {"wildcard": {"name": "ord*"}}) == ["Order_Items", "customer orders", "orders"]
    assert found(client, {"wildcard": {"name": "*ices"}}) == ["invoices"]
    assert found(client, {"wildcard": {"fullyQualifiedName": f"{SCHEMA}.ORD*"}}) == ["Order_Items", "orders"]
    assert found(client, {"wildcard": {"fullyQualifiedName": "*.orders"}}) == ["orders"]
    assert found(client, {"wildcard": {"fullyQualifiedName": "*ÉTÉ_2024"}}) == ["Été_2024"]
    service = SCHEMA.split(".")[0]
    assert found(client, {"wildcard": {"fullyQualifiedName": f"{service}.*.*items"}}) == ["Order_Items"]
    assert found(client, {"wildcard": {"fullyQualifiedName": "*voic?s"}}) == ["invoices"]
    assert found(client, {"wildcard": {"name.keyword": "*r*"}}) == [
        "Order_Items",
        "customer orders",
        "orders",
    ]
    assert found(client, {"prefix": {"name.keyword": "in"}}) == ["invoices"]

    # Ranges, exists.
    assert found(client, {"range": {"name.keyword": {"gte": "i", "lt": "p"}}}) == ["invoices", "orders"]
    assert found(client, {"range": {"name": {"gt": "customer", "lte": "items"}}}) == [
        "Order_Items",
        "invoices",
    ]
    # Compared as code points: "é" comes after "o".
    assert found(client, {"range": {"fullyQualifiedName": {"gte": f"{SCHEMA}.o".lower()}}}) == [
        "Order_Items",
        "orders",
        "Été_2024",
    ]
    assert found(client, {"exists": {"field": "fullyQualifiedName"}}) == sorted(NAMES)
    assert found(client, {"bool": {"must_not": [{"exists": {"field": "name"}}]}}) == []

    # Facets, of the whole kind and of a filtered search.
    assert facet(client, "name.keyword") == dict.fromkeys(NAMES, 1)
    assert facet(client, "fullyQualifiedName", q="orders") == {
        fqn["orders"].lower(): 1,
        fqn["customer orders"].lower(): 1,
    }
