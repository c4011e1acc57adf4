from __future__ import annotations

from fastapi.testclient import TestClient

from tests.integration.catalog.helpers import DATABASE, SCHEMA, SERVICE, make_hierarchy, ok, put_table


def test_cursor_paging_walks_forward_and_back(client: TestClient) -> None:
    make_hierarchy(client)
    names = [f"t{i:02d}" for i in range(25)]
    for name in reversed(names):
        ok(put_table(client, name), 201)
    seen: list[str] = []
    after = None
    pages = []
    while True:
        url = f"/api/v1/tables?limit=10&databaseSchema={SCHEMA}" + (f"&after={after}" if after else "")
        page = ok(client.get(url))
        assert page["paging"]["total"] == 25
        seen.extend(t["name"] for t in page["data"])
        pages.append(page)
        after = page["paging"].get("after")
        if after is None:
            break
    assert seen == names
    assert "before" not in pages[0]["paging"]
    back = ok(client.get(f"/api/v1/tables?limit=10&before={pages[2]['paging']['before']}"))
    assert [t["name"] for t in back["data"]] == names[10:20]
    first = ok(client.get(f"/api/v1/tables?limit=10&before={back['paging']['before']}"))
    assert [t["name"] for t in first["data"]] == names[:10]
    assert "before" not in first["paging"]


def test_bad_cursor_is_400(client: TestClient) -> None:
    response = client.get("/api/v1/tables?after=%%%")
    assert response.status_code == 400
    assert "cursor" in response.json()["message"]


def test_parent_filters_reach_through_the_hierarchy(client: TestClient) -> None:
    make_hierarchy(client)
    ok(client.put("/api/v1/databaseSchemas", json={"name": "other", "database": DATABASE}), 201)
    ok(put_table(client, "a"), 201)
    ok(put_table(client, "b", schema=f"{DATABASE}.other"), 201)
    assert ok(client.get(f"/api/v1/tables?databaseSchema={SCHEMA}"))["paging"]["total"] == 1
    assert ok(client.get(f"/api/v1/tables?database={DATABASE}"))["paging"]["total"] == 2
    assert ok(client.get(f"/api/v1/tables?service={SERVICE}"))["paging"]["total"] == 2
    assert ok(client.get(f"/api/v1/databaseSchemas?database={DATABASE}"))["paging"]["total"] == 2
    assert ok(client.get("/api/v1/tables?service=unknown"))["paging"]["total"] == 0


def test_soft_delete_hides_then_restore_brings_back(client: TestClient) -> None:
    make_hierarchy(client)
    table = ok(put_table(client, "orders"), 201)
    deleted = ok(client.delete(f"/api/v1/tables/{table['id']}"))
    assert deleted["deleted"] is True
    assert deleted["version"] == 0.2
    assert client.get(f"/api/v1/tables/{table['id']}").status_code == 404
    assert ok(client.get(f"/api/v1/tables/{table['id']}?include=deleted"))["deleted"] is True
    assert ok(client.get("/api/v1/tables?include=deleted"))["paging"]["total"] == 1
    assert ok(client.get("/api/v1/tables"))["paging"]["total"] == 0
    restored = ok(client.put("/api/v1/tables/restore", json={"id": table["id"]}))
    assert restored["deleted"] is False
    assert restored["version"] == 0.3
    again = client.put("/api/v1/tables/restore", json={"id": table["id"]})
    assert again.status_code == 400


def test_put_revives_a_soft_deleted_entity(client: TestClient) -> None:
    make_hierarchy(client)
    table = ok(put_table(client, "orders"), 201)
    ok(client.delete(f"/api/v1/tables/{table['id']}"))
    revived = ok(put_table(client, "orders"), 200)
    assert revived["id"] == table["id"]
    assert revived["deleted"] is False


def test_delete_needs_recursive_for_a_parent_with_children(client: TestClient) -> None:
    hierarchy = make_hierarchy(client)
    ok(put_table(client, "orders"), 201)
    service_id = hierarchy["service"]["id"]
    refused = client.delete(f"/api/v1/services/databaseServices/{service_id}")
    assert refused.status_code == 400
    assert "recursive=true" in refused.json()["message"]
    ok(client.delete(f"/api/v1/services/databaseServices/{service_id}?recursive=true"))
    assert client.get(f"/api/v1/tables/name/{SCHEMA}.orders").status_code == 404
    assert ok(client.get(f"/api/v1/tables/name/{SCHEMA}.orders?include=deleted"))["deleted"] is True
    ok(client.put("/api/v1/services/databaseServices/restore", json={"id": service_id}))
    assert ok(client.get(f"/api/v1/tables/name/{SCHEMA}.orders"))["deleted"] is False


def test_hard_delete_removes_everything(client: TestClient) -> None:
    hierarchy = make_hierarchy(client)
    table = ok(put_table(client, "orders"), 201)
    ok(
        client.delete(
            f"/api/v1/services/databaseServices/{hierarchy['service']['id']}?recursive=true&hardDelete=true"
        )
    )
    assert client.get(f"/api/v1/tables/{table['id']}?include=all").status_code == 404
    assert client.get(f"/api/v1/tables/{table['id']}/versions").status_code == 404
    assert ok(client.get("/api/v1/search/query?q=orders"))["hits"]["total"]["value"] == 0


def test_delete_by_name(client: TestClient) -> None:
    make_hierarchy(client)
    ok(put_table(client, "orders"), 201)
    ok(client.delete(f"/api/v1/tables/name/{SCHEMA}.orders?hardDelete=true"))
    assert client.get(f"/api/v1/tables/name/{SCHEMA}.orders?include=all").status_code == 404
