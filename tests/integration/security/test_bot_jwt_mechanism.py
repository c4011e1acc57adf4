"""Settings » Bots » JWT, as OpenMetadata's UI saves it: `PUT /api/v1/users` with the bot user and
`authenticationMechanism {authType: JWT, config: {JWTTokenExpiry}}`, then `PUT /api/v1/bots`."""

from __future__ import annotations

from typing import Any

from tests.integration.rawdump import raw_database_text
from tests.integration.security.conftest import Session


def _save_jwt_mechanism(session: Session, admin: str, expiry: str) -> dict[str, Any]:
    headers = session.as_(admin)
    bot = session.client.get("/api/v1/bots/name/ingestion-bot", headers=headers).json()
    user = session.client.get(f"/api/v1/users/{bot['botUser']['id']}", headers=headers).json()
    saved = session.client.put(
        "/api/v1/users",
        json={
            "name": user["name"],
            "email": user["email"],
            "displayName": user.get("displayName"),
            "isBot": True,
            "botName": "ingestion-bot",
            "authenticationMechanism": {"authType": "JWT", "config": {"JWTTokenExpiry": expiry}},
        },
        headers=headers,
    )
    assert saved.status_code == 200, saved.text
    again = session.client.put(
        "/api/v1/bots",
        json={"name": "ingestion-bot", "botUser": user["name"], "provider": "system"},
        headers=headers,
    )
    assert again.status_code == 200, again.text
    mechanism = session.client.get(f"/api/v1/users/auth-mechanism/{user['id']}", headers=headers)
    assert mechanism.status_code == 200, mechanism.text
    body: dict[str, Any] = mechanism.json()
    return body


def test_a_new_expiry_issues_a_new_token_and_revokes_the_last(session: Session) -> None:
    admin = session.admin_token()
    first = _save_jwt_mechanism(session, admin, "OneHour")
    assert first["authType"] == "JWT"
    assert first["config"]["JWTTokenExpiry"] == "OneHour"
    token = first["config"]["JWTToken"]
    assert session.client.get("/api/v1/tables", headers=session.as_(token)).status_code == 200

    second = _save_jwt_mechanism(session, admin, "7")
    replacement = second["config"]["JWTToken"]
    assert replacement != token
    assert second["config"]["JWTTokenExpiry"] == "7"
    assert session.client.get("/api/v1/tables", headers=session.as_(replacement)).status_code == 200
    refused = session.client.get("/api/v1/tables", headers=session.as_(token))
    assert refused.status_code == 401
    assert "does not match the current bot's token" in refused.json()["message"]
    # Saving the page again unchanged keeps the token the runners already hold.
    assert _save_jwt_mechanism(session, admin, "7")["config"]["JWTToken"] == replacement
    # Neither token is stored as text anywhere in the database.
    dump = raw_database_text(session.settings.database_url)
    assert token not in dump
    assert replacement not in dump
