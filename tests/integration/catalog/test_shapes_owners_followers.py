"""Response shapes with OpenMetadata's defaults, owners inherited down the hierarchy, followers.

Each runs on SQLite, PostgreSQL and MariaDB (the ``client`` fixture's database).
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.integration.catalog.helpers import SCHEMA, assert_valid_entity, make_hierarchy, ok, put_table


def make_user(client: TestClient, name: str) -> dict[str, Any]:
    return ok(client.put("/api/v1/users", json={"name": name, "email": f"{name}@example.com"}), 201)


def make_team(client: TestClient, name: str, **extra: Any) -> dict[str, Any]:
    return ok(client.put("/api/v1/teams", json={"name": name, "teamType": "Group", **extra}), 201)


def test_requested_fields_are_present_with_openmetadata_defaults(client: TestClient) -> None:
    make_hierarchy(client)
    table = ok(put_table(client, "orders", "id"), 201)
    read = ok(client.get(f"/api/v1/tables/{table['id']}?fields=owners,tags,followers,votes,domains"))
    assert (read["owners"], read["tags"], read["followers"], read["domains"]) == ([], [], [], [])
    assert read["votes"] == {"upVotes": 0, "downVotes": 0, "upVoters": [], "downVoters": []}
    assert read["columns"][0]["tags"] == []
    assert_valid_entity("table", read)
    # Not asked for: left out, as OpenMetadata does.
    plain = ok(client.get(f"/api/v1/tables/{table['id']}"))
    assert "owners" not in plain
    assert "followers" not in plain
    assert "tags" not in plain
    # The create response carries the empty lists too, and a list page does for what it asks.
    assert table["owners"] == []
    assert table["followers"] == []
    page = ok(client.get("/api/v1/tables?fields=owners,followers"))
    assert [(t["owners"], t["followers"]) for t in page["data"]] == [([], [])]
    # Schema defaults of always-present fields.
    user = make_user(client, "shape.sam")
    assert (user["isBot"], user["isAdmin"]) == (False, False)
    team = make_team(client, "shape_team")
    assert team["isJoinable"] is True


def test_unknown_fields_are_a_400_listing_the_allowed_ones(client: TestClient) -> None:
    make_hierarchy(client)
    table = ok(put_table(client, "orders", "id"), 201)
    bad = client.get(f"/api/v1/tables/{table['id']}?fields=owners,colour")
    assert bad.status_code == 400
    message = bad.json()["message"]
    assert "colour" in message
    assert "followers" in message


def test_a_patch_that_removes_the_last_owner_answers_an_empty_list(client: TestClient) -> None:
    make_hierarchy(client)
    user = make_user(client, "olga")
    table = ok(put_table(client, "orders", "id"), 201)
    owned = ok(
        client.patch(
            f"/api/v1/tables/{table['id']}",
            json=[{"op": "add", "path": "/owners", "value": [{"id": user["id"], "type": "user"}]}],
        )
    )
    assert [o["name"] for o in owned["owners"]] == ["olga"]
    cleared = ok(client.patch(f"/api/v1/tables/{table['id']}", json=[{"op": "remove", "path": "/owners/0"}]))
    assert cleared["owners"] == []


def test_owners_are_inherited_down_the_hierarchy_at_read_time(client: TestClient) -> None:
    hierarchy = make_hierarchy(client)
    team = make_team(client, "data_team")
    user = make_user(client, "petra")
    tables = [ok(put_table(client, name, "id"), 201) for name in ("a", "b", "c")]
    owners = [{"id": team["id"], "type": "team"}]
    ok(
        client.patch(
            f"/api/v1/services/databaseServices/{hierarchy['service']['id']}",
            json=[{"op": "add", "path": "/owners", "value": owners}],
        )
    )

    def reported(path: str) -> list[tuple[str, bool | None]]:
        return [(o["name"], o.get("inherited")) for o in ok(client.get(path))["owners"]]

    assert reported(f"/api/v1/databases/{hierarchy['database']['id']}?fields=owners") == [("data_team", True)]
    assert reported(f"/api/v1/databaseSchemas/name/{SCHEMA}?fields=owners") == [("data_team", True)]
    page = ok(client.get(f"/api/v1/tables?databaseSchema={SCHEMA}&fields=owners"))
    assert [[(o["name"], o["inherited"]) for o in t["owners"]] for t in page["data"]] == [
        [("data_team", True)]
    ] * 3
    # The nearest container with owners wins: the schema's owner now, for every table.
    ok(
        client.patch(
            f"/api/v1/databaseSchemas/{hierarchy['schema']['id']}",
            json=[{"op": "add", "path": "/owners", "value": [{"id": user["id"], "type": "user"}]}],
        )
    )
    assert reported(f"/api/v1/tables/{tables[0]['id']}?fields=owners") == [("petra", True)]
    # An owner of its own replaces what a table inherits, and is not marked inherited.
    read = ok(client.get(f"/api/v1/tables/{tables[1]['id']}?fields=owners"))
    patched = ok(
        client.patch(
            f"/api/v1/tables/{tables[1]['id']}",
            json=[{"op": "replace", "path": "/owners", "value": [{"id": team["id"], "type": "team"}]}],
        )
    )
    assert read["owners"][0]["inherited"] is True
    assert [(o["name"], o.get("inherited")) for o in patched["owners"]] == [("data_team", None)]
    # A patch of another field keeps the table inheriting: nothing inherited is stored.
    described = ok(
        client.patch(
            f"/api/v1/tables/{tables[2]['id']}",
            json=[{"op": "add", "path": "/description", "value": "C"}],
        )
    )
    assert [(o["name"], o["inherited"]) for o in described["owners"]] == [("petra", True)]
    versions = ok(client.get(f"/api/v1/tables/{tables[2]['id']}/versions"))["versions"]
    assert all('"inherited"' not in version for version in versions)


def test_followers_are_added_listed_and_removed_without_a_new_version(client: TestClient) -> None:
    make_hierarchy(client)
    table = ok(put_table(client, "orders", "id"), 201)
    other = ok(put_table(client, "items", "id"), 201)
    ada, bob = make_user(client, "ada"), make_user(client, "bob")
    event = ok(client.put(f"/api/v1/tables/{table['id']}/followers", content=f'"{ada["id"]}"'))
    assert event["eventType"] == "entityUpdated"
    assert event["changeDescription"]["fieldsAdded"][0]["name"] == "followers"
    ok(client.put(f"/api/v1/tables/{table['id']}/followers", content=bob["id"]))
    ok(client.put(f"/api/v1/tables/{other['id']}/followers/{bob['id']}"))
    again = ok(client.put(f"/api/v1/tables/{table['id']}/followers", content=f'"{ada["id"]}"'))
    assert again["eventType"] == "entityNoChange"

    read = ok(client.get(f"/api/v1/tables/{table['id']}?fields=followers"))
    assert [f["name"] for f in read["followers"]] == ["ada", "bob"]
    assert read["version"] == 0.1
    page = ok(client.get("/api/v1/tables?fields=followers"))
    assert {t["name"]: [f["name"] for f in t["followers"]] for t in page["data"]} == {
        "items": ["bob"],
        "orders": ["ada", "bob"],
    }
    follows = ok(client.get(f"/api/v1/users/{bob['id']}?fields=follows"))["follows"]
    assert sorted(f["name"] for f in follows) == ["items", "orders"]

    removed = ok(client.delete(f"/api/v1/tables/{table['id']}/followers/{ada['id']}"))
    assert removed["changeDescription"]["fieldsDeleted"][0]["name"] == "followers"
    read = ok(client.get(f"/api/v1/tables/{table['id']}?fields=followers"))
    assert [f["name"] for f in read["followers"]] == ["bob"]
    missing = client.put(f"/api/v1/tables/{table['id']}/followers", content='"not-a-user"')
    assert missing.status_code == 404
    # A hard-deleted table takes its followers with it.
    ok(client.delete(f"/api/v1/tables/{other['id']}?hardDelete=true"))
    follows = ok(client.get(f"/api/v1/users/{bob['id']}?fields=follows"))["follows"]
    assert [f["name"] for f in follows] == ["orders"]


def test_team_children_and_counts(client: TestClient) -> None:
    division = ok(client.put("/api/v1/teams", json={"name": "Sales", "teamType": "Division"}), 201)
    group = make_team(client, "sales_emea", parents=[division["id"]], email="emea@example.com")
    ok(
        client.put("/api/v1/users", json={"name": "eve", "email": "eve@example.com", "teams": [group["id"]]}),
        201,
    )
    read = ok(client.get(f"/api/v1/teams/{division['id']}?fields=children,childrenCount,userCount,parents"))
    assert [c["name"] for c in read["children"]] == ["sales_emea"]
    # Users of the teams under it count too, as in OpenMetadata.
    assert (read["childrenCount"], read["userCount"]) == (1, 1)
    assert [p["name"] for p in read["parents"]] == ["Organization"]
    read = ok(client.get(f"/api/v1/teams/{group['id']}?fields=userCount,users,childrenCount,defaultRoles"))
    assert (read["userCount"], read["childrenCount"], read["defaultRoles"]) == (1, 0, [])
    assert read["email"] == "emea@example.com"


def test_search_finds_users_and_teams_by_name_display_name_and_email(client: TestClient) -> None:
    team = make_team(client, "finance_ops", displayName="Finance Operations", email="fin-ops@example.com")
    user = ok(
        client.put(
            "/api/v1/users",
            json={
                "name": "mia",
                "email": "Mia.Lund@example.com",
                "displayName": "Mia Lund",
                "teams": [team["id"]],
            },
        ),
        201,
    )

    def found(index: str, q: str) -> list[str]:
        hits = ok(client.get("/api/v1/search/query", params={"index": index, "q": q}))["hits"]["hits"]
        return [hit["_source"]["name"] for hit in hits]

    assert found("user_search_index", "mia.lund@example.com") == ["mia"]
    assert found("user_search_index", "Lund") == ["mia"]
    assert found("user_search_index", "email.keyword:mia.lund@example.com") == ["mia"]
    assert found("team_search_index", "fin-ops@example.com") == ["finance_ops"]
    assert found("team_search_index", "Operations") == ["finance_ops"]
    assert found("team_search_index", "email.keyword:fin-ops@example.com") == ["finance_ops"]
    hit = ok(client.get("/api/v1/search/query", params={"index": "user_search_index", "q": "mia"}))["hits"][
        "hits"
    ][0]
    source = hit["_source"]
    assert (source["email"], source["isBot"], [t["name"] for t in source["teams"]]) == (
        user["email"],
        False,
        ["finance_ops"],
    )


def test_users_and_teams_report_what_they_own(client: TestClient) -> None:
    hierarchy = make_hierarchy(client)
    team = make_team(client, "owning_team")
    ok(
        client.put("/api/v1/users", json={"name": "oda", "email": "oda@example.com", "teams": [team["id"]]}),
        201,
    )
    oda = ok(client.get("/api/v1/users/name/oda"))
    table = ok(put_table(client, "orders", "id", owners=[{"id": oda["id"], "type": "user"}]), 201)
    ok(
        client.patch(
            f"/api/v1/databases/{hierarchy['database']['id']}",
            json=[{"op": "add", "path": "/owners", "value": [{"id": team["id"], "type": "team"}]}],
        )
    )

    def owns(path: str) -> list[tuple[str, str]]:
        return [(r["type"], r["name"]) for r in ok(client.get(f"{path}?fields=owns"))["owns"]]

    assert owns(f"/api/v1/teams/{team['id']}") == [("database", "testdb")]
    # A user owns what their teams own too; inherited ownership is not listed, as in OpenMetadata.
    assert owns(f"/api/v1/users/{oda['id']}") == [("database", "testdb"), ("table", "orders")]
    ok(client.patch(f"/api/v1/tables/{table['id']}", json=[{"op": "remove", "path": "/owners"}]))
    assert owns(f"/api/v1/users/{oda['id']}") == [("database", "testdb")]
