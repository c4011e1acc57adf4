"""Inherited owners count for isOwner() and noOwner(), as in OpenMetadata: a table in a schema
its owner owns is theirs, on a read, in a list and on a write."""

from __future__ import annotations

from typing import Any

from tests.integration.catalog.helpers import DATABASE, SCHEMA, make_hierarchy
from tests.integration.security.conftest import Session
from tests.integration.security.test_policy_vocabulary import STRONG, _AuthorizedClient


def _policy(session: Session, admin: dict[str, str], name: str, rule: dict[str, Any]) -> dict[str, Any]:
    policy = session.client.put("/api/v1/policies", json={"name": name, "rules": [rule]}, headers=admin)
    assert policy.status_code == 201, policy.text
    role = session.client.put("/api/v1/roles", json={"name": name, "policies": [name]}, headers=admin)
    assert role.status_code == 201, role.text
    body: dict[str, Any] = role.json()
    return body


def test_an_owner_of_the_schema_owns_its_tables_for_the_authorizer(session: Session) -> None:
    admin_token = session.admin_token()
    admin = session.as_(admin_token)
    hierarchy = make_hierarchy(_AuthorizedClient(session.client, admin))
    other = session.client.put(
        "/api/v1/databaseSchemas", json={"name": "other", "database": DATABASE}, headers=admin
    )
    assert other.status_code == 201, other.text
    owners_only = _policy(
        session,
        admin,
        "OwnersOnly",
        {
            "name": "r",
            "resources": ["Table"],
            "operations": ["ViewAll"],
            "effect": "deny",
            "condition": "!isOwner()",
        },
    )
    consumer = session.client.get("/api/v1/roles/name/DataConsumer", headers=admin).json()
    ivy = session.create_user(admin_token, "ivy", password=STRONG, roles=[consumer["id"], owners_only["id"]])
    as_ivy = session.as_(session.token_for("ivy", STRONG))
    for schema in (SCHEMA, f"{DATABASE}.other"):
        created = session.client.put(
            "/api/v1/tables",
            json={"name": "t", "databaseSchema": schema, "columns": [{"name": "id", "dataType": "INT"}]},
            headers=admin,
        )
        assert created.status_code == 201, created.text
    owned = session.client.patch(
        f"/api/v1/databaseSchemas/{hierarchy['schema']['id']}",
        json=[{"op": "add", "path": "/owners", "value": [{"id": ivy["id"], "type": "user"}]}],
        headers=admin,
    )
    assert owned.status_code == 200, owned.text

    mine = session.client.get(f"/api/v1/tables/name/{SCHEMA}.t?fields=owners", headers=as_ivy)
    assert mine.status_code == 200, mine.text
    assert [(o["name"], o["inherited"]) for o in mine.json()["owners"]] == [("ivy", True)]
    assert session.client.get(f"/api/v1/tables/name/{DATABASE}.other.t", headers=as_ivy).status_code == 403
    listed = session.client.get("/api/v1/tables?limit=50", headers=as_ivy).json()["data"]
    assert [t["fullyQualifiedName"] for t in listed] == [f"{SCHEMA}.t"]
    hits = session.client.get("/api/v1/search/query?q=*&index=table_search_index", headers=as_ivy).json()
    assert [hit["_source"]["fullyQualifiedName"] for hit in hits["hits"]["hits"]] == [f"{SCHEMA}.t"]

    # Taking the schema from ivy takes its tables from her at once: nothing was copied.
    session.client.patch(
        f"/api/v1/databaseSchemas/{hierarchy['schema']['id']}",
        json=[{"op": "remove", "path": "/owners"}],
        headers=admin,
    )
    assert session.client.get(f"/api/v1/tables/name/{SCHEMA}.t", headers=as_ivy).status_code == 403


def test_no_owner_is_false_for_a_table_that_inherits_one(session: Session) -> None:
    admin_token = session.admin_token()
    admin = session.as_(admin_token)
    hierarchy = make_hierarchy(_AuthorizedClient(session.client, admin))
    claim = _policy(
        session,
        admin,
        "ClaimUnowned",
        {
            "name": "r",
            "resources": ["Table"],
            "operations": ["EditOwners"],
            "effect": "allow",
            "condition": "noOwner()",
        },
    )
    dan = session.create_user(admin_token, "dan", password=STRONG, roles=[claim["id"]])
    kim = session.create_user(admin_token, "kim", password=STRONG)
    as_dan = session.as_(session.token_for("dan", STRONG))
    table = session.client.put(
        "/api/v1/tables",
        json={"name": "t", "databaseSchema": SCHEMA, "columns": [{"name": "id", "dataType": "INT"}]},
        headers=admin,
    ).json()
    session.client.patch(
        f"/api/v1/services/databaseServices/{hierarchy['service']['id']}",
        json=[{"op": "add", "path": "/owners", "value": [{"id": kim["id"], "type": "user"}]}],
        headers=admin,
    )
    claimed = session.client.patch(
        f"/api/v1/tables/{table['id']}",
        json=[{"op": "replace", "path": "/owners", "value": [{"id": dan["id"], "type": "user"}]}],
        headers=as_dan,
    )
    assert claimed.status_code == 403, claimed.text
