from __future__ import annotations

import json

from fastapi.testclient import TestClient

from tests.integration.catalog.helpers import make_hierarchy, ok, put_table


def test_unchanged_put_creates_no_version(client: TestClient) -> None:
    make_hierarchy(client)
    first = ok(put_table(client, "orders", "id"), 201)
    again = ok(put_table(client, "orders", "id"), 200)
    assert again["version"] == first["version"] == 0.1
    assert again["updatedAt"] == first["updatedAt"]
    assert len(ok(client.get(f"/api/v1/tables/{first['id']}/versions"))["versions"]) == 1


def test_same_source_hash_skips_the_update(client: TestClient) -> None:
    make_hierarchy(client)
    first = ok(put_table(client, "orders", "id", sourceHash="abc"), 201)
    # Same hash: the server trusts it and leaves the entity alone even if the body differs.
    skipped = ok(put_table(client, "orders", "id", "extra", sourceHash="abc"), 200)
    assert skipped["version"] == first["version"]
    assert [c["name"] for c in skipped["columns"]] == ["id"]
    changed = ok(put_table(client, "orders", "id", "extra", sourceHash="def"), 200)
    assert changed["version"] == 0.2


def test_versions_list_and_one_version(client: TestClient) -> None:
    make_hierarchy(client)
    table = ok(put_table(client, "orders", "id"), 201)
    ok(put_table(client, "orders", "id", "b"))
    ok(put_table(client, "orders", "id", "b", "c"))
    history = ok(client.get(f"/api/v1/tables/{table['id']}/versions"))
    assert history["entityType"] == "table"
    versions = [json.loads(v)["version"] for v in history["versions"]]
    assert versions == [0.3, 0.2, 0.1]
    old = ok(client.get(f"/api/v1/tables/{table['id']}/versions/0.1"))
    assert [c["name"] for c in old["columns"]] == ["id"]
    assert client.get(f"/api/v1/tables/{table['id']}/versions/0.9").status_code == 404
    assert client.get(f"/api/v1/tables/{table['id']}/versions/abc").status_code == 400


def test_put_keeps_a_description_the_request_leaves_out(client: TestClient) -> None:
    make_hierarchy(client)
    table = ok(put_table(client, "orders", "id", description="Every order ever placed"), 201)
    again = ok(put_table(client, "orders", "id", "total"))
    assert again["description"] == "Every order ever placed"
    patched = ok(
        client.patch(
            f"/api/v1/tables/{table['id']}",
            json=[{"op": "add", "path": "/columns/0/description", "value": "Primary key"}],
        )
    )
    assert patched["columns"][0]["description"] == "Primary key"
    reingested = ok(put_table(client, "orders", "id", "total"))
    assert reingested["columns"][0]["description"] == "Primary key"


def test_json_patch_with_if_match(client: TestClient) -> None:
    make_hierarchy(client)
    table = ok(put_table(client, "orders", "id"), 201)
    path = f"/api/v1/tables/{table['id']}"
    patched = ok(
        client.patch(
            path,
            json=[{"op": "add", "path": "/description", "value": "Orders"}],
            headers={"If-Match": 'W/"0.1"', "Content-Type": "application/json-patch+json"},
        )
    )
    assert patched["description"] == "Orders"
    assert patched["version"] == 0.2
    assert patched["changeDescription"]["fieldsAdded"] == [{"name": "description", "newValue": "Orders"}]
    stale = client.patch(
        path, json=[{"op": "replace", "path": "/description", "value": "x"}], headers={"If-Match": 'W/"0.1"'}
    )
    assert stale.status_code == 412
    assert "0.2" in stale.json()["message"]


def test_invalid_patches_are_400(client: TestClient) -> None:
    make_hierarchy(client)
    table = ok(put_table(client, "orders", "id"), 201)
    path = f"/api/v1/tables/{table['id']}"
    not_a_list = client.patch(path, json={"op": "add"})
    assert not_a_list.status_code == 400
    bad_pointer = client.patch(path, json=[{"op": "replace", "path": "/nothing/here", "value": 1}])
    assert bad_pointer.status_code == 400
    assert bad_pointer.json()["message"].startswith("Invalid JSON Patch")
    immutable = client.patch(path, json=[{"op": "replace", "path": "/name", "value": "renamed"}])
    assert immutable.status_code == 400
    assert immutable.json()["message"] == "name cannot be changed with PATCH"
    invalid_value = client.patch(
        path, json=[{"op": "replace", "path": "/columns/0/dataType", "value": "NOPE"}]
    )
    assert invalid_value.status_code == 400
    assert "columns[0].dataType" in invalid_value.json()["message"]
    unknown_field = client.patch(path, json=[{"op": "add", "path": "/colour", "value": "red"}])
    assert unknown_field.status_code == 400
    assert "'colour'" in unknown_field.json()["message"]


def test_patch_adds_constraints_and_reorders_columns_as_the_client_does(client: TestClient) -> None:
    make_hierarchy(client)
    table = ok(put_table(client, "orders", "id", "customer_id"), 201)
    patch = [
        {
            "op": "add",
            "path": "/tableConstraints/0",
            "value": {
                "constraintType": "FOREIGN_KEY",
                "columns": ["customer_id"],
                "referredColumns": ["local_sqlite.testdb.main.customers.id"],
                "relationshipType": "MANY_TO_ONE",
            },
        }
    ]
    # The table has no tableConstraints yet: adding at /0 of a missing array must be a clear 400,
    # while adding the whole array works.
    assert client.patch(f"/api/v1/tables/{table['id']}", json=patch).status_code == 400
    whole = [{"op": "add", "path": "/tableConstraints", "value": [patch[0]["value"]]}]
    patched = ok(client.patch(f"/api/v1/tables/{table['id']}", json=whole))
    assert (
        ok(client.get(f"/api/v1/tables/{patched['id']}?fields=tableConstraints"))["tableConstraints"][0][
            "relationshipType"
        ]
        == "MANY_TO_ONE"
    )


def test_patch_by_name_as_openmetadata_allows(client: TestClient) -> None:
    make_hierarchy(client)
    table = ok(put_table(client, "orders", "id"), 201)
    by_name = f"/api/v1/tables/name/{table['fullyQualifiedName']}"
    patched = ok(
        client.patch(
            by_name,
            json=[{"op": "add", "path": "/description", "value": "Orders"}],
            headers={"If-Match": 'W/"0.1"'},
        )
    )
    assert patched["id"] == table["id"]
    assert patched["description"] == "Orders"
    assert patched["version"] == 0.2
    # The same rules as by id: If-Match, immutable fields, and a clear 404 for an unknown name.
    stale = client.patch(
        by_name,
        json=[{"op": "replace", "path": "/description", "value": "x"}],
        headers={"If-Match": 'W/"0.1"'},
    )
    assert stale.status_code == 412
    immutable = client.patch(by_name, json=[{"op": "replace", "path": "/name", "value": "renamed"}])
    assert immutable.status_code == 400
    missing = client.patch(f"{by_name}_nope", json=[{"op": "add", "path": "/description", "value": "x"}])
    assert missing.status_code == 404
    assert "orders_nope" in missing.json()["message"]


def test_references_a_patch_sets_are_stored_whole(client: TestClient) -> None:
    """A user's teams and roles, named by id in a create request, are EntityReferences in a
    patch; stored whole (name, FQN), as a create stores them, and refused when they name nothing."""
    group = ok(client.put("/api/v1/teams", json={"name": "Analysts", "teamType": "Group"}), 201)
    role = ok(client.get("/api/v1/roles/name/DataSteward"))
    user = ok(client.put("/api/v1/users", json={"name": "una", "email": "una@example.com"}), 201)
    patched = ok(
        client.patch(
            f"/api/v1/users/{user['id']}",
            json=[
                {"op": "add", "path": "/teams", "value": [{"id": group["id"], "type": "team"}]},
                {"op": "add", "path": "/roles", "value": [{"id": role["id"], "type": "role"}]},
            ],
        )
    )
    assert [(t["name"], t["fullyQualifiedName"], t["type"]) for t in patched["teams"]] == [
        ("Analysts", "Analysts", "team")
    ]
    assert [(r["name"], r["type"]) for r in patched["roles"]] == [("DataSteward", "role")]
    members = ok(client.get(f"/api/v1/teams/{group['id']}", params={"fields": "users"}))["users"]
    assert [m["name"] for m in members] == ["una"]
    missing = "7c0a4a52-2a4e-4bcb-8f1b-0f4f8f7a1c11"
    refused = client.patch(
        f"/api/v1/users/{user['id']}",
        json=[{"op": "add", "path": "/teams/-", "value": {"id": missing, "type": "team"}}],
    )
    assert refused.status_code == 404
    assert refused.json()["message"] == f"teams: team {missing} not found"
