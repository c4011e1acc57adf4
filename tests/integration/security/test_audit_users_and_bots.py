"""Regression tests: every change to a user or a bot is in the audit log, whichever route made it
(the users routes or the generic catalog routes for bots and restores), and so is a refused
attempt to promote oneself.
"""

from __future__ import annotations

from typing import Any

from tests.integration.security.conftest import Session

STRONG = "Str0ng!Passw0rd-for-tests"


def _events(session: Session, admin: dict[str, str]) -> list[dict[str, Any]]:
    response = session.client.get("/api/v1/audit/events?limit=1000", headers=admin)
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["data"]
    return events


def _seen(events: list[dict[str, Any]], target: str) -> list[tuple[str, str, str]]:
    """(actor, action, outcome) of the events about ``target``, oldest first."""
    return [
        (e["actor"], e["action"], e["outcome"])
        for e in reversed(events)
        if e["target"] == target and e["action"] != "login"
    ]


def test_user_patch_restore_delete_and_refused_promotion_are_audited(session: Session) -> None:
    admin = session.as_(session.admin_token())
    frank = session.create_user(session.admin_token(), "frank", password=STRONG)
    me = session.as_(session.token_for("frank", STRONG))
    assert (
        session.client.patch(
            f"/api/v1/users/{frank['id']}",
            json=[{"op": "add", "path": "/displayName", "value": "Frank"}],
            headers=me,
        ).status_code
        == 200
    )
    own = session.client.get(f"/api/v1/users/{frank['id']}?fields=*", headers=me).json()
    own.pop("href", None)
    refused = session.client.patch(
        f"/api/v1/users/{frank['id']}",
        json=[{"op": "replace", "path": "", "value": {**own, "isAdmin": True}}],
        headers=me,
    )
    assert refused.status_code == 403
    assert session.client.delete(f"/api/v1/users/{frank['id']}", headers=admin).status_code == 200
    restored = session.client.put("/api/v1/users/restore", json={"id": frank["id"]}, headers=admin)
    assert restored.status_code == 200, restored.text
    hard = session.client.delete(f"/api/v1/users/{frank['id']}?hardDelete=true", headers=admin)
    assert hard.status_code == 200

    events = _events(session, admin)
    assert _seen(events, "frank") == [
        ("admin", "user-create", "success"),
        ("frank", "user-update", "success"),
        ("frank", "user-update", "failure"),
        ("admin", "user-delete", "success"),
        ("admin", "user-restore", "success"),
        ("admin", "user-delete", "success"),
    ]
    by_action = {(e["action"], e["outcome"]): e for e in events if e["target"] == "frank"}
    assert by_action[("user-update", "success")]["detail"] == {"fields": ["displayName"]}
    assert by_action[("user-update", "failure")]["detail"] == {"fields": ["isAdmin"], "operation": "PATCH"}


def test_every_bot_write_is_audited(session: Session) -> None:
    admin = session.as_(session.admin_token())
    session.create_user(session.admin_token(), "reporting-bot", isBot=True)
    created = session.client.put(
        "/api/v1/bots", json={"name": "reporting", "botUser": "reporting-bot"}, headers=admin
    )
    assert created.status_code == 201, created.text
    bot_id = created.json()["id"]
    steps = [
        session.client.put(
            "/api/v1/bots",
            json={"name": "reporting", "botUser": "reporting-bot", "description": "Reports"},
            headers=admin,
        ),
        session.client.patch(
            f"/api/v1/bots/{bot_id}",
            json=[{"op": "add", "path": "/displayName", "value": "R"}],
            headers=admin,
        ),
        session.client.delete(f"/api/v1/bots/{bot_id}", headers=admin),
        session.client.put("/api/v1/bots/restore", json={"id": bot_id}, headers=admin),
        session.client.delete(f"/api/v1/bots/{bot_id}?hardDelete=true", headers=admin),
    ]
    assert [step.status_code for step in steps] == [200] * 5, [step.text for step in steps]

    events = [e for e in _events(session, admin) if e["targetType"] == "bot" and e["target"] == "reporting"]
    assert [(e["action"], e["outcome"]) for e in reversed(events)] == [
        ("bot-create", "success"),
        ("bot-update", "success"),
        ("bot-update", "success"),
        ("bot-delete", "success"),
        ("bot-restore", "success"),
        ("bot-delete", "success"),
    ]
    assert [e["actor"] for e in reversed(events)] == ["admin"] * 6
    assert events[0]["detail"] == {"hardDelete": True}
    assert "fernet:" not in str(events)
