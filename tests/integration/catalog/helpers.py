"""Small builders for catalog requests used across the integration tests."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from tessera import contract

SERVICE = "local_sqlite"
DATABASE = f"{SERVICE}.testdb"
SCHEMA = f"{DATABASE}.main"


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    body: dict[str, Any] = response.json()
    return body


def columns(*names: str) -> list[dict[str, Any]]:
    return [{"name": name, "dataType": "VARCHAR", "dataLength": 64} for name in names]


def make_hierarchy(client: TestClient) -> dict[str, Any]:
    service = ok(
        client.put(
            "/api/v1/services/databaseServices",
            json={
                "name": SERVICE,
                "serviceType": "SQLite",
                "connection": {
                    "config": {"type": "SQLite", "database": "testdb", "databaseMode": "/tmp/t.db"}
                },
            },
        ),
        201,
    )
    database = ok(client.put("/api/v1/databases", json={"name": "testdb", "service": SERVICE}), 201)
    schema = ok(client.put("/api/v1/databaseSchemas", json={"name": "main", "database": DATABASE}), 201)
    return {"service": service, "database": database, "schema": schema}


def put_table(client: TestClient, name: str, *cols: str, schema: str = SCHEMA, **extra: Any) -> Any:
    body = {"name": name, "databaseSchema": schema, "columns": columns(*(cols or ("id",))), **extra}
    return client.put("/api/v1/tables", json=body)


def found(client: TestClient, query: dict[str, Any], **params: Any) -> list[str]:
    """The names of the tables a query_filter query finds, sorted."""
    params = {"index": "table_search_index", "q": "*", "size": 50, **params}
    params["query_filter"] = json.dumps({"query": query})
    body = ok(client.get("/api/v1/search/query", params=params))
    return sorted(hit["_source"]["name"] for hit in body["hits"]["hits"])


def facet(client: TestClient, field: str, q: str = "*", **params: Any) -> dict[str, int]:
    """The buckets of a terms aggregation of ``field`` over the tables ``q`` finds."""
    aggs = json.dumps({"aggs": {"f": {"terms": {"field": field, "size": 50}}}})
    params = {"index": "table_search_index", "q": q, "size": 0, "query_filter": aggs, **params}
    body = ok(client.get("/api/v1/search/query", params=params))
    return {bucket["key"]: bucket["doc_count"] for bucket in body["aggregations"]["sterms#f"]["buckets"]}


def assert_valid_entity(schema_name: str, entity: dict[str, Any]) -> None:
    """What OpenMetadata's client would reject, we must never send."""
    problems = contract.errors(schema_name, entity)
    assert not problems, problems
