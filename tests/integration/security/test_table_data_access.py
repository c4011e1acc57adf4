"""Who may see and change table data and lineage: PII.Sensitive values masked in sample data for
all but administrators, bots and owners; sample data, profiles and lineage each behind their own
operations.
"""

from __future__ import annotations

from typing import Any

from tests.integration.catalog.helpers import DATABASE, SCHEMA, SERVICE
from tests.integration.security.conftest import Session

STRONG = "Str0ng!Passw0rd-for-tests"
PII = {"tagFQN": "PII.Sensitive", "source": "Classification", "labelType": "Manual", "state": "Confirmed"}


def _tables(session: Session, admin: dict[str, str], owner: dict[str, Any]) -> dict[str, dict[str, Any]]:
    client = session.client
    for path, body in (
        ("/api/v1/services/databaseServices", {"name": SERVICE, "serviceType": "SQLite"}),
        ("/api/v1/databases", {"name": "testdb", "service": SERVICE}),
        ("/api/v1/databaseSchemas", {"name": "main", "database": DATABASE}),
    ):
        assert client.put(path, json=body, headers=admin).status_code == 201
    made = {}
    for name, extra in (("people", {}), ("mine", {"owners": [{"id": owner["id"], "type": "user"}]})):
        columns = [
            {"name": "id", "dataType": "INT"},
            {"name": "email", "dataType": "VARCHAR", "dataLength": 80, "tags": [PII]},
        ]
        response = client.put(
            "/api/v1/tables",
            json={"name": name, "databaseSchema": SCHEMA, "columns": columns, **extra},
            headers=admin,
        )
        assert response.status_code == 201, response.text
        made[name] = response.json()
        sample = {"columns": ["id", "email"], "rows": [[1, "ann@example.com"], [2, "bob@example.com"]]}
        put = client.put(f"/api/v1/tables/{made[name]['id']}/sampleData", json=sample, headers=admin)
        assert put.status_code == 200, put.text
        assert put.json()["sampleData"]["rows"][0] == [1, "ann@example.com"]
    return made


def test_pii_values_are_masked_for_all_but_owners_and_administrators(session: Session) -> None:
    admin = session.as_(session.admin_token())
    consumer = session.client.get("/api/v1/roles/name/DataConsumer", headers=admin).json()
    ivan = session.create_user(session.admin_token(), "ivan", password=STRONG, roles=[consumer["id"]])
    tables = _tables(session, admin, ivan)
    as_ivan = session.as_(session.token_for("ivan", STRONG))

    seen = session.client.get(f"/api/v1/tables/{tables['people']['id']}/sampleData", headers=as_ivan)
    assert seen.status_code == 200, seen.text
    assert seen.json()["sampleData"]["rows"] == [[1, "********"], [2, "********"]]
    in_fields = session.client.get(
        f"/api/v1/tables/{tables['people']['id']}?fields=sampleData", headers=as_ivan
    )
    assert in_fields.json()["sampleData"]["rows"][1] == [2, "********"]
    owned = session.client.get(f"/api/v1/tables/{tables['mine']['id']}/sampleData", headers=as_ivan)
    assert owned.json()["sampleData"]["rows"][0] == [1, "ann@example.com"]
    as_admin = session.client.get(f"/api/v1/tables/{tables['people']['id']}/sampleData", headers=admin)
    assert as_admin.json()["sampleData"]["rows"][0] == [1, "ann@example.com"]

    # A data consumer may look but not write sample data, profiles or lineage.
    refused = session.client.put(
        f"/api/v1/tables/{tables['people']['id']}/sampleData",
        json={"columns": ["id"], "rows": [[3]]},
        headers=as_ivan,
    )
    assert refused.status_code == 403
    assert "EditSampleData" in refused.json()["message"]
    profile = {"tableProfile": {"timestamp": 1, "rowCount": 2}}
    refused = session.client.put(
        f"/api/v1/tables/{tables['people']['id']}/tableProfile", json=profile, headers=as_ivan
    )
    assert refused.status_code == 403
    assert "EditDataProfile" in refused.json()["message"]
    edge = {
        "edge": {
            "fromEntity": {"id": tables["people"]["id"], "type": "table"},
            "toEntity": {"id": tables["mine"]["id"], "type": "table"},
        }
    }
    refused = session.client.put("/api/v1/lineage", json=edge, headers=as_ivan)
    assert refused.status_code == 403
    assert (
        refused.json()["message"]
        == "You need the EditLineage permission on tables (from a role or policy), or to be an "
        "administrator; ivan@example.com has neither"
    )
    # From a table he owns, he may.
    mine = {"edge": {"fromEntity": edge["edge"]["toEntity"], "toEntity": edge["edge"]["fromEntity"]}}
    assert session.client.put("/api/v1/lineage", json=mine, headers=as_ivan).status_code == 200
    lineage = session.client.get(f"/api/v1/lineage/table/{tables['people']['id']}", headers=as_ivan)
    assert [node["name"] for node in lineage.json()["nodes"]] == ["mine"]


def test_lineage_leaves_out_what_the_caller_may_not_see(session: Session) -> None:
    admin_token = session.admin_token()
    admin = session.as_(admin_token)
    consumer = session.client.get("/api/v1/roles/name/DataConsumer", headers=admin).json()
    policy = session.client.put(
        "/api/v1/policies",
        json={
            "name": "HideMine",
            "rules": [
                {
                    "name": "hide",
                    "resources": ["table"],
                    "operations": ["ViewAll"],
                    "effect": "deny",
                    "condition": "isOwner()",
                }
            ],
        },
        headers=admin,
    )
    assert policy.status_code == 201, policy.text
    role = session.client.put(
        "/api/v1/roles", json={"name": "Hidden", "policies": ["HideMine"]}, headers=admin
    )
    judy = session.create_user(
        admin_token, "judy", password=STRONG, roles=[consumer["id"], role.json()["id"]]
    )
    tables = _tables(session, admin, judy)
    edge = {
        "edge": {
            "fromEntity": {"id": tables["people"]["id"], "type": "table"},
            "toEntity": {"id": tables["mine"]["id"], "type": "table"},
        }
    }
    assert session.client.put("/api/v1/lineage", json=edge, headers=admin).status_code == 200
    as_judy = session.as_(session.token_for("judy", STRONG))
    seen = session.client.get(f"/api/v1/lineage/table/{tables['people']['id']}", headers=as_judy)
    assert seen.status_code == 200, seen.text
    assert seen.json()["nodes"] == []
    assert seen.json()["downstreamEdges"] == []
    hidden = session.client.get(f"/api/v1/lineage/table/{tables['mine']['id']}", headers=as_judy)
    assert hidden.status_code == 403
