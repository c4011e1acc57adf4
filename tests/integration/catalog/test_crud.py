from __future__ import annotations

from urllib.parse import quote

from fastapi.testclient import TestClient

from tests.integration.catalog.helpers import (
    SCHEMA,
    SERVICE,
    assert_valid_entity,
    make_hierarchy,
    ok,
    put_table,
)


def test_put_creates_then_updates_with_201_then_200(client: TestClient) -> None:
    make_hierarchy(client)
    created = ok(put_table(client, "orders", "id"), 201)
    assert created["fullyQualifiedName"] == f"{SCHEMA}.orders"
    assert created["version"] == 0.1
    assert created["columns"][0]["fullyQualifiedName"] == f"{SCHEMA}.orders.id"
    assert created["databaseSchema"]["fullyQualifiedName"] == SCHEMA
    assert created["database"]["name"] == "testdb"
    assert created["service"]["name"] == SERVICE
    assert created["serviceType"] == "SQLite"
    assert created["href"] == f"http://testserver/api/v1/tables/{created['id']}"
    assert isinstance(created["updatedAt"], int)
    assert created["updatedBy"] == "anonymous"
    updated = ok(put_table(client, "orders", "id", "total"), 200)
    assert updated["id"] == created["id"]
    assert updated["version"] == 0.2
    assert [c["name"] for c in updated["columns"]] == ["id", "total"]
    assert updated["changeDescription"]["previousVersion"] == 0.1
    assert updated["changeDescription"]["fieldsUpdated"][0]["name"] == "columns"


def test_responses_validate_against_openmetadata_schemas(client: TestClient) -> None:
    hierarchy = make_hierarchy(client)
    table = ok(put_table(client, "orders", "id", description="Orders"), 201)
    assert_valid_entity("databaseService", hierarchy["service"])
    assert_valid_entity("database", hierarchy["database"])
    assert_valid_entity("databaseSchema", hierarchy["schema"])
    assert_valid_entity("table", table)
    assert_valid_entity("table", ok(client.get(f"/api/v1/tables/{table['id']}?fields=*")))
    listing = ok(client.get("/api/v1/tables?fields=*"))
    for entity in listing["data"]:
        assert_valid_entity("table", entity)


def test_post_creates_and_refuses_a_duplicate_with_409(client: TestClient) -> None:
    make_hierarchy(client)
    body = {"name": "t1", "databaseSchema": SCHEMA, "columns": [{"name": "a", "dataType": "INT"}]}
    ok(client.post("/api/v1/tables", json=body), 201)
    conflict = client.post("/api/v1/tables", json=body)
    assert conflict.status_code == 409
    assert conflict.json() == {"code": 409, "message": f"Entity already exists: table {SCHEMA}.t1"}


def test_get_by_id_and_by_name(client: TestClient) -> None:
    make_hierarchy(client)
    table = ok(put_table(client, "orders"), 201)
    by_id = ok(client.get(f"/api/v1/tables/{table['id']}"))
    by_name = ok(client.get(f"/api/v1/tables/name/{quote(table['fullyQualifiedName'], safe='')}"))
    assert by_id == by_name
    missing = client.get(f"/api/v1/tables/name/{SCHEMA}.nope")
    assert missing.status_code == 404
    assert missing.json() == {"code": 404, "message": f"table instance for {SCHEMA}.nope not found"}
    assert client.get("/api/v1/tables/not-a-uuid").status_code == 404


def test_names_with_dots_and_slashes_are_quoted_and_found(client: TestClient) -> None:
    make_hierarchy(client)
    created = ok(put_table(client, "my.table/v2", "a.b"), 201)
    assert created["fullyQualifiedName"] == f'{SCHEMA}."my.table/v2"'
    assert created["columns"][0]["fullyQualifiedName"] == f'{SCHEMA}."my.table/v2"."a.b"'
    # OpenMetadata's client quotes the whole FQN with safe="": '"' -> %22 and '/' -> %2F.
    found = ok(client.get(f"/api/v1/tables/name/{quote(created['fullyQualifiedName'], safe='')}"))
    assert found["id"] == created["id"]


def test_fields_parameter_controls_optional_fields(client: TestClient) -> None:
    make_hierarchy(client)
    constraints = [{"constraintType": "UNIQUE", "columns": ["id"]}]
    table = ok(put_table(client, "orders", "id", tableConstraints=constraints), 201)
    plain = ok(client.get(f"/api/v1/tables/{table['id']}"))
    assert "tableConstraints" not in plain
    asked = ok(client.get(f"/api/v1/tables/{table['id']}?fields=tableConstraints"))
    assert asked["tableConstraints"] == constraints
    bad = client.get(f"/api/v1/tables/{table['id']}?fields=nonsense")
    assert bad.status_code == 400
    assert "nonsense" in bad.json()["message"]


def test_unknown_and_invalid_fields_get_400_naming_the_field(client: TestClient) -> None:
    make_hierarchy(client)
    unknown = client.put(
        "/api/v1/tables",
        json={
            "name": "t",
            "databaseSchema": SCHEMA,
            "columns": [{"name": "a", "dataType": "INT", "colour": 1}],
        },
    )
    assert unknown.status_code == 400
    assert "columns[0]" in unknown.json()["message"]
    assert "'colour'" in unknown.json()["message"]
    bad_enum = client.put(
        "/api/v1/tables",
        json={"name": "t", "databaseSchema": SCHEMA, "columns": [{"name": "a", "dataType": "NOPE"}]},
    )
    assert bad_enum.status_code == 400
    assert "columns[0].dataType" in bad_enum.json()["message"]
    missing = client.put("/api/v1/tables", json={"name": "t", "databaseSchema": SCHEMA})
    assert missing.status_code == 400
    assert "columns" in missing.json()["message"]
    not_json = client.put("/api/v1/tables", content=b"{nope", headers={"content-type": "application/json"})
    assert not_json.status_code == 400
    assert not_json.json()["message"].startswith("The request body is not valid JSON")
    bad_param = client.get("/api/v1/tables?limit=lots")
    assert bad_param.status_code == 400
    assert "limit" in bad_param.json()["message"]


def test_missing_parent_is_a_404_naming_it(client: TestClient) -> None:
    response = put_table(client, "t", schema="nowhere.db.schema")
    assert response.status_code == 404
    assert response.json() == {
        "code": 404,
        "message": "databaseSchema: databaseSchema nowhere.db.schema not found",
    }


def test_every_error_has_the_code_message_shape(client: TestClient) -> None:
    for response in (
        client.get("/api/v1/nothing/here"),
        client.post("/api/v1/system/version"),
        client.get("/api/v1/tables?include=sometimes"),
    ):
        body = response.json()
        assert set(body) == {"code", "message"}
        assert body["code"] == response.status_code
        assert isinstance(body["message"], str)
        assert body["message"]
    assert client.post("/api/v1/system/version").status_code == 405


def test_system_version_and_health(client: TestClient) -> None:
    version = ok(client.get("/api/v1/system/version"))
    assert version["version"] == "2.0.7"
    assert version["revision"].startswith("tessera-")
    assert ok(client.get("/api/v1/system/health"))["healthy"] is True


def test_test_connection_definitions_are_built_in(client: TestClient) -> None:
    for name in ("SQLite", "Postgres", "Mysql"):
        definition = ok(
            client.get(f"/api/v1/services/testConnectionDefinitions/name/{name}.testConnectionDefinition")
        )
        assert definition["name"] == name
        assert definition["steps"][0]["name"] == "CheckAccess"
        assert_valid_entity("testConnectionDefinition", definition)
    refused = client.put("/api/v1/services/testConnectionDefinitions", json={"name": "x"})
    assert refused.status_code == 405


def test_openapi_documents_the_api_and_its_bearer_scheme(client: TestClient) -> None:
    schema = ok(client.get("/openapi.json"))
    assert "/api/v1/tables/name/{fqn}" in schema["paths"]
    assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert client.get("/docs").status_code == 200
