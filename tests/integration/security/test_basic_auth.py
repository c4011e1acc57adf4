from __future__ import annotations

import base64
import stat
from collections.abc import Callable, Iterator

from tessera.users.accounts import INVALID_LOGIN
from tests.integration.security.conftest import Session

STRONG = "Str0ng!Passw0rd-with-more-than-16-chars"


def test_first_start_creates_admin_with_a_random_password_in_a_private_file(session: Session) -> None:
    path = session.settings.home / "initial-admin-password"
    mode = stat.S_IMODE(path.stat().st_mode)
    assert mode == 0o600
    password = session.admin_password
    assert password != "admin"
    assert len(password) >= 16
    assert session.login("admin", "admin").status_code == 401
    assert session.login("admin@open-metadata.org", password).status_code == 200
    assert session.login("admin", password).status_code == 200


def test_login_returns_openmetadata_jwt_response_and_token_works(session: Session) -> None:
    body = session.login("admin", session.admin_password).json()
    assert set(body) == {"accessToken", "refreshToken", "tokenType", "expiryDuration"}
    assert body["tokenType"] == "Bearer"
    me = session.client.get("/api/v1/users/loggedInUser", headers=session.as_(body["accessToken"]))
    assert me.status_code == 200
    assert me.json()["name"] == "admin"
    assert me.json()["isAdmin"] is True


def test_requests_without_a_token_get_401_with_a_reason(session: Session) -> None:
    response = session.client.get("/api/v1/tables")
    assert response.status_code == 401
    assert response.json() == {"code": 401, "message": "Not Authorized! Token not present"}
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="tessera"'
    garbage = session.client.get("/api/v1/tables", headers={"Authorization": "Bearer x.y.z"})
    assert garbage.status_code == 401
    assert garbage.json()["message"].startswith("Not Authorized! Malformed token")
    assert 'error="invalid_token"' in garbage.headers["WWW-Authenticate"]
    # A correlation id per refusal, the same one the server logs with the reason.
    ids = {response.headers["X-Correlation-Id"], garbage.headers["X-Correlation-Id"]}
    assert len(ids) == 2
    assert all(len(i) == 32 for i in ids)
    basic = session.client.get("/api/v1/tables", headers={"Authorization": "Basic YWRtaW46YWRtaW4="})
    assert basic.json()["message"] == "Not Authorized! Authorization header must be 'Bearer <token>'"
    huge = session.client.get("/api/v1/tables", headers={"Authorization": "Bearer " + "a" * (17 * 1024)})
    assert huge.status_code == 401
    assert "Token too large" in huge.json()["message"]


def test_wrong_password_message_and_throttling_held_in_the_database(secure: Callable[..., Session]) -> None:
    session = secure(OM_MAX_FAILED_LOGIN_ATTEMPTS="3", OM_LOGIN_ACCESS_BLOCK_TIME="600")
    wrong = session.login("admin", "nope")
    assert wrong.status_code == 401
    assert wrong.json()["message"] == INVALID_LOGIN
    for _ in range(5):
        session.login("admin", "nope")
    # The sixth failure started an 8 s wait: even the right password is refused, alike...
    blocked = session.login("admin", session.admin_password)
    assert (blocked.status_code, blocked.json()["message"]) == (401, INVALID_LOGIN)
    # ...and the wait is in the database: a second server process on it holds it too.
    other = secure(OM_MAX_FAILED_LOGIN_ATTEMPTS="3", OM_LOGIN_ACCESS_BLOCK_TIME="600")
    assert other.login("admin", session.admin_password).status_code == 401


def test_unknown_user_gets_the_same_message(session: Session) -> None:
    response = session.login("nobody@example.com", "whatever")
    assert response.status_code == 401
    assert response.json()["message"] == INVALID_LOGIN


def test_password_must_be_base64(session: Session) -> None:
    response = session.client.post("/api/v1/users/login", json={"email": "admin", "password": "not base64!"})
    assert response.status_code == 400
    assert response.json()["message"] == "Password need to be encoded in Base-64."


def test_sign_in_bodies_name_what_is_wrong(session: Session) -> None:
    missing = session.client.post("/api/v1/users/login", json={"email": "admin"})
    assert missing.status_code == 400
    assert missing.json()["message"] == "Invalid request: field 'password': Field required"
    typed = session.client.post("/api/v1/users/login", json={"email": "admin", "password": 7})
    assert typed.status_code == 400
    assert "field 'password'" in typed.json()["message"]
    unknown = session.client.post("/api/v1/users/refresh", json={"refreshToken": "x", "remember": True})
    assert unknown.status_code == 400
    assert "field 'remember'" in unknown.json()["message"]
    assert session.client.post("/api/v1/users/login", content=b"{").status_code == 400


def test_refresh_rotates_and_reuse_revokes_the_whole_sign_in(session: Session) -> None:
    first = session.login("admin", session.admin_password).json()
    second = session.client.post("/api/v1/users/refresh", json={"refreshToken": first["refreshToken"]})
    assert second.status_code == 200
    rotated = second.json()
    assert rotated["refreshToken"] != first["refreshToken"]
    assert (
        session.client.get("/api/v1/tables", headers=session.as_(rotated["accessToken"])).status_code == 200
    )
    reused = session.client.post("/api/v1/users/refresh", json={"refreshToken": first["refreshToken"]})
    assert reused.status_code == 401
    assert "reuse detected" in reused.json()["message"]
    # Everything from that sign-in is gone, the rotated tokens included.
    for token in (first["accessToken"], rotated["accessToken"]):
        response = session.client.get("/api/v1/tables", headers=session.as_(token))
        assert response.status_code == 401
        assert response.json()["message"] == "Not Authorized! Token was revoked (signed out); sign in again"
    again = session.client.post("/api/v1/users/refresh", json={"refreshToken": rotated["refreshToken"]})
    assert again.status_code == 401


def test_logout_revokes_the_token(session: Session) -> None:
    token = session.admin_token()
    headers = session.as_(token)
    assert session.client.get("/api/v1/tables", headers=headers).status_code == 200
    assert (
        session.client.post("/api/v1/users/logout", json={"token": token}, headers=headers).status_code == 200
    )
    after = session.client.get("/api/v1/tables", headers=headers)
    assert after.status_code == 401
    assert after.json()["message"] == "Not Authorized! Token was revoked (signed out); sign in again"


def test_change_password_and_policy(session: Session) -> None:
    token = session.admin_token()
    headers = session.as_(token)
    weak = session.client.put(
        "/api/v1/users/changePassword",
        json={"oldPassword": session.admin_password, "newPassword": "short", "confirmPassword": "short"},
        headers=headers,
    )
    assert weak.status_code == 400
    assert weak.json()["message"].startswith("Password must be 8 to 256 characters")
    wrong_old = session.client.put(
        "/api/v1/users/changePassword",
        json={"oldPassword": "nope", "newPassword": STRONG, "confirmPassword": STRONG},
        headers=headers,
    )
    assert wrong_old.status_code == 400
    changed = session.client.put(
        "/api/v1/users/changePassword",
        json={"oldPassword": session.admin_password, "newPassword": STRONG, "confirmPassword": STRONG},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    assert session.login("admin", STRONG).status_code == 200
    assert session.login("admin", session.admin_password).status_code == 401


def test_a_password_change_ends_every_other_session(session: Session) -> None:
    here = session.login("admin", session.admin_password).json()
    elsewhere = session.login("admin", session.admin_password).json()
    changed = session.client.put(
        "/api/v1/users/changePassword",
        json={"oldPassword": session.admin_password, "newPassword": STRONG, "confirmPassword": STRONG},
        headers=session.as_(here["accessToken"]),
    )
    assert changed.status_code == 200, changed.text
    me = "/api/v1/users/loggedInUser"
    # The other sign-in (its access and its refresh token) is over at once...
    gone = session.client.get(me, headers=session.as_(elsewhere["accessToken"]))
    assert gone.status_code == 401
    assert "revoked" in gone.json()["message"]
    refreshed = session.client.post("/api/v1/users/refresh", json={"refreshToken": elsewhere["refreshToken"]})
    assert refreshed.status_code == 401
    # ...the one that made the change goes on, refresh included.
    assert session.client.get(me, headers=session.as_(here["accessToken"])).status_code == 200
    again = session.client.post("/api/v1/users/refresh", json={"refreshToken": here["refreshToken"]})
    assert again.status_code == 200


def test_an_administrators_reset_ends_every_session_of_the_user(session: Session) -> None:
    admin = session.admin_token()
    session.client.post(
        "/api/v1/users",
        json={"name": "erin", "email": "erin@example.com", "password": STRONG},
        headers=session.as_(admin),
    ).raise_for_status()
    erin = session.login("erin", STRONG).json()
    other = STRONG + "x"
    reset = session.client.put(
        "/api/v1/users/changePassword",
        json={"username": "erin", "requestType": "USER", "newPassword": other, "confirmPassword": other},
        headers=session.as_(admin),
    )
    assert reset.status_code == 200, reset.text
    assert (
        session.client.get("/api/v1/users/loggedInUser", headers=session.as_(erin["accessToken"])).status_code
        == 401
    )
    assert (
        session.client.post("/api/v1/users/refresh", json={"refreshToken": erin["refreshToken"]}).status_code
        == 401
    )


def test_oversized_passwords_are_refused_before_hashing(session: Session) -> None:
    huge = base64.b64encode(b"A" * 5000).decode()
    response = session.client.post("/api/v1/users/login", json={"email": "admin", "password": huge})
    assert response.status_code == 400
    assert response.json()["message"] == "Password is longer than 256 characters."


def test_admin_creates_a_user_who_signs_in_as_data_consumer(session: Session) -> None:
    admin = session.admin_token()
    user = session.create_user(admin, "alice", password=STRONG)
    assert [r["name"] for r in user["roles"]] == ["DataConsumer"]
    assert "password" not in user
    token = session.token_for("alice@example.com", STRONG)
    me = session.client.get("/api/v1/users/loggedInUser", headers=session.as_(token)).json()
    assert me["isAdmin"] is False


def test_oversized_bodies_are_refused_before_they_are_read(session: Session) -> None:
    big = b'{"email": "admin", "password": "' + b"A" * (1024 * 1024) + b'"}'
    declared = session.client.post(
        "/api/v1/users/login", content=big, headers={"Content-Type": "application/json"}
    )
    assert declared.status_code == 413
    assert "at most 65,536 bytes" in declared.json()["message"]

    def chunks() -> Iterator[bytes]:
        yield b'{"email": "admin", "password": "'
        for _ in range(100):
            yield b"A" * 4096
        yield b'"}'

    chunked = session.client.post(
        "/api/v1/users/login", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert chunked.status_code == 413
    # Authenticated endpoints take more, up to their own limit.
    admin = session.as_(session.admin_token())
    huge = b"[" + b" " * (33 * 1024 * 1024) + b"]"
    bulk = session.client.put(
        "/api/v1/tables/bulk", content=huge, headers={**admin, "Content-Type": "application/json"}
    )
    assert bulk.status_code == 413
    assert "at most 33,554,432 bytes" in bulk.json()["message"]
    fine = session.client.put("/api/v1/tables/bulk", content=b"[" + b" " * 100_000 + b"]", headers=admin)
    assert fine.status_code == 200
