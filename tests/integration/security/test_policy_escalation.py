"""Regression tests for privilege escalation through ownership of governance entities.

The audit: a DataConsumer patched ``/owners`` onto DataConsumerPolicy (OrganizationPolicy's
NoOwner rule allows EditOwners on "All" resources), then, as its owner, appended an allow
All/All rule and could create services and hard-delete users.
"""

from __future__ import annotations

from typing import Any

from tests.integration.catalog.helpers import SERVICE
from tests.integration.security.conftest import Session

STRONG = "Str0ng!Passw0rd-for-tests"
ALLOW_ALL = {"name": "mine", "resources": ["All"], "operations": ["All"], "effect": "allow"}


def _ref(doc: dict[str, Any], entity_type: str) -> dict[str, Any]:
    return {"id": doc["id"], "type": entity_type}


def _consumer(session: Session, admin: str, name: str) -> tuple[dict[str, Any], dict[str, str]]:
    user = session.create_user(admin, name, password=STRONG)
    return user, session.as_(session.token_for(name, STRONG))


def test_nobody_claims_a_built_in_policy_and_rewrites_it(session: Session) -> None:
    admin = session.admin_token()
    mallory, m = _consumer(session, admin, "mallory")
    policy = session.client.get("/api/v1/policies/name/DataConsumerPolicy", headers=session.as_(admin)).json()
    path = f"/api/v1/policies/{policy['id']}"

    claim = session.client.patch(
        path, json=[{"op": "add", "path": "/owners", "value": [_ref(mallory, "user")]}], headers=m
    )
    assert claim.status_code == 403, claim.text
    assert claim.json() == {
        "code": 403,
        "message": "The policy DataConsumerPolicy is provided by the system: only administrators can "
        "change it; mallory@example.com is not an administrator",
    }
    rewrite = session.client.patch(
        path, json=[{"op": "add", "path": "/rules/-", "value": ALLOW_ALL}], headers=m
    )
    assert rewrite.status_code == 403, rewrite.text
    after = session.client.get(f"{path}?fields=owners", headers=session.as_(admin)).json()
    assert not after.get("owners")
    assert len(after["rules"]) == len(policy["rules"])
    service = session.client.put(
        "/api/v1/services/databaseServices", json={"name": SERVICE, "serviceType": "SQLite"}, headers=m
    )
    assert service.status_code == 403


def test_ownership_grants_nothing_on_roles_policies_teams_and_bots(session: Session) -> None:
    admin = session.admin_token()
    a = session.as_(admin)
    mallory, m = _consumer(session, admin, "mallory")
    owners = [_ref(mallory, "user")]
    # Entities an administrator created and gave her, and ones nobody owns.
    policy = session.client.put(
        "/api/v1/policies",
        json={"name": "Hers", "owners": owners, "rules": [{**ALLOW_ALL, "operations": ["ViewAll"]}]},
        headers=a,
    )
    assert policy.status_code == 201, policy.text
    role = session.client.put("/api/v1/roles", json={"name": "Unowned", "policies": ["Hers"]}, headers=a)
    assert role.status_code == 201, role.text
    team = session.client.put(
        "/api/v1/teams", json={"name": "ops", "teamType": "Group", "owners": owners}, headers=a
    )
    assert team.status_code == 201, team.text
    unowned_team = session.client.put("/api/v1/teams", json={"name": "dev", "teamType": "Group"}, headers=a)
    assert unowned_team.status_code == 201, unowned_team.text
    bot = session.client.get("/api/v1/bots/name/ingestion-bot", headers=a).json()

    attempts = [
        (f"/api/v1/policies/{policy.json()['id']}", [{"op": "add", "path": "/rules/-", "value": ALLOW_ALL}]),
        (f"/api/v1/policies/{policy.json()['id']}", [{"op": "add", "path": "/description", "value": "x"}]),
        (f"/api/v1/roles/{role.json()['id']}", [{"op": "add", "path": "/owners", "value": owners}]),
        (
            f"/api/v1/teams/{team.json()['id']}",
            [{"op": "add", "path": "/defaultRoles", "value": [_ref(role.json(), "role")]}],
        ),
        (f"/api/v1/teams/{unowned_team.json()['id']}", [{"op": "add", "path": "/owners", "value": owners}]),
        (f"/api/v1/bots/{bot['id']}", [{"op": "add", "path": "/owners", "value": owners}]),
    ]
    for path, patch in attempts:
        response = session.client.patch(path, json=patch, headers=m)
        assert response.status_code == 403, f"{path} {patch}: {response.text}"
        assert response.json()["message"].endswith(
            ("mallory@example.com has neither", "mallory@example.com is not an administrator")
        )
    put_policy = session.client.put(
        "/api/v1/policies", json={"name": "Hers", "owners": owners, "rules": [ALLOW_ALL]}, headers=m
    )
    assert put_policy.status_code == 403
    assert session.client.get("/api/v1/users", headers=m).status_code == 200


def test_built_in_roles_and_policies_are_for_administrators_only(session: Session) -> None:
    """Even a user granted EditAll and Delete on roles and policies leaves the built-in ones alone."""
    admin = session.admin_token()
    a = session.as_(admin)
    editors = session.client.put(
        "/api/v1/policies",
        json={
            "name": "GovernanceEditors",
            "rules": [
                {
                    "name": "edit",
                    "resources": ["policy", "role"],
                    "operations": ["ViewAll", "Create", "EditAll", "Delete"],
                    "effect": "allow",
                }
            ],
        },
        headers=a,
    )
    assert editors.status_code == 201, editors.text
    role = session.client.put(
        "/api/v1/roles", json={"name": "GovernanceEditor", "policies": ["GovernanceEditors"]}, headers=a
    ).json()
    consumer = session.client.get("/api/v1/roles/name/DataConsumer", headers=a).json()
    session.create_user(admin, "ivan", password=STRONG, roles=[consumer["id"], role["id"]])
    ivan = session.as_(session.token_for("ivan", STRONG))

    custom = session.client.put(
        "/api/v1/policies",
        json={"name": "Custom", "rules": [{**ALLOW_ALL, "operations": ["ViewAll"]}]},
        headers=ivan,
    )
    assert custom.status_code == 201, custom.text
    edited = session.client.patch(
        f"/api/v1/policies/{custom.json()['id']}",
        json=[{"op": "add", "path": "/description", "value": "ours"}],
        headers=ivan,
    )
    assert edited.status_code == 200, edited.text

    builtin_policy = session.client.get("/api/v1/policies/name/OrganizationPolicy", headers=a).json()
    builtin_role = session.client.get("/api/v1/roles/name/DataSteward", headers=a).json()
    refused = [
        session.client.patch(
            f"/api/v1/policies/{builtin_policy['id']}",
            json=[{"op": "add", "path": "/rules/-", "value": ALLOW_ALL}],
            headers=ivan,
        ),
        session.client.put(
            "/api/v1/policies", json={"name": "OrganizationPolicy", "rules": [ALLOW_ALL]}, headers=ivan
        ),
        session.client.put(
            "/api/v1/policies/bulk", json=[{"name": "OrganizationPolicy", "rules": [ALLOW_ALL]}], headers=ivan
        ),
        session.client.patch(
            f"/api/v1/roles/{builtin_role['id']}",
            json=[{"op": "add", "path": "/policies/-", "value": _ref(editors.json(), "policy")}],
            headers=ivan,
        ),
        session.client.delete(f"/api/v1/roles/{builtin_role['id']}?hardDelete=true", headers=ivan),
        session.client.delete("/api/v1/policies/name/OrganizationPolicy?hardDelete=true", headers=ivan),
    ]
    for response in refused:
        assert response.status_code in (403, 200), response.text
        if response.status_code == 200:
            # bulk answers 200 and reports each row
            assert response.json()["numberOfRowsFailed"] == 1, response.text
            assert response.json()["failedRequest"][0]["status"] == 403
            continue
        assert "is provided by the system: only administrators can change it" in response.json()["message"]
    still = session.client.get(f"/api/v1/policies/{builtin_policy['id']}", headers=a).json()
    assert still["rules"] == builtin_policy["rules"]
    assert session.client.get(f"/api/v1/roles/{builtin_role['id']}", headers=a).status_code == 200
    # Administrators still can.
    by_admin = session.client.patch(
        f"/api/v1/policies/{builtin_policy['id']}",
        json=[{"op": "add", "path": "/description", "value": "Edited by an administrator"}],
        headers=a,
    )
    assert by_admin.status_code == 200, by_admin.text


def test_users_still_edit_their_own_record(session: Session) -> None:
    admin = session.admin_token()
    grace, g = _consumer(session, admin, "grace")
    other = session.create_user(admin, "heidi")
    mine = session.client.patch(
        f"/api/v1/users/{grace['id']}",
        json=[{"op": "add", "path": "/displayName", "value": "Grace H."}],
        headers=g,
    )
    assert mine.status_code == 200, mine.text
    theirs = session.client.patch(
        f"/api/v1/users/{other['id']}",
        json=[{"op": "add", "path": "/displayName", "value": "Not Heidi"}],
        headers=g,
    )
    assert theirs.status_code == 403
