"""The API reference works offline, and the OpenAPI document says what the server does."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest
from fastapi.testclient import TestClient

from tessera.app import create_app
from tessera.config import load_settings
from tests.integration.catalog.helpers import make_hierarchy, ok, put_table

_ASSET = re.compile(r'(?:src|href)="([^"]+)"')


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    home = tmp_path_factory.mktemp("docs")
    settings = load_settings(
        environ={
            "TESSERA_HOME": str(home),
            "TESSERA_DATABASE_URL": f"sqlite:///{home / 'tessera.db'}",
            "AUTHENTICATION_PROVIDER": "no-auth",
        }
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_reference_pages_load_every_asset_from_tessera(client: TestClient, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200
    html = response.text
    # No URL outside tessera: offline, nothing else is reachable.
    assert "http://" not in html
    assert "https://" not in html
    assets = _ASSET.findall(html)
    assert assets, html
    for asset in assets:
        assert asset.startswith("/docs/assets/"), asset
        fetched = client.get(asset)
        assert fetched.status_code == 200, asset
        assert len(fetched.content) > 1000, asset
    assert "/openapi.json" in html


@pytest.fixture(scope="module")
def document(client: TestClient) -> dict[str, Any]:
    return ok(client.get("/openapi.json"))


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_statuses_are_the_ones_sent_and_public_routes_need_no_token(document: dict[str, Any]) -> None:
    assert len(list(_operations(document))) > 150
    for path, method, operation in _operations(document):
        responses = operation["responses"]
        assert "422" not in responses, (path, method)
        assert responses["400"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }
    security = {
        (path, method): operation.get("security") for path, method, operation in _operations(document)
    }
    for public in [
        ("/api/v1/system/version", "get"),
        ("/api/v1/users/login", "post"),
        ("/api/v1/system/config/auth", "get"),
        ("/healthz", "get"),
        ("/readyz", "get"),
    ]:
        assert security[public] == [], public
    assert document["security"] == [{"bearer": []}]
    assert security[("/api/v1/tables", "get")] is None  # the document's bearer requirement
    assert "401" in document["paths"]["/api/v1/tables"]["get"]["responses"]


def test_bodies_reference_openmetadata_schemas_and_every_reference_resolves(
    document: dict[str, Any],
) -> None:
    put = document["paths"]["/api/v1/tables"]["put"]
    assert put["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/createTable"
    }
    assert put["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/table"
    }
    by_name = document["paths"]["/api/v1/tables/name/{fqn}"]["get"]["responses"]["200"]
    assert by_name["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/table"}
    schemas = document["components"]["schemas"]
    assert "columns" in schemas["table"]["properties"]
    refs = re.findall(r'"\$ref": ?"([^"]+)"', json.dumps(document))
    assert refs
    missing = {ref for ref in refs if ref.removeprefix("#/components/schemas/") not in schemas}
    assert missing == set()
    assert not any(ref.startswith("#/$defs/") for ref in refs)


def test_documented_schemas_accept_what_the_server_sends_and_refuse_what_it_refuses(
    client: TestClient, document: dict[str, Any]
) -> None:
    def validator(name: str) -> Any:
        return jsonschema_rs.validator_for(
            {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
        )

    make_hierarchy(client)
    table = ok(put_table(client, "documented", "id", "name"), 201)
    fetched = ok(client.get("/api/v1/tables/name/" + table["fullyQualifiedName"]))
    assert validator("table").is_valid(fetched)
    create = {"name": "t", "databaseSchema": "a.b.c", "columns": [{"name": "id", "dataType": "INT"}]}
    assert validator("createTable").is_valid(create)
    bad = {**create, "columns": [{"name": "id", "dataType": "NOT_A_TYPE"}]}
    assert not validator("createTable").is_valid(bad)
    # ...and the server refuses it as documented: 400 in the error shape.
    refused = client.put("/api/v1/tables", json=bad)
    assert refused.status_code == 400
    assert validator("Error").is_valid(refused.json())


def test_openapi_document_is_not_rebuilt_per_request(client: TestClient) -> None:
    first = client.get("/openapi.json")
    assert first.status_code == 200
    assert client.app.openapi() is client.app.openapi()  # type: ignore[attr-defined]
