"""Regression tests for the user-record escalations of the security audit.

A person may edit their own profile (display name, description, ...) but never what decides what
they may do or who they are (isAdmin, isBot, roles, teams, email, authentication), whatever the
form of the request: any JSON Patch operation (root path, ``from`` pointers, nested paths), PUT
or POST.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.security.conftest import Session

STRONG = "Str0ng!Passw0rd-for-tests"


def _role_id(session: Session, admin: dict[str, str], name: str) -> str:
    role_id: str = session.client.get(f"/api/v1/roles/name/{name}", headers=admin).json()["id"]
    return role_id


def _stored(session: Session, admin: dict[str, str], user_id: str) -> dict[str, Any]:
    user: dict[str, Any] = session.client.get(
        f"/api/v1/users/{user_id}?fields=roles,teams,personas", headers=admin
    ).json()
    return user


def _whole(session: Session, headers: dict[str, str], user_id: str) -> dict[str, Any]:
    """The record as its owner reads it, every field, ready for a root-path replace."""
    user: dict[str, Any] = session.client.get(f"/api/v1/users/{user_id}?fields=*", headers=headers).json()
    user.pop("href", None)
    return user


def _protected(user: dict[str, Any]) -> tuple[Any, ...]:
    return (
        user.get("isAdmin"),
        user.get("isBot"),
        user["email"],
        sorted(r["name"] for r in user.get("roles") or []),
        sorted(t["name"] for t in user.get("teams") or []),
    )


@pytest.fixture
def frank(session: Session) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """A DataConsumer (and member of team Finance) signed in; the admin's headers."""
    admin = session.as_(session.admin_token())
    team = session.client.put("/api/v1/teams", json={"name": "Finance", "teamType": "Group"}, headers=admin)
    assert team.status_code == 201, team.text
    user = session.create_user(
        session.admin_token(),
        "frank",
        password=STRONG,
        roles=[_role_id(session, admin, "DataConsumer")],
        teams=[team.json()["id"]],
    )
    return user, session.as_(session.token_for("frank", STRONG)), admin


def test_root_path_patch_does_not_make_a_consumer_admin(
    session: Session, frank: tuple[dict[str, Any], dict[str, str], dict[str, str]]
) -> None:
    user, me, admin = frank
    own = _whole(session, me, user["id"])
    promoted = session.client.patch(
        f"/api/v1/users/{user['id']}",
        json=[{"op": "replace", "path": "", "value": {**own, "isAdmin": True}}],
        headers=me,
    )
    assert promoted.status_code == 403, promoted.text
    assert promoted.json() == {
        "code": 403,
        "message": "Only administrators can change isAdmin of a user (PATCH user frank); "
        "frank@example.com is not an administrator",
    }
    assert not _stored(session, admin, user["id"]).get("isAdmin")
    assert session.client.get("/api/v1/audit/events", headers=me).status_code == 403


@pytest.mark.parametrize(
    "operations",
    [
        pytest.param([{"op": "add", "path": "/isAdmin", "value": True}], id="isAdmin"),
        pytest.param([{"op": "add", "path": "/isBot", "value": True}], id="isBot"),
        pytest.param([{"op": "replace", "path": "/email", "value": "admin@open-metadata.org"}], id="email"),
        pytest.param([{"op": "remove", "path": "/teams"}], id="teams"),
        pytest.param([{"op": "replace", "path": "/roles/0/name", "value": "DataSteward"}], id="nested-role"),
        pytest.param([{"op": "move", "from": "/roles", "path": "/personas"}], id="move-from-roles"),
        pytest.param([{"op": "move", "from": "/teams", "path": "/follows"}], id="move-from-teams"),
        pytest.param([{"op": "copy", "from": "/roles/0", "path": "/roles/-"}], id="copy-into-roles"),
    ],
)
def test_no_patch_form_changes_a_protected_field_of_ones_own_record(
    session: Session,
    frank: tuple[dict[str, Any], dict[str, str], dict[str, str]],
    operations: list[dict[str, Any]],
) -> None:
    user, me, admin = frank
    before = _protected(_stored(session, admin, user["id"]))
    refused = session.client.patch(f"/api/v1/users/{user['id']}", json=operations, headers=me)
    assert refused.status_code == 403, refused.text
    message = refused.json()["message"]
    assert message.startswith("Only administrators can change ")
    assert message.endswith("(PATCH user frank); frank@example.com is not an administrator")
    assert _protected(_stored(session, admin, user["id"])) == before


def test_a_person_still_edits_their_own_profile(
    session: Session, frank: tuple[dict[str, Any], dict[str, str], dict[str, str]]
) -> None:
    user, me, admin = frank
    edited = session.client.patch(
        f"/api/v1/users/{user['id']}",
        json=[
            {"op": "add", "path": "/displayName", "value": "Frank F."},
            {"op": "add", "path": "/description", "value": "Finance analyst"},
            {"op": "add", "path": "/timezone", "value": "Europe/Paris"},
        ],
        headers=me,
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["displayName"] == "Frank F."
    # A root replace that only changes the profile fields is as good as the paths.
    own = _whole(session, me, user["id"])
    root = session.client.patch(
        f"/api/v1/users/{user['id']}",
        json=[{"op": "replace", "path": "", "value": {**own, "description": "Controller"}}],
        headers=me,
    )
    assert root.status_code == 200, root.text
    # PUT of the own record with unchanged roles, teams and email (what clients send back) works.
    put = session.client.put(
        "/api/v1/users",
        json={
            "name": "frank",
            "email": "frank@example.com",
            "displayName": "Frank",
            "roles": [r["id"] for r in _stored(session, admin, user["id"])["roles"]],
            "teams": [t["id"] for t in _stored(session, admin, user["id"])["teams"]],
        },
        headers=me,
    )
    assert put.status_code == 200, put.text
    assert put.json()["displayName"] == "Frank"


def test_another_users_record_is_out_of_reach(
    session: Session, frank: tuple[dict[str, Any], dict[str, str], dict[str, str]]
) -> None:
    _, me, _admin = frank
    grace = session.create_user(session.admin_token(), "grace", password=STRONG)
    for operations in (
        [{"op": "add", "path": "/displayName", "value": "Gracie"}],
        [{"op": "add", "path": "/isAdmin", "value": True}],
    ):
        refused = session.client.patch(f"/api/v1/users/{grace['id']}", json=operations, headers=me)
        assert refused.status_code == 403, refused.text
        assert refused.json()["message"].endswith(
            ("frank@example.com is not an administrator", "frank@example.com has neither")
        )
    put = session.client.put(
        "/api/v1/users", json={"name": "grace", "email": "grace@example.com", "displayName": "G"}, headers=me
    )
    assert put.status_code == 403


@pytest.mark.parametrize(
    ("field", "value"),
    [("roles", "DataSteward"), ("teams", "Finance"), ("isAdmin", True), ("email", "frank@evil.example")],
)
def test_put_of_ones_own_record_does_not_grant_roles_teams_or_identity(
    session: Session,
    frank: tuple[dict[str, Any], dict[str, str], dict[str, str]],
    field: str,
    value: Any,
) -> None:
    user, me, admin = frank
    if field == "teams":
        # Finance is frank's already; Sales is not.
        sales = session.client.put(
            "/api/v1/teams", json={"name": "Sales", "teamType": "Group"}, headers=admin
        )
        value = [sales.json()["id"]]
    elif field == "roles":
        value = [_role_id(session, admin, str(value))]
    before = _protected(_stored(session, admin, user["id"]))
    body = {"name": "frank", "email": "frank@example.com", field: value}
    refused = session.client.put("/api/v1/users", json=body, headers=me)
    assert refused.status_code == 403, refused.text
    assert refused.json() == {
        "code": 403,
        "message": f"Only administrators can change {field} of a user (PUT user frank); "
        "frank@example.com is not an administrator",
    }
    assert _protected(_stored(session, admin, user["id"])) == before


@pytest.fixture
def ivan(session: Session) -> dict[str, str]:
    """A non-admin whose role may create users (and nothing else on users)."""
    admin = session.as_(session.admin_token())
    policy = session.client.put(
        "/api/v1/policies",
        json={
            "name": "UserCreators",
            "rules": [{"name": "create", "resources": ["user"], "operations": ["Create"], "effect": "allow"}],
        },
        headers=admin,
    )
    assert policy.status_code == 201, policy.text
    role = session.client.put(
        "/api/v1/roles", json={"name": "Onboarding", "policies": ["UserCreators"]}, headers=admin
    )
    assert role.status_code == 201, role.text
    session.create_user(session.admin_token(), "ivan", password=STRONG, roles=[role.json()["id"]])
    return session.as_(session.token_for("ivan", STRONG))


def test_a_non_admin_who_may_create_users_cannot_create_privileged_ones(
    session: Session, ivan: dict[str, str]
) -> None:
    admin = session.as_(session.admin_token())
    steward = _role_id(session, admin, "DataSteward")
    for method in ("POST", "PUT"):
        for extra in ({"roles": [steward]}, {"isAdmin": True}, {"isBot": True}):
            name = f"new{method.lower()}{sorted(extra)[0].lower()}"
            body = {"name": name, "email": f"{name}@example.com", **extra}
            refused = session.client.request(method, "/api/v1/users", json=body, headers=ivan)
            assert refused.status_code == 403, (method, extra, refused.text)
            assert (
                f"Only administrators can change {sorted(extra)[0]} of a user ({method} user {name})"
                in (refused.json()["message"])
            )
    plain = session.client.post(
        "/api/v1/users", json={"name": "judy", "email": "judy@example.com"}, headers=ivan
    )
    assert plain.status_code == 201, plain.text
    assert [r["name"] for r in plain.json()["roles"]] == ["DataConsumer"]


def test_admins_change_everything(
    session: Session, frank: tuple[dict[str, Any], dict[str, str], dict[str, str]]
) -> None:
    user, _me, admin = frank
    steward = _role_id(session, admin, "DataSteward")
    patched = session.client.patch(
        f"/api/v1/users/{user['id']}",
        json=[
            {"op": "add", "path": "/isAdmin", "value": True},
            {"op": "replace", "path": "/email", "value": "frank@corp.example"},
            {
                "op": "add",
                "path": "/roles/-",
                "value": {"id": steward, "type": "role", "name": "DataSteward"},
            },
        ],
        headers=admin,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["isAdmin"] is True
    assert patched.json()["email"] == "frank@corp.example"
    put = session.client.put(
        "/api/v1/users", json={"name": "frank", "email": "frank@example.com", "roles": []}, headers=admin
    )
    assert put.status_code == 200, put.text
    assert put.json()["roles"] == []


def test_a_non_admin_who_may_create_users_cannot_bring_back_a_deleted_one(
    session: Session, ivan: dict[str, str]
) -> None:
    admin = session.as_(session.admin_token())
    olivia = session.create_user(
        session.admin_token(), "olivia", password=STRONG, roles=[_role_id(session, admin, "DataSteward")]
    )
    assert session.client.delete(f"/api/v1/users/{olivia['id']}", headers=admin).status_code == 200
    chosen = "An0ther!Passw0rd-chosen"
    revived = session.client.put(
        "/api/v1/users",
        json={"name": "olivia", "email": "olivia@example.com", "password": chosen},
        headers=ivan,
    )
    assert revived.status_code == 403, revived.text
    assert revived.json()["message"] == (
        "Only administrators can change deleted of a user (PUT user olivia); "
        "ivan@example.com is not an administrator"
    )
    assert session.login("olivia", chosen).status_code == 401
    assert session.client.get(f"/api/v1/users/{olivia['id']}?include=all", headers=admin).json()["deleted"]
