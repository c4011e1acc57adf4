"""What every catalog has, as OpenMetadata's clients assume: the Organization team at the root of
a hierarchy whose nesting rules hold, and OpenMetadata's default bots with their roles."""

from __future__ import annotations

from typing import Any

from tests.integration.security.conftest import Session

BOTS = {
    "ingestion-bot": "IngestionBotRole",
    "profiler-bot": "ProfilerBotRole",
    "lineage-bot": "LineageBotRole",
    "usage-bot": "UsageBotRole",
    "testsuite-bot": "QualityBotRole",
    "autoClassification-bot": "AutoClassificationBotRole",
}


def _team(session: Session, admin: dict[str, str], name: str, team_type: str, **extra: Any) -> Any:
    return session.client.put(
        "/api/v1/teams", json={"name": name, "teamType": team_type, **extra}, headers=admin
    )


def test_default_bots_have_their_roles(session: Session) -> None:
    admin = session.as_(session.admin_token())
    bots = session.client.get("/api/v1/bots?limit=50", headers=admin).json()["data"]
    assert BOTS.keys() <= {bot["name"] for bot in bots}
    for name, role in BOTS.items():
        user = session.client.get(f"/api/v1/users/name/{name}?fields=roles", headers=admin).json()
        assert user["isBot"] is True
        assert [ref["name"] for ref in user["roles"]] == [role]


def test_the_team_hierarchy_holds_openmetadatas_rules(session: Session) -> None:
    admin = session.as_(session.admin_token())
    organization = session.client.get("/api/v1/teams/name/Organization", headers=admin).json()
    assert organization["teamType"] == "Organization"
    unit = _team(session, admin, "Sales", "BusinessUnit")
    assert unit.status_code == 201, unit.text
    # Without a parent a team hangs from the Organization.
    parents = session.client.get(f"/api/v1/teams/{unit.json()['id']}?fields=parents", headers=admin).json()[
        "parents"
    ]
    assert [ref["name"] for ref in parents] == ["Organization"]
    group = _team(session, admin, "EMEA", "Group", parents=[unit.json()["id"]])
    assert group.status_code == 201, group.text
    under_group = _team(session, admin, "Nordics", "Department", parents=[group.json()["id"]])
    assert under_group.status_code == 400
    assert "cannot be under the Group EMEA" in under_group.json()["message"]
    second_org = _team(session, admin, "Other", "Organization")
    assert second_org.status_code == 400
    assert "one Organization team" in second_org.json()["message"]
    regroup = _team(session, admin, "EMEA", "Department", parents=[unit.json()["id"]])
    assert regroup.status_code == 400
    assert "a Group's type cannot change" in regroup.json()["message"]
    # Members and ownership belong to Group teams.
    joined = session.client.put(
        "/api/v1/users",
        json={"name": "sam", "email": "sam@example.com", "teams": [unit.json()["id"]]},
        headers=admin,
    )
    assert joined.status_code == 400
    assert "only Group teams have members" in joined.json()["message"]
    member = session.client.put(
        "/api/v1/users",
        json={"name": "sam", "email": "sam@example.com", "teams": [group.json()["id"]]},
        headers=admin,
    )
    assert member.status_code == 201, member.text
    owned = session.client.put(
        "/api/v1/policies",
        json={"name": "p", "rules": [], "owners": [{"id": unit.json()["id"], "type": "team"}]},
        headers=admin,
    )
    assert owned.status_code == 400
    assert "only Group teams own data assets" in owned.json()["message"]


def test_members_named_in_a_team_write_are_refused_not_dropped(session: Session) -> None:
    admin = session.as_(session.admin_token())
    group = _team(session, admin, "Analysts", "Group")
    assert group.status_code == 201, group.text
    sam = session.client.put(
        "/api/v1/users", json={"name": "sam", "email": "sam@example.com"}, headers=admin
    ).json()
    added = _team(session, admin, "Analysts", "Group", users=[sam["id"]])
    assert added.status_code == 400
    assert "members are not set through the team" in added.json()["message"]
    new_team = _team(session, admin, "Auditors", "Group", users=[sam["id"]])
    assert new_team.status_code == 400
    assert session.client.get("/api/v1/teams/name/Auditors", headers=admin).status_code == 404

    patched = session.client.patch(
        f"/api/v1/teams/{group.json()['id']}",
        json=[{"op": "add", "path": "/users/0", "value": {"id": sam["id"], "type": "user"}}],
        headers={**admin, "Content-Type": "application/json-patch+json"},
    )
    assert patched.status_code == 400, patched.text

    # Membership is written on the user; the team then lists it, and repeating it is accepted.
    joined = session.client.patch(
        f"/api/v1/users/{sam['id']}",
        json=[{"op": "add", "path": "/teams/0", "value": {"id": group.json()["id"], "type": "team"}}],
        headers={**admin, "Content-Type": "application/json-patch+json"},
    )
    assert joined.status_code == 200, joined.text
    members = session.client.get(f"/api/v1/teams/{group.json()['id']}?fields=users", headers=admin).json()
    assert [ref["name"] for ref in members["users"]] == ["sam"]
    again = _team(session, admin, "Analysts", "Group", users=[sam["id"]], description="Numbers")
    assert again.status_code == 200, again.text
    described = session.client.patch(
        f"/api/v1/teams/{group.json()['id']}",
        json=[{"op": "add", "path": "/description", "value": "Numbers and more"}],
        headers={**admin, "Content-Type": "application/json-patch+json"},
    )
    assert described.status_code == 200, described.text
