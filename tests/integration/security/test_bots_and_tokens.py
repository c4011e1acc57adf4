from __future__ import annotations

from tests.integration.catalog.helpers import SCHEMA, SERVICE, columns
from tests.integration.security.conftest import Session

STRONG = "Str0ng!Passw0rd-for-tests"


def _bot_user_id(session: Session, admin: str) -> str:
    bot = session.client.get("/api/v1/bots/name/ingestion-bot", headers=session.as_(admin))
    assert bot.status_code == 200, bot.text
    assert bot.json()["botUser"]["name"] == "ingestion-bot"
    user_id: str = bot.json()["botUser"]["id"]
    return user_id


def _generate(session: Session, admin: str, user_id: str, expiry: str = "7") -> str:
    response = session.client.put(
        f"/api/v1/users/generateToken/{user_id}", json={"JWTTokenExpiry": expiry}, headers=session.as_(admin)
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["JWTToken"]
    return token


def _ingest(session: Session, token: str) -> int:
    headers = session.as_(token)
    statuses = [
        session.client.put(
            "/api/v1/services/databaseServices",
            json={"name": SERVICE, "serviceType": "SQLite"},
            headers=headers,
        ).status_code,
        session.client.put(
            "/api/v1/databases", json={"name": "testdb", "service": SERVICE}, headers=headers
        ).status_code,
        session.client.put(
            "/api/v1/databaseSchemas", json={"name": "main", "database": f"{SERVICE}.testdb"}, headers=headers
        ).status_code,
        session.client.put(
            "/api/v1/tables/bulk",
            json=[{"name": "t", "databaseSchema": SCHEMA, "columns": columns("a")}],
            headers=headers,
        ).status_code,
    ]
    return max(statuses)


def test_ingestion_bot_exists_with_its_role_from_the_first_start(session: Session) -> None:
    admin = session.admin_token()
    user_id = _bot_user_id(session, admin)
    user = session.client.get(f"/api/v1/users/{user_id}?fields=roles", headers=session.as_(admin)).json()
    assert user["isBot"] is True
    assert [r["name"] for r in user["roles"]] == ["IngestionBotRole"]


def test_bot_token_ingests_and_is_refused_after_revoke(session: Session) -> None:
    admin = session.admin_token()
    user_id = _bot_user_id(session, admin)
    token = _generate(session, admin, user_id)
    assert _ingest(session, token) in (200, 201)
    # The bot may not manage identities.
    refused = session.client.put(
        "/api/v1/users", json={"name": "evil", "email": "evil@example.com"}, headers=session.as_(token)
    )
    assert refused.status_code == 403
    assert (
        refused.json()["message"]
        == "You need the Create permission on users (from a role or policy), or to be an administrator; "
        "ingestion-bot@open-metadata.org has neither"
    )
    revoked = session.client.put(
        "/api/v1/users/revokeToken", json={"id": user_id}, headers=session.as_(admin)
    )
    assert revoked.status_code == 200
    after = session.client.get("/api/v1/tables", headers=session.as_(token))
    assert after.status_code == 401
    assert after.json()["message"] == (
        "Not Authorized! The given token does not match the current bot's token (it was revoked or replaced)"
    )


def test_a_new_bot_token_replaces_the_old_one(session: Session) -> None:
    admin = session.admin_token()
    user_id = _bot_user_id(session, admin)
    first = _generate(session, admin, user_id)
    second = _generate(session, admin, user_id)
    assert session.client.get("/api/v1/tables", headers=session.as_(second)).status_code == 200
    assert session.client.get("/api/v1/tables", headers=session.as_(first)).status_code == 401


def test_bot_token_is_shown_only_to_admins_and_sealed_at_rest(session: Session) -> None:
    admin = session.admin_token()
    user_id = _bot_user_id(session, admin)
    token = _generate(session, admin, user_id)
    as_admin = session.client.get(f"/api/v1/users/token/{user_id}", headers=session.as_(admin)).json()
    assert as_admin["JWTToken"] == token
    mechanism = session.client.get(
        f"/api/v1/users/auth-mechanism/{user_id}", headers=session.as_(admin)
    ).json()
    assert mechanism["config"]["JWTToken"] == token
    session.create_user(admin, "carol", password=STRONG)
    carol = session.token_for("carol", STRONG)
    assert session.client.get(f"/api/v1/users/token/{user_id}", headers=session.as_(carol)).status_code == 403
    assert (
        session.client.get(f"/api/v1/users/auth-mechanism/{user_id}", headers=session.as_(carol)).status_code
        == 403
    )
    seen = session.client.get(f"/api/v1/users/{user_id}?fields=*", headers=session.as_(carol)).json()
    assert "authenticationMechanism" not in seen
    assert (
        token not in session.client.get("/api/v1/users?fields=*&limit=100", headers=session.as_(carol)).text
    )
    # At rest the token is Fernet-sealed, not stored as text.
    import sqlalchemy as sa

    engine = sa.create_engine(session.settings.database_url)
    with engine.connect() as conn:
        dump = " ".join(row[0] for row in conn.execute(sa.text("SELECT doc FROM entity")))
    engine.dispose()
    assert token not in dump
    assert "fernet:" in dump


def test_unlimited_bot_tokens_are_refused(session: Session) -> None:
    admin = session.admin_token()
    user_id = _bot_user_id(session, admin)
    response = session.client.put(
        f"/api/v1/users/generateToken/{user_id}",
        json={"JWTTokenExpiry": "Unlimited"},
        headers=session.as_(admin),
    )
    assert response.status_code == 400
    assert "without expiry" in response.json()["message"]


def test_personal_access_tokens_create_list_revoke(session: Session) -> None:
    admin = session.admin_token()
    session.create_user(admin, "dave", password=STRONG)
    dave = session.token_for("dave", STRONG)
    created = session.client.put(
        "/api/v1/users/security/token",
        json={"tokenName": "laptop", "JWTTokenExpiry": "7"},
        headers=session.as_(dave),
    )
    assert created.status_code == 201, created.text
    pat = created.json()
    assert pat["tokenType"] == "PERSONAL_ACCESS_TOKEN"
    me = session.client.get("/api/v1/users/loggedInUser", headers=session.as_(pat["jwtToken"]))
    assert me.json()["name"] == "dave"
    listed = session.client.get("/api/v1/users/security/token", headers=session.as_(dave)).json()["data"]
    assert [(t["token"], t["tokenName"]) for t in listed] == [(pat["token"], "laptop")]
    assert "jwtToken" not in listed[0]
    revoke = session.client.put(
        "/api/v1/users/security/token/revoke", json={"tokenIds": [pat["token"]]}, headers=session.as_(dave)
    )
    assert revoke.status_code == 200
    refused = session.client.get("/api/v1/users/loggedInUser", headers=session.as_(pat["jwtToken"]))
    assert refused.status_code == 401
    assert refused.json()["message"] == "Not Authorized! Personal access token was revoked"


def test_bots_cannot_have_personal_tokens(session: Session) -> None:
    admin = session.admin_token()
    token = _generate(session, admin, _bot_user_id(session, admin))
    response = session.client.put(
        "/api/v1/users/security/token",
        json={"tokenName": "x", "JWTTokenExpiry": "7"},
        headers=session.as_(token),
    )
    assert response.status_code == 400
    assert response.json()["message"] == "Bots cannot have a Personal Access Token."


def test_deleted_user_tokens_stop_working(session: Session) -> None:
    admin = session.admin_token()
    erin = session.create_user(admin, "erin", password=STRONG)
    token = session.token_for("erin", STRONG)
    assert session.client.get("/api/v1/tables", headers=session.as_(token)).status_code == 200
    assert session.client.delete(f"/api/v1/users/{erin['id']}", headers=session.as_(admin)).status_code == 200
    after = session.client.get("/api/v1/tables", headers=session.as_(token))
    assert after.status_code == 401
