"""A table's service, database and schema fields are found through its schema
(tessera.storage.search_inherited), on SQLite, PostgreSQL and MariaDB: every way of asking
(term, wildcard, range, exists, facets of filtered searches, the dense walk) finds what it found
when each table kept its own rows, documents written before that are still found and counted
once, and tables follow their schema through delete and restore."""

from __future__ import annotations

import json

import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.integration.catalog.helpers import (
    DATABASE,
    SERVICE,
    facet,
    found,
    make_hierarchy,
    ok,
    put_table,
)
from tests.integration.search_counts import assert_counts_exact

SALES = f"{DATABASE}.sales"
OTHER_SERVICE = "warehouse"
OTHER_SCHEMA = f"{OTHER_SERVICE}.dwh.Reporting"
INHERITED = (
    "service.name",
    "serviceType",
    "database.name",
    "database.fullyQualifiedName",
    "databaseSchema.name",
    "databaseSchema.fullyQualifiedName",
)


def _build(client: TestClient) -> None:
    make_hierarchy(client)
    ok(client.put("/api/v1/databaseSchemas", json={"name": "sales", "database": DATABASE}), 201)
    ok(
        client.put("/api/v1/services/databaseServices", json={"name": OTHER_SERVICE, "serviceType": "Mysql"}),
        201,
    )
    ok(client.put("/api/v1/databases", json={"name": "dwh", "service": OTHER_SERVICE}), 201)
    ok(
        client.put("/api/v1/databaseSchemas", json={"name": "Reporting", "database": f"{OTHER_SERVICE}.dwh"}),
        201,
    )
    for name in ("orders", "customers"):
        ok(put_table(client, name), 201)
    ok(put_table(client, "leads", schema=SALES), 201)
    ok(put_table(client, "revenue", schema=OTHER_SCHEMA), 201)


def test_inherited_fields_are_not_rows_of_each_table_and_are_found_every_way(
    client: TestClient, database_url: str
) -> None:
    _build(client)
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            fields = conn.execute(
                sa.text(
                    "SELECT DISTINCT t.field FROM search_term t "
                    "JOIN search_document d ON d.entity_id = t.entity_id WHERE d.entity_type = 'table'"
                )
            ).scalars()
            assert not set(fields) & set(INHERITED)
            inherited = conn.execute(
                sa.text(
                    "SELECT inherited FROM search_document WHERE entity_type = 'table' AND name = 'revenue'"
                )
            ).one()
    finally:
        engine.dispose()
    assert dict(json.loads(inherited.inherited)) == {
        "service.name": OTHER_SERVICE,
        "serviceType": "Mysql",
        "database.name": "dwh",
        "database.fullyQualifiedName": f"{OTHER_SERVICE}.dwh",
        "databaseSchema.name": "Reporting",
        "databaseSchema.fullyQualifiedName": OTHER_SCHEMA,
    }
    everything = ["customers", "leads", "orders", "revenue"]

    # Terms, on each field, as the client and the UI send them.
    assert found(client, {"term": {"service.name": SERVICE}}) == ["customers", "leads", "orders"]
    assert found(client, {"term": {"service.displayName.keyword": OTHER_SERVICE}}) == ["revenue"]
    assert found(client, {"term": {"serviceType": "Mysql"}}) == ["revenue"]
    assert found(client, {"terms": {"database.name": ["testdb", "dwh"]}}) == everything
    assert found(client, {"term": {"database.fullyQualifiedName": DATABASE}}) == [
        "customers",
        "leads",
        "orders",
    ]
    assert found(client, {"term": {"databaseSchema.name": "sales"}}) == ["leads"]
    assert found(client, {"term": {"databaseSchema.fullyQualifiedName": OTHER_SCHEMA}}) == ["revenue"]
    # Keyword fields are exact: the schema's FQN in another case is another value.
    assert found(client, {"term": {"databaseSchema.fullyQualifiedName": OTHER_SCHEMA.lower()}}) == []
    assert found(client, {"term": {"databaseSchema.name": "nope"}}) == []

    # Wildcards (on a literal beginning, and on a literal end only), ranges, exists, negation.
    assert found(client, {"wildcard": {"databaseSchema.fullyQualifiedName": f"{DATABASE}.*"}}) == [
        "customers",
        "leads",
        "orders",
    ]
    assert found(client, {"wildcard": {"databaseSchema.name": "*ales"}}) == ["leads"]
    assert found(client, {"range": {"databaseSchema.name": {"gte": "sa", "lte": "sales"}}}) == ["leads"]
    assert found(client, {"exists": {"field": "database.fullyQualifiedName"}}) == everything
    assert found(client, {"bool": {"must_not": [{"term": {"databaseSchema.name": "main"}}]}}) == [
        "leads",
        "revenue",
    ]
    assert found(client, {"term": {"databaseSchema.name": "main"}}, sort_field="name", sort_order="desc") == [
        "customers",
        "orders",
    ]

    # Facets of a filtered search count each table once, through its schema.
    assert facet(client, "databaseSchema.name", q="orders OR revenue OR leads") == {
        "main": 1,
        "sales": 1,
        "Reporting": 1,
    }
    assert facet(client, "service.name.keyword", q="orders OR customers") == {SERVICE: 2}
    # And of whole kinds, from search_term_count.
    assert facet(client, "serviceType") == {"SQLite": 3, "Mysql": 1}
    assert_counts_exact(database_url)


def test_documents_written_before_keep_their_rows_and_are_counted_once(
    client: TestClient, database_url: str
) -> None:
    _build(client)
    # As an older tessera left a table: its inherited fields as rows of its own.
    engine = sa.create_engine(database_url)
    try:
        with engine.begin() as conn:
            row = conn.execute(
                sa.text("SELECT entity_id, deleted, inherited FROM search_document WHERE name = 'leads'")
            ).one()
            for field, value in json.loads(row.inherited):
                conn.execute(
                    sa.text(
                        "INSERT INTO search_term (field, value, entity_id, entity_type, deleted) "
                        "VALUES (:field, :value, :id, 'table', :deleted)"
                    ),
                    {"field": field, "value": value, "id": row.entity_id, "deleted": row.deleted},
                )
            conn.execute(
                sa.text("UPDATE search_document SET inherited = NULL WHERE entity_id = :id"),
                {"id": row.entity_id},
            )
    finally:
        engine.dispose()
    assert_counts_exact(database_url)
    assert found(client, {"term": {"databaseSchema.name": "sales"}}) == ["leads"]
    assert found(client, {"term": {"service.name": SERVICE}}) == ["customers", "leads", "orders"]
    assert facet(client, "databaseSchema.name", q="leads OR orders") == {"sales": 1, "main": 1}

    # Written again, it becomes one that takes them from its schema, and stays counted once.
    ok(put_table(client, "leads", schema=SALES, description="Maybe customers"))
    assert_counts_exact(database_url)
    assert facet(client, "databaseSchema.name", q="leads OR orders") == {"sales": 1, "main": 1}


def test_tables_follow_their_schema_through_delete_and_restore(client: TestClient, database_url: str) -> None:
    _build(client)
    sales = ok(client.get(f"/api/v1/databaseSchemas/name/{SALES}"))
    # Soft-deleted with its schema, a table is found among the deleted ones, through it.
    ok(client.delete(f"/api/v1/databaseSchemas/{sales['id']}?recursive=true"))
    assert found(client, {"term": {"databaseSchema.name": "sales"}}) == []
    assert found(client, {"term": {"databaseSchema.name": "sales"}}, deleted="true") == ["leads"]
    assert facet(client, "databaseSchema.name", deleted="true") == {"sales": 1}
    assert_counts_exact(database_url)
    ok(client.put("/api/v1/databaseSchemas/restore", json={"id": sales["id"]}))
    assert found(client, {"term": {"databaseSchema.fullyQualifiedName": SALES}}) == ["leads"]
    assert_counts_exact(database_url)
    ok(client.delete(f"/api/v1/databaseSchemas/{sales['id']}?recursive=true&hardDelete=true"))
    assert found(client, {"term": {"databaseSchema.name": "sales"}}, deleted="true") == []
    assert facet(client, "database.name") == {"testdb": 2, "dwh": 1}
    assert_counts_exact(database_url)
