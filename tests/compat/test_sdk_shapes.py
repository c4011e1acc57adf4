"""OpenMetadata's SDK (2.0.7.0, unchanged) on shapes, owners, followers, votes, teams and people
search: what the client's own helpers return against ``tessera serve``.

Every entity below was parsed by the client's generated models (``extra='forbid'``). One server
and one SDK worker serve the module; each test works under names of its own.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.compat.client import Sdk, SdkError
from tests.compat.test_sdk import make_schema, put_table

pytestmark = [pytest.mark.compat, pytest.mark.slow]


def make_user(sdk: Sdk, name: str) -> dict[str, Any]:
    user: dict[str, Any] = sdk.call(
        "create_or_update", entity="user", request={"name": name, "email": f"{name}@example.com"}
    )
    return user


def ref(entity: dict[str, Any], entity_type: str) -> dict[str, Any]:
    return {"id": entity["id"], "type": entity_type}


def names(refs: list[dict[str, Any]]) -> list[str]:
    return [r["name"] for r in refs]


def test_a_fresh_table_reads_with_empty_lists_and_the_patch_helpers_work_on_it(sdk: Sdk) -> None:
    schema_fqn = make_schema(sdk, "shape_fresh")["schema"]["fullyQualifiedName"]
    table = put_table(sdk, schema_fqn, "orders", "status")
    read = sdk.call(
        "get_by_name",
        entity="table",
        fqn=table["fullyQualifiedName"],
        fields=["owners", "tags", "followers", "votes", "domains"],
    )
    assert (read["owners"], read["tags"], read["followers"], read["domains"]) == ([], [], [], [])
    assert read["votes"] == {"upVotes": 0, "downVotes": 0, "upVoters": [], "downVoters": []}
    assert [c["tags"] for c in read["columns"]] == [[], []]

    olga = make_user(sdk, "shape.olga")
    owned = sdk.call("patch_owner", entity="table", entity_id=table["id"], owners=[ref(olga, "user")])
    assert [(o["name"], o["type"]) for o in owned["owners"]] == [("shape.olga", "user")]
    described = sdk.call("patch_description", entity="table", entity_id=table["id"], description="Orders")
    assert described["description"] == "Orders"
    column = sdk.call(
        "patch_column_description",
        table_id=table["id"],
        column_fqn=f"{table['fullyQualifiedName']}.status",
        description="Where the order is",
    )
    assert [c.get("description") for c in column["columns"]] == [None, "Where the order is"]
    # Removing the last owner answers an empty list, so the client's next patch has a list to diff.
    cleared = sdk.call("patch_owner", entity="table", entity_id=table["id"], owners=None, force=True)
    assert cleared["owners"] == []
    again = sdk.call("patch_owner", entity="table", entity_id=table["id"], owners=[ref(olga, "user")])
    assert names(again["owners"]) == ["shape.olga"]


def test_list_entities_and_versions_carry_the_requested_fields(sdk: Sdk) -> None:
    schema_fqn = make_schema(sdk, "shape_list")["schema"]["fullyQualifiedName"]
    for name in ("a", "b"):
        put_table(sdk, schema_fqn, name)
    page = sdk.call(
        "list_entities",
        entity="table",
        fields=["owners", "followers", "tags"],
        params={"databaseSchema": schema_fqn},
    )
    assert [(t["name"], t["owners"], t["followers"], t["tags"]) for t in page["entities"]] == [
        ("a", [], [], []),
        ("b", [], [], []),
    ]
    table = page["entities"][0]
    sdk.call("patch_description", entity="table", entity_id=table["id"], description="A")
    history = sdk.call("list_versions", entity="table", entity_id=table["id"])
    assert [v["version"] for v in history["versions"]] == [0.2, 0.1]


def test_unknown_fields_are_a_400_that_lists_the_allowed_ones(sdk: Sdk) -> None:
    schema_fqn = make_schema(sdk, "shape_fields")["schema"]["fullyQualifiedName"]
    table = put_table(sdk, schema_fqn, "t")
    with pytest.raises(SdkError) as refused:
        sdk.call("rest", method="get", path=f"/tables/{table['id']}?fields=owners,colour")
    assert refused.value.status == 400
    assert "colour" in refused.value.detail
    assert "followers" in refused.value.detail


def test_owners_are_inherited_down_the_hierarchy_and_the_client_keeps_them(sdk: Sdk) -> None:
    created = make_schema(sdk, "shape_inherit")
    team = sdk.call("create_or_update", entity="team", request={"name": "shape_owners", "teamType": "Group"})
    table = put_table(sdk, created["schema"]["fullyQualifiedName"], "t")
    sdk.call(
        "patch_owner",
        entity="databaseService",
        entity_id=created["service"]["id"],
        owners=[ref(team, "team")],
    )

    for entity, fqn in (
        ("database", created["database"]["fullyQualifiedName"]),
        ("databaseSchema", created["schema"]["fullyQualifiedName"]),
        ("table", table["fullyQualifiedName"]),
    ):
        read = sdk.call("get_by_name", entity=entity, fqn=fqn, fields=["owners"])
        assert [(o["name"], o["inherited"]) for o in read["owners"]] == [("shape_owners", True)], entity

    # The client leaves an owner alone unless forced, inherited or not, as against OpenMetadata.
    dora = make_user(sdk, "shape.dora")
    assert sdk.call("patch_owner", entity="table", entity_id=table["id"], owners=[ref(dora, "user")]) is None
    forced = sdk.call(
        "patch_owner", entity="table", entity_id=table["id"], owners=[ref(dora, "user")], force=True
    )
    assert [(o["name"], o.get("inherited")) for o in forced["owners"]] == [("shape.dora", None)]
    # The schema's owner now comes first for what still inherits; the table keeps its own.
    sdk.call(
        "patch_owner", entity="databaseSchema", entity_id=created["schema"]["id"], owners=[ref(dora, "user")]
    )
    schema_tables = sdk.call(
        "list_entities",
        entity="table",
        fields=["owners"],
        params={"databaseSchema": created["schema"]["fullyQualifiedName"]},
    )
    assert [[(o["name"], o.get("inherited")) for o in t["owners"]] for t in schema_tables["entities"]] == [
        [("shape.dora", None)]
    ]


def test_followers_and_votes_through_the_clients_rest_calls(sdk: Sdk) -> None:
    schema_fqn = make_schema(sdk, "shape_follow")["schema"]["fullyQualifiedName"]
    table = put_table(sdk, schema_fqn, "t")
    fay = make_user(sdk, "shape.fay")
    added = sdk.call(
        "rest", method="put", path=f"/tables/{table['id']}/followers", data=json.dumps(fay["id"])
    )
    assert added["changeDescription"]["fieldsAdded"][0]["name"] == "followers"
    voted = sdk.call(
        "rest",
        method="put",
        path=f"/tables/{table['id']}/vote",
        data=json.dumps({"updatedVoteType": "votedUp"}),
    )
    assert voted["changeDescription"]["fieldsUpdated"][0]["name"] == "votes"

    read = sdk.call(
        "get_by_name", entity="table", fqn=table["fullyQualifiedName"], fields=["followers", "votes"]
    )
    assert names(read["followers"]) == ["shape.fay"]
    assert (read["votes"]["upVotes"], read["votes"]["downVotes"]) == (1, 0)
    assert len(read["votes"]["upVoters"]) == 1
    assert read["version"] == table["version"]  # following and voting are no edits
    follows = sdk.call("get_by_name", entity="user", fqn="shape.fay", fields=["follows"])["follows"]
    assert [(f["name"], f["type"]) for f in follows] == [("t", "table")]

    sdk.call(
        "rest",
        method="put",
        path=f"/tables/{table['id']}/vote",
        data=json.dumps({"updatedVoteType": "votedDown"}),
    )
    sdk.call("rest", method="delete", path=f"/tables/{table['id']}/followers/{fay['id']}")
    read = sdk.call("get_by_id", entity="table", entity_id=table["id"], fields=["followers", "votes"])
    assert read["followers"] == []
    assert (read["votes"]["upVotes"], read["votes"]["downVotes"]) == (0, 1)


def test_team_hierarchy_types_counts_email_and_owners(sdk: Sdk) -> None:
    unit = sdk.call(
        "create_or_update", entity="team", request={"name": "shape_bu", "teamType": "BusinessUnit"}
    )
    division = sdk.call(
        "create_or_update",
        entity="team",
        request={"name": "shape_division", "teamType": "Division", "parents": [unit["id"]]},
    )
    group = sdk.call(
        "create_or_update",
        entity="team",
        request={
            "name": "shape_group",
            "teamType": "Group",
            "parents": [division["id"]],
            "email": "shape-group@example.com",
        },
    )
    sdk.call(
        "create_or_update",
        entity="user",
        request={"name": "shape.gus", "email": "shape.gus@example.com", "teams": [group["id"]]},
    )
    read = sdk.call(
        "get_by_name",
        entity="team",
        fqn="shape_division",
        fields=["children", "childrenCount", "userCount", "parents", "defaultRoles", "owners"],
    )
    assert names(read["children"]) == ["shape_group"]
    assert (read["childrenCount"], read["userCount"]) == (1, 1)
    assert names(read["parents"]) == ["shape_bu"]
    assert (read["defaultRoles"], read["owners"]) == ([], [])
    assert read["teamType"] == "Division"
    members = sdk.call("get_by_name", entity="team", fqn="shape_group", fields=["userCount", "users"])
    assert (members["userCount"], names(members["users"])) == (1, ["shape.gus"])
    assert members["email"] == "shape-group@example.com"

    # A Group has no child teams; a Division cannot sit under a Department.
    with pytest.raises(SdkError) as under_group:
        sdk.call(
            "create_or_update",
            entity="team",
            request={"name": "shape_nested", "teamType": "Group", "parents": [group["id"]]},
        )
    assert under_group.value.status == 400

    owner = make_user(sdk, "shape.hal")
    owned = sdk.call("patch_owner", entity="team", entity_id=group["id"], owners=[ref(owner, "user")])
    assert names(owned["owners"]) == ["shape.hal"]
    schema = make_schema(sdk, "shape_owned")["schema"]
    sdk.call("patch_owner", entity="databaseSchema", entity_id=schema["id"], owners=[ref(group, "team")])
    owns = sdk.call("get_by_name", entity="team", fqn="shape_group", fields=["owns"])["owns"]
    assert [(o["type"], o["fullyQualifiedName"]) for o in owns] == [
        ("databaseSchema", "shape_owned.shop.main")
    ]
    # A member owns what the team owns.
    gus = sdk.call("get_by_name", entity="user", fqn="shape.gus", fields=["owns", "teams"])
    assert [o["name"] for o in gus["owns"]] == ["main"]


def test_people_and_teams_are_found_by_name_display_name_and_email(sdk: Sdk) -> None:
    team = sdk.call(
        "create_or_update",
        entity="team",
        request={"name": "shape_finance", "teamType": "Group", "email": "finance@example.com"},
    )
    sdk.call(
        "create_or_update",
        entity="user",
        request={"name": "shape.ida", "email": "ida.berg@example.com", "displayName": "Ida Berg"},
    )
    assert sdk.call("get_reference_by_email", email="finance@example.com") == [
        {"id": team["id"], "type": "team", "name": "shape_finance"}
    ]
    assert names(sdk.call("get_reference_by_email", email="ida.berg@example.com")) == ["shape.ida"]
    assert names(sdk.call("get_reference_by_name", name="Ida Berg")) == ["shape.ida"]

    def hits(index: str, q: str) -> list[str]:
        found = sdk.call("rest", method="get", path=f"/search/query?index={index}&q={q}")
        return [hit["_source"]["name"] for hit in found["hits"]["hits"]]

    assert hits("user_search_index", "ida.berg@example.com") == ["shape.ida"]
    assert hits("user_search_index", "Berg") == ["shape.ida"]
    assert hits("team_search_index", "finance@example.com") == ["shape_finance"]
