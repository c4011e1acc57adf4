"""``GET /api/v1/permissions/{entityType}/{id}``: what the caller may do to one entity, decided as
a write on it is (roles, policies, conditions on the entity with its inherited owners), so that
the UI shows a control exactly when the server would accept its change."""

from __future__ import annotations

from typing import Any

from tests.integration.catalog.helpers import SCHEMA, make_hierarchy
from tests.integration.security.conftest import Session
from tests.integration.security.test_policy_vocabulary import STRONG, _AuthorizedClient

EDITS = ("EditDescription", "EditTags", "EditOwners", "EditAll", "Delete")


def _access(session: Session, headers: dict[str, str], path: str) -> dict[str, str]:
    response = session.client.get(f"/api/v1/permissions/{path}", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["resource"] == path.split("/")[0]
    access = {p["operation"]: p["access"] for p in body["permissions"]}
    return {operation: access[operation] for operation in EDITS}


def test_permissions_say_what_a_write_on_the_entity_would_be_told(session: Session) -> None:
    admin_token = session.admin_token()
    admin = session.as_(admin_token)
    hierarchy = make_hierarchy(_AuthorizedClient(session.client, admin))
    table = session.client.put(
        "/api/v1/tables",
        json={"name": "t", "databaseSchema": SCHEMA, "columns": [{"name": "id", "dataType": "INT"}]},
        headers=admin,
    ).json()
    session.create_user(admin_token, "ann", password=STRONG)
    bob = session.create_user(admin_token, "bob", password=STRONG)
    as_ann = session.as_(session.token_for("ann", STRONG))
    as_bob = session.as_(session.token_for("bob", STRONG))
    by_id, by_name = f"table/{table['id']}", f"table/name/{SCHEMA}.t"

    # A data consumer edits descriptions and tags, and may claim what nobody owns.
    assert _access(session, as_ann, by_id) == {
        "EditDescription": "allow",
        "EditTags": "allow",
        "EditOwners": "allow",
        "EditAll": "notAllow",
        "Delete": "notAllow",
    }
    assert _access(session, as_ann, by_name) == _access(session, as_ann, by_id)
    # Once bob owns the schema, the table is his (inherited): ann may no longer set its owners,
    # bob may do anything to it; each write is told the same.
    owned = session.client.patch(
        f"/api/v1/databaseSchemas/{hierarchy['schema']['id']}",
        json=[{"op": "add", "path": "/owners", "value": [{"id": bob["id"], "type": "user"}]}],
        headers=admin,
    )
    assert owned.status_code == 200, owned.text
    assert _access(session, as_ann, by_id)["EditOwners"] == "notAllow"
    assert set(_access(session, as_bob, by_id).values()) == {"allow"}
    claim = [{"op": "add", "path": "/owners", "value": [{"id": bob["id"], "type": "user"}]}]
    assert (
        session.client.patch(f"/api/v1/tables/{table['id']}", json=claim, headers=as_ann).status_code == 403
    )
    column = [{"op": "add", "path": "/columns/0/description", "value": "Key"}]
    assert (
        session.client.patch(f"/api/v1/tables/{table['id']}", json=column, headers=as_bob).status_code == 200
    )
    assert set(_access(session, admin, by_id).values()) == {"allow"}

    # An unknown kind is named; an entity that does not exist is a 404.
    unknown = session.client.get(f"/api/v1/permissions/tabel/{table['id']}", headers=as_ann)
    assert unknown.status_code == 400
    assert "tabel" in unknown.json()["message"]
    missing = session.client.get(f"/api/v1/permissions/table/name/{SCHEMA}.nope", headers=as_ann)
    assert missing.status_code == 404
    assert session.client.get(f"/api/v1/permissions/{by_id}").status_code == 401
