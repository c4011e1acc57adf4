"""If-Match on PATCH (RFC 9110 13.1.1): ``*`` or a list of entity tags."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from tests.integration.catalog.helpers import make_hierarchy, ok, put_table


def _patch(client: TestClient, path: str, value: str, if_match: str) -> object:
    return client.patch(
        path, json=[{"op": "add", "path": "/description", "value": value}], headers={"If-Match": if_match}
    )


def test_if_match_star_matches_any_current_version(client: TestClient) -> None:
    make_hierarchy(client)
    table = ok(put_table(client, "orders", "id"), 201)
    path = f"/api/v1/tables/{table['id']}"
    first = ok(_patch(client, path, "one", "*"))
    assert first["version"] == 0.2
    assert ok(_patch(client, path, "two", " * "))["version"] == 0.3
    missing = _patch(client, f"/api/v1/tables/{uuid.uuid4()}", "x", "*")
    assert missing.status_code == 404  # type: ignore[attr-defined]


def test_if_match_lists_entity_tags(client: TestClient) -> None:
    make_hierarchy(client)
    table = ok(put_table(client, "orders", "id"), 201)
    path = f"/api/v1/tables/{table['id']}"
    assert ok(_patch(client, path, "one", 'W/"0.3", W/"0.1"'))["version"] == 0.2
    stale = _patch(client, path, "two", 'W/"0.1", "0.3"')
    assert stale.status_code == 412  # type: ignore[attr-defined]
    assert "0.2" in stale.json()["message"]  # type: ignore[attr-defined]
    bad = _patch(client, path, "two", "yesterday")
    assert bad.status_code == 400  # type: ignore[attr-defined]
