"""Lineage on every backend: edges between entities with their details, walks upstream and
downstream by depth, edge deletion, and what entity deletion does to edges (a hard delete
removes them, a soft delete hides them until the entity is restored).
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.integration.catalog.helpers import SCHEMA, assert_valid_entity, make_hierarchy, ok, put_table


def tables(client: TestClient, *names: str) -> dict[str, dict[str, Any]]:
    make_hierarchy(client)
    return {name: ok(put_table(client, name, "id", "amount"), 201) for name in names}


def edge(up: dict[str, Any], down: dict[str, Any], **details: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "edge": {
            "fromEntity": {"id": up["id"], "type": "table"},
            "toEntity": {"id": down["id"], "type": "table"},
        }
    }
    if details:
        body["edge"]["lineageDetails"] = details
    return body


def add(client: TestClient, up: dict[str, Any], down: dict[str, Any], **details: Any) -> None:
    response = client.put("/api/v1/lineage", json=edge(up, down, **details))
    assert response.status_code == 200, response.text


def lineage(client: TestClient, table: dict[str, Any], up: int = 1, down: int = 1) -> dict[str, Any]:
    return ok(client.get(f"/api/v1/lineage/table/{table['id']}?upstreamDepth={up}&downstreamDepth={down}"))


def names(client: TestClient, result: dict[str, Any]) -> set[str]:
    return {node["name"] for node in result["nodes"]}


def test_an_edge_with_details_is_served_in_openmetadata_shape(client: TestClient) -> None:
    t = tables(client, "raw", "clean")
    add(
        client,
        t["raw"],
        t["clean"],
        sqlQuery="INSERT INTO clean SELECT id, amount FROM raw",
        source="QueryLineage",
        description="nightly copy",
        columnsLineage=[{"fromColumns": [f"{SCHEMA}.raw.amount"], "toColumn": f"{SCHEMA}.clean.amount"}],
    )
    got = lineage(client, t["clean"])
    assert_valid_entity("entityLineage", got)
    assert got["entity"]["id"] == t["clean"]["id"]
    assert got["entity"]["fullyQualifiedName"] == f"{SCHEMA}.clean"
    assert [n["id"] for n in got["nodes"]] == [t["raw"]["id"]]
    assert got["downstreamEdges"] == []
    (up,) = got["upstreamEdges"]
    assert (up["fromEntity"], up["toEntity"]) == (t["raw"]["id"], t["clean"]["id"])
    details = up["lineageDetails"]
    assert details["sqlQuery"] == "INSERT INTO clean SELECT id, amount FROM raw"
    assert details["source"] == "QueryLineage"
    assert details["columnsLineage"] == [
        {"fromColumns": [f"{SCHEMA}.raw.amount"], "toColumn": f"{SCHEMA}.clean.amount"}
    ]
    assert details["createdBy"] == details["updatedBy"]
    by_name = ok(client.get(f"/api/v1/lineage/table/name/{SCHEMA}.raw"))
    assert [e["toEntity"] for e in by_name["downstreamEdges"]] == [t["clean"]["id"]]
    assert ok(client.get(f"/api/v1/lineage/getLineageEdge/{t['raw']['id']}/{t['clean']['id']}"))["edge"][
        "sqlQuery"
    ].startswith("INSERT")


def test_walks_go_as_deep_as_asked_each_way_and_survive_cycles(client: TestClient) -> None:
    t = tables(client, "a", "b", "c", "d", "e")
    for source, target in (("a", "b"), ("b", "c"), ("c", "d"), ("d", "e"), ("e", "a")):
        add(client, t[source], t[target])
    assert names(client, lineage(client, t["c"], up=0, down=0)) == set()
    assert names(client, lineage(client, t["c"], up=1, down=0)) == {"b"}
    two_up = lineage(client, t["c"], up=2, down=0)
    assert names(client, two_up) == {"a", "b"}
    assert {(e["fromEntity"], e["toEntity"]) for e in two_up["upstreamEdges"]} == {
        (t["b"]["id"], t["c"]["id"]),
        (t["a"]["id"], t["b"]["id"]),
    }
    both = lineage(client, t["c"], up=3, down=3)
    # The cycle closes back on c: every other table once, c itself never a node.
    assert names(client, both) == {"a", "b", "d", "e"}
    refused = client.get(f"/api/v1/lineage/table/{t['c']['id']}?upstreamDepth=4")
    assert refused.status_code == 400
    assert "upstreamDepth" in refused.json()["message"]


def test_put_again_replaces_the_details_and_delete_removes_the_edge(client: TestClient) -> None:
    t = tables(client, "src", "dst")
    add(client, t["src"], t["dst"], sqlQuery="select 1")
    first = lineage(client, t["src"])["downstreamEdges"][0]["lineageDetails"]
    add(client, t["src"], t["dst"], sqlQuery="select 2")
    (again,) = lineage(client, t["src"])["downstreamEdges"]
    assert again["lineageDetails"]["sqlQuery"] == "select 2"
    assert again["lineageDetails"]["createdAt"] == first["createdAt"]
    path = f"/api/v1/lineage/table/{t['src']['id']}/table/{t['dst']['id']}"
    assert client.delete(path).status_code == 200
    assert lineage(client, t["src"])["downstreamEdges"] == []
    gone = client.delete(path)
    assert gone.status_code == 404
    add(client, t["src"], t["dst"])
    by_name = f"/api/v1/lineage/table/name/{SCHEMA}.src/table/name/{SCHEMA}.dst"
    assert client.delete(by_name).status_code == 200
    assert lineage(client, t["dst"])["upstreamEdges"] == []


def test_bad_edges_are_refused_naming_what_is_wrong(client: TestClient) -> None:
    t = tables(client, "x", "y")
    missing = edge(t["x"], t["y"])
    missing["edge"]["toEntity"]["id"] = "00000000-0000-0000-0000-000000000000"
    response = client.put("/api/v1/lineage", json=missing)
    assert response.status_code == 404
    assert "toEntity" in response.json()["message"]
    unknown = edge(t["x"], t["y"])
    unknown["edge"]["fromEntity"]["type"] = "dashboard"
    response = client.put("/api/v1/lineage", json=unknown)
    assert response.status_code == 400
    assert "edge.fromEntity.type" in response.json()["message"]
    wrong_column = edge(
        t["x"], t["y"], columnsLineage=[{"fromColumns": [f"{SCHEMA}.y.id"], "toColumn": f"{SCHEMA}.y.id"}]
    )
    response = client.put("/api/v1/lineage", json=wrong_column)
    assert response.status_code == 400
    assert "fromColumns" in response.json()["message"]
    assert client.put("/api/v1/lineage", json=edge(t["x"], t["x"])).status_code == 400
    assert client.put("/api/v1/lineage", json={"edge": {}}).status_code == 400


@pytest.mark.parametrize("hard", [False, True])
def test_deleting_an_entity_hides_or_removes_its_edges(client: TestClient, hard: bool) -> None:
    t = tables(client, "up", "mid", "down")
    add(client, t["up"], t["mid"])
    add(client, t["mid"], t["down"])
    deleted = client.delete(f"/api/v1/tables/{t['mid']['id']}?hardDelete={str(hard).lower()}")
    assert deleted.status_code == 200
    assert lineage(client, t["up"])["downstreamEdges"] == []
    assert lineage(client, t["down"])["upstreamEdges"] == []
    engine: sa.Engine = client.app.state.container.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT COUNT(*) FROM lineage_edge")).scalar_one()
    if hard:
        assert stored == 0
        return
    assert stored == 2
    ok(client.put("/api/v1/tables/restore", json={"id": t["mid"]["id"]}))
    assert names(client, lineage(client, t["mid"])) == {"up", "down"}


def test_bulk_writes_every_edge_or_none(client: TestClient) -> None:
    t = tables(client, "one", "two", "three")
    bad = edge(t["two"], t["three"])
    bad["edge"]["toEntity"]["id"] = "00000000-0000-0000-0000-000000000000"
    refused = client.put("/api/v1/lineage/bulk", json=[edge(t["one"], t["two"]), bad])
    assert refused.status_code == 404
    assert "edge 1" in refused.json()["message"]
    assert lineage(client, t["two"])["upstreamEdges"] == []
    done = ok(client.put("/api/v1/lineage/bulk", json=[edge(t["one"], t["two"]), edge(t["two"], t["three"])]))
    assert done["numberOfRowsPassed"] == 2
    assert names(client, lineage(client, t["two"])) == {"one", "three"}


def test_an_edge_is_patched_as_the_client_patches_it_and_deleted_by_source(client: TestClient) -> None:
    t = tables(client, "p", "q", "r")
    add(client, t["p"], t["q"], sqlQuery="select 1", source="ViewLineage")
    add(client, t["r"], t["q"], source="Manual")
    path = f"/api/v1/lineage/table/{t['p']['id']}/table/{t['q']['id']}"
    column = [{"fromColumns": [f"{SCHEMA}.p.amount"], "toColumn": f"{SCHEMA}.q.amount"}]
    patched = client.patch(path, json=[{"op": "add", "path": "/columnsLineage", "value": column}])
    assert patched.status_code == 200, patched.text
    stored = ok(client.get(f"/api/v1/lineage/getLineageEdge/{t['p']['id']}/{t['q']['id']}"))["edge"]
    assert stored["columnsLineage"] == column
    assert stored["sqlQuery"] == "select 1"
    bad = client.patch(path, json=[{"op": "replace", "path": "/columnsLineage/0/toColumn", "value": "x.y"}])
    assert bad.status_code == 400
    assert client.delete(f"/api/v1/lineage/table/{t['q']['id']}/type/ViewLineage").status_code == 200
    assert names(client, lineage(client, t["q"])) == {"r"}
    assert client.delete(f"/api/v1/lineage/table/{t['q']['id']}/type/Guessed").status_code == 400
