"""The query entity: named after its text's checksum under its service, the entities it is used
in and the users who ran it added to, listed by the entity it is used in."""

from __future__ import annotations

import hashlib

from fastapi.testclient import TestClient

from tests.integration.catalog.helpers import SERVICE, assert_valid_entity, make_hierarchy, ok, put_table


def test_a_query_is_named_by_checksum_and_found_by_the_table_it_is_used_in(client: TestClient) -> None:
    make_hierarchy(client)
    orders = ok(put_table(client, "orders", "id"), 201)
    other = ok(put_table(client, "other", "id"), 201)
    text = "SELECT id FROM orders"
    created = ok(client.put("/api/v1/queries", json={"query": text, "service": SERVICE}), 201)
    checksum = hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()
    assert created["name"] == created["checksum"] == checksum
    assert created["fullyQualifiedName"] == f"{SERVICE}.{checksum}"
    assert created["service"]["name"] == SERVICE
    assert_valid_entity("query", created)
    again = client.put("/api/v1/queries", json={"query": text, "service": SERVICE})
    assert again.status_code == 200
    assert again.json()["id"] == created["id"]

    used = ok(
        client.put(f"/api/v1/queries/{created['id']}/usage", json=[{"id": orders["id"], "type": "table"}])
    )
    assert [ref["id"] for ref in used["queryUsedIn"]] == [orders["id"]]
    ok(client.put(f"/api/v1/queries/{created['id']}/usage", json=[{"id": orders["id"], "type": "table"}]))
    ok(client.put(f"/api/v1/queries/{created['id']}/usedBy", json=["nightly job"]))
    listed = ok(client.get(f"/api/v1/queries?entityId={orders['id']}&fields=queryUsedIn"))
    assert [q["id"] for q in listed["data"]] == [created["id"]]
    assert len(listed["data"][0]["queryUsedIn"]) == 1
    assert ok(client.get(f"/api/v1/queries?entityId={other['id']}"))["data"] == []
    assert ok(client.get(f"/api/v1/queries/name/{SERVICE}.{checksum}"))["usedBy"] == ["nightly job"]
    missing = client.put(f"/api/v1/queries/{created['id']}/users", json=["nobody"])
    assert missing.status_code == 404
