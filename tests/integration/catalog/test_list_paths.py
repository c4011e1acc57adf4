"""List paths whose cost must not grow with the catalog: a parent filter over several schemas
(merged from each schema's own index range), include=all, and large limits streamed in chunks."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tessera.api import list_stream
from tests.integration.catalog.helpers import DATABASE, make_hierarchy, ok, put_table


@pytest.fixture
def two_schemas(client: TestClient) -> list[str]:
    """Tables in two schemas of one database, their names interleaved; one soft-deleted."""
    make_hierarchy(client)
    ok(client.put("/api/v1/databaseSchemas", json={"name": "other", "database": DATABASE}), 201)
    names = []
    for i in range(7):
        schema = f"{DATABASE}.{'main' if i % 2 else 'other'}"
        name = f"t{i}"
        names.append(name)
        created = ok(put_table(client, name, schema=schema), 201)
        if i == 3:
            ok(client.delete(f"/api/v1/tables/{created['id']}"))
    return names


def walk(client: TestClient, query: str, limit: int) -> list[str]:
    seen: list[str] = []
    after: str | None = None
    while True:
        page = ok(client.get(f"/api/v1/tables?{query}&limit={limit}" + (f"&after={after}" if after else "")))
        seen += [t["name"] for t in page["data"]]
        after = page["paging"].get("after")
        if after is None:
            return seen


def test_a_database_filter_pages_its_schemas_tables_in_name_order(
    client: TestClient, two_schemas: list[str]
) -> None:
    live = [n for n in two_schemas if n != "t3"]
    assert walk(client, f"database={DATABASE}", 2) == live
    assert walk(client, f"database={DATABASE}&include=all", 3) == two_schemas
    assert walk(client, f"database={DATABASE}&include=deleted", 3) == ["t3"]
    second = ok(client.get(f"/api/v1/tables?database={DATABASE}&limit=2"))["paging"]["after"]
    page = ok(client.get(f"/api/v1/tables?database={DATABASE}&limit=2&after={second}"))
    assert [t["name"] for t in page["data"]] == live[2:4]
    back = ok(client.get(f"/api/v1/tables?database={DATABASE}&limit=2&before={page['paging']['before']}"))
    assert [t["name"] for t in back["data"]] == live[:2]
    assert page["paging"]["total"] == len(live)


def test_large_limits_are_streamed_in_chunks_with_the_same_page(
    client: TestClient, two_schemas: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = ok(client.get("/api/v1/tables?limit=5&include=all&fields=columns"))
    monkeypatch.setattr(list_stream, "CHUNK", 2)
    streamed = client.get("/api/v1/tables?limit=5&include=all&fields=columns")
    assert streamed.headers["content-type"] == "application/json"
    body: dict[str, Any] = streamed.json()
    assert body == expected
    rest = ok(client.get(f"/api/v1/tables?limit=1000000&include=all&after={body['paging']['after']}"))
    assert [t["name"] for t in rest["data"]] == two_schemas[5:]
    assert rest["paging"]["total"] == 7
    assert "after" not in rest["paging"]
    first = ok(client.get(f"/api/v1/tables?limit=2&include=all&before={rest['paging']['before']}"))
    assert [t["name"] for t in first["data"]] == two_schemas[3:5]
    assert client.get("/api/v1/tables?limit=1000000&after=bogus").status_code == 400


def walk_back(client: TestClient, query: str, limit: int) -> list[str]:
    """From the last page back to the first by before cursors: the names in list order."""
    page = ok(client.get(f"/api/v1/tables?{query}&limit={limit}"))
    while page["paging"].get("after"):
        page = ok(client.get(f"/api/v1/tables?{query}&limit={limit}&after={page['paging']['after']}"))
    pages = [[t["name"] for t in page["data"]]]
    while page["paging"].get("before"):
        page = ok(client.get(f"/api/v1/tables?{query}&limit={limit}&before={page['paging']['before']}"))
        pages.append([t["name"] for t in page["data"]])
    return [name for names in reversed(pages) for name in names]


@pytest.mark.parametrize("scope", ["", f"databaseSchema={DATABASE}.main&", f"database={DATABASE}&"])
def test_include_all_merges_live_and_deleted_rows_both_ways(
    client: TestClient, two_schemas: list[str], scope: str
) -> None:
    # Two more deleted tables, at each end of the name order.
    for name in ("a_first", "z_last"):
        created = ok(put_table(client, name, schema=f"{DATABASE}.main"), 201)
        ok(client.delete(f"/api/v1/tables/{created['id']}"))
    everything = ["a_first", *two_schemas, "z_last"]
    if scope.startswith("databaseSchema"):
        everything = [n for n in everything if n in ("a_first", "z_last") or int(n[1:]) % 2]
    for limit in (1, 2, 4):
        assert walk(client, f"{scope}include=all", limit) == everything
        assert walk_back(client, f"{scope}include=all", limit) == everything
    assert ok(client.get(f"/api/v1/tables?{scope}include=all&limit=1"))["paging"]["total"] == len(everything)
