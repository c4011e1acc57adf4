"""A JSON Patch is authorized on everything it changes, not only on its ``path`` pointers.

The audit: a DataConsumer (EditDescription, not EditDisplayName) got 403 for
``add /displayName`` but 200 for ``{"op":"move","from":"/displayName","path":"/description"}``,
and the display name was gone.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.catalog.helpers import SCHEMA, SERVICE, columns
from tests.integration.security.conftest import Session

STRONG = "Str0ng!Passw0rd-for-tests"


def _table(session: Session, headers: dict[str, str], **extra: Any) -> dict[str, Any]:
    client = session.client
    client.put(
        "/api/v1/services/databaseServices", json={"name": SERVICE, "serviceType": "SQLite"}, headers=headers
    )
    client.put("/api/v1/databases", json={"name": "testdb", "service": SERVICE}, headers=headers)
    client.put(
        "/api/v1/databaseSchemas", json={"name": "main", "database": f"{SERVICE}.testdb"}, headers=headers
    )
    response = client.put(
        "/api/v1/tables",
        json={"name": "t", "databaseSchema": SCHEMA, "columns": columns("a"), "displayName": "T", **extra},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    table: dict[str, Any] = response.json()
    return table


@pytest.mark.parametrize(
    ("patch", "operation"),
    [
        ([{"op": "move", "from": "/displayName", "path": "/description"}], "EditDisplayName"),
        ([{"op": "move", "from": "/columns", "path": "/description"}], "EditAll"),
        ([{"op": "replace", "path": "", "value": "REPLACED"}], "EditAll"),
        (
            [{"op": "add", "path": "/description", "value": "ok"}, {"op": "remove", "path": "/displayName"}],
            "EditDisplayName",
        ),
    ],
)
def test_every_pointer_and_every_change_is_authorized(
    session: Session, patch: list[dict[str, Any]], operation: str
) -> None:
    admin = session.as_(session.admin_token())
    table = _table(session, admin)
    session.create_user(session.admin_token(), "frank", password=STRONG)
    frank = session.as_(session.token_for("frank", STRONG))
    response = session.client.patch(f"/api/v1/tables/{table['id']}", json=patch, headers=frank)
    assert response.status_code == 403, response.text
    assert response.json() == {
        "code": 403,
        "message": f"You need the {operation} permission on tables (from a role or policy), "
        "or to be an administrator; frank@example.com has neither",
    }
    after = session.client.get(f"/api/v1/tables/{table['id']}", headers=admin).json()
    assert after["displayName"] == "T"
    assert after["version"] == table["version"]


def test_root_replace_needs_edit_all_even_when_it_only_changes_a_description(session: Session) -> None:
    admin_token = session.admin_token()
    admin = session.as_(admin_token)
    table = _table(session, admin)
    session.create_user(admin_token, "frank", password=STRONG)
    frank = session.as_(session.token_for("frank", STRONG))
    stored = session.client.get(f"/api/v1/tables/{table['id']}", headers=admin).json()
    stored.pop("href")
    whole = {**stored, "description": "only this changes"}
    patch = [{"op": "replace", "path": "", "value": whole}]
    refused = session.client.patch(f"/api/v1/tables/{table['id']}", json=patch, headers=frank)
    assert refused.status_code == 403, refused.text
    assert "You need the EditAll permission" in refused.json()["message"]
    # The same change by its pointer is a description edit, which frank may make.
    by_field = [{"op": "add", "path": "/description", "value": "only this changes"}]
    assert (
        session.client.patch(f"/api/v1/tables/{table['id']}", json=by_field, headers=frank).status_code == 200
    )


def test_owners_still_move_fields_of_what_they_own(session: Session) -> None:
    admin_token = session.admin_token()
    grace = session.create_user(admin_token, "grace", password=STRONG)
    table = _table(session, session.as_(admin_token), owners=[{"id": grace["id"], "type": "user"}])
    g = session.as_(session.token_for("grace", STRONG))
    moved = session.client.patch(
        f"/api/v1/tables/{table['id']}",
        json=[{"op": "move", "from": "/displayName", "path": "/description"}],
        headers=g,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["description"] == "T"
    assert "displayName" not in moved.json()
