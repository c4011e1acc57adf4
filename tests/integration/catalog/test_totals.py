"""``paging.total`` comes from the entity_count table, kept in step with the rows on every write.

After each kind of write the counters must equal a COUNT over the entity rows themselves, and the
totals the API reports must equal the rows a client can page through.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.integration.catalog.helpers import (
    DATABASE,
    SCHEMA,
    SERVICE,
    columns,
    make_hierarchy,
    ok,
    put_table,
)

OTHER = f"{DATABASE}.other"


def counters_match_rows(client: TestClient) -> None:
    engine: sa.Engine = client.app.state.container.engine  # type: ignore[attr-defined]
    key = "entity_type, COALESCE(parent_id, ''), deleted"
    with engine.connect() as conn:
        rows = conn.execute(sa.text(f"SELECT {key}, COUNT(*) FROM entity GROUP BY {key}"))
        counted = {(t, p, bool(d)): n for t, p, d, n in rows}
        stored = conn.execute(sa.text("SELECT entity_type, parent_id, deleted, n FROM entity_count"))
        kept = {(t, p, bool(d)): n for t, p, d, n in stored if n}
    assert kept == counted


def walked(client: TestClient, query: str) -> tuple[int, int]:
    """(paging.total, rows actually served) for a list query, following every cursor."""
    url, after, served, total = f"/api/v1/tables?limit=7&{query}", None, 0, None
    while True:
        page = ok(client.get(url + (f"&after={after}" if after else "")))
        total = page["paging"]["total"] if total is None else total
        served += len(page["data"])
        after = page["paging"].get("after")
        if after is None:
            return total, served


def assert_totals(client: TestClient) -> None:
    counters_match_rows(client)
    for scope in ("", f"databaseSchema={SCHEMA}", f"database={DATABASE}", f"service={SERVICE}"):
        for include in ("non-deleted", "deleted", "all"):
            total, served = walked(client, f"{scope}&include={include}")
            assert total == served, (scope, include)


def bulk(client: TestClient, rows: list[dict[str, Any]]) -> dict[str, Any]:
    return ok(client.put("/api/v1/tables/bulk", json=rows))


def test_totals_follow_every_kind_of_write(client: TestClient) -> None:
    make_hierarchy(client)
    ok(client.put("/api/v1/databaseSchemas", json={"name": "other", "database": DATABASE}), 201)
    assert_totals(client)

    # Bulk creation, a name twice in one request, and a row that fails.
    rows = [{"name": f"t{i:02d}", "databaseSchema": SCHEMA, "columns": columns("id")} for i in range(20)]
    rows.append({"name": "t00", "databaseSchema": SCHEMA, "columns": columns("id", "x")})
    rows.append({"name": "lost", "databaseSchema": f"{DATABASE}.missing", "columns": columns("id")})
    assert bulk(client, rows)["numberOfRowsFailed"] == 1
    others = [{"name": f"o{i}", "databaseSchema": OTHER, "columns": columns("id")} for i in range(5)]
    assert bulk(client, others)["numberOfRowsFailed"] == 0
    ok(put_table(client, "single"), 201)
    assert_totals(client)

    # Soft delete of one table, then of a schema with its tables; restore; re-PUT of a deleted one.
    t01 = ok(client.get(f"/api/v1/tables/name/{SCHEMA}.t01"))
    ok(client.delete(f"/api/v1/tables/{t01['id']}"))
    other = ok(client.get(f"/api/v1/databaseSchemas/name/{OTHER}"))
    ok(client.delete(f"/api/v1/databaseSchemas/{other['id']}?recursive=true"))
    assert_totals(client)
    ok(client.put("/api/v1/databaseSchemas/restore", json={"id": other["id"]}))
    ok(put_table(client, "t01"))
    assert_totals(client)

    # Hard delete of a table, of a soft-deleted table, and of a schema with its tables.
    t02 = ok(client.get(f"/api/v1/tables/name/{SCHEMA}.t02"))
    ok(client.delete(f"/api/v1/tables/{t02['id']}?hardDelete=true"))
    t03 = ok(client.get(f"/api/v1/tables/name/{SCHEMA}.t03"))
    ok(client.delete(f"/api/v1/tables/{t03['id']}"))
    ok(client.delete(f"/api/v1/tables/{t03['id']}?hardDelete=true"))
    ok(client.delete(f"/api/v1/databaseSchemas/{other['id']}?recursive=true&hardDelete=true"))
    assert_totals(client)

    # deleteStale soft-deletes what a run did not see.
    seen = [f"{SCHEMA}.t{i:02d}" for i in range(10)]
    request = {"scopeFqn": SCHEMA, "scopeEntityType": "databaseSchema", "seenFqns": seen, "recursive": True}
    ok(client.request("DELETE", "/api/v1/tables/deleteStale", json=request))
    assert_totals(client)
