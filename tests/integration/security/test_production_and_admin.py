from __future__ import annotations

import base64
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from tessera.app import create_app
from tessera.bootstrap import build_container, start
from tessera.config import Settings
from tessera.errors import ConfigError
from tests.integration.security.conftest import Session

STRONG = "Str0ng!Passw0rd-for-tests"
FERNET = "xQq8f2W5mJ0zJ3b8m0pZ0oXnH3qf6J5lqk9a3o6xv3s="


def _explicit_key(settings: Settings) -> str:
    """Production's own key first, and the one the first start used after it: that one sealed
    what the database holds (its signing keys, too)."""
    return f"{FERNET},{settings.fernetConfiguration.fernetKey}"


def test_deleted_admin_stays_deleted_across_restarts(
    secure: Callable[..., Session], settings_factory: Callable[..., Settings]
) -> None:
    session = secure(AUTHORIZER_ADMIN_PRINCIPALS="[admin]")
    admin = session.as_(session.admin_token())
    me = session.client.get("/api/v1/users/loggedInUser", headers=admin).json()
    deleted = session.client.delete(f"/api/v1/users/{me['id']}?hardDelete=true", headers=admin)
    assert deleted.status_code == 200
    # The admin's own token dies with it.
    assert session.client.get("/api/v1/tables", headers=admin).status_code == 401
    # A restart (a new process on the same database) does not bring it back.
    restarted = build_container(
        settings_factory(AUTHENTICATION_PROVIDER="basic", AUTHORIZER_ADMIN_PRINCIPALS="[admin]")
    )
    created = start(restarted)
    assert created.admin_password is None
    assert restarted.users.directory.by_name("admin") is None
    restarted.close()


def test_other_providers_refuse_password_endpoints(settings_factory: Callable[..., Settings]) -> None:
    settings = settings_factory(
        AUTHENTICATION_PROVIDER="azure",
        AUTHENTICATION_AUTHORITY="https://login.microsoftonline.com/11111111-1111-1111-1111-111111111111",
        AUTHENTICATION_CLIENT_ID="22222222-2222-2222-2222-222222222222",
    )
    with TestClient(create_app(settings)) as client:
        login = {"email": "admin", "password": base64.b64encode(b"x").decode()}
        for path, body in (
            ("/api/v1/users/login", login),
            ("/api/v1/users/signup", login),
            ("/api/v1/users/refresh", {"refreshToken": "x"}),
        ):
            response = client.post(path, json=body)
            assert response.status_code == 403, path
            assert response.json() == {
                "code": 403,
                "message": "Operation is not permitted with the Selected Authenticator.",
            }
        # No first admin is created for SSO providers.
        assert not (settings.home / "initial-admin-password").exists()


def test_start_warns_about_password_users_under_sso_and_production_refuses(
    secure: Callable[..., Session],
    settings_factory: Callable[..., Settings],
    caplog: pytest.LogCaptureFixture,
) -> None:
    secure()  # basic: creates the admin with a password
    azure = {
        "AUTHENTICATION_PROVIDER": "azure",
        "AUTHENTICATION_AUTHORITY": "https://login.microsoftonline.com/11111111-1111-1111-1111-111111111111",
        "AUTHENTICATION_CLIENT_ID": "22222222-2222-2222-2222-222222222222",
    }
    container = build_container(settings_factory(**azure))
    start(container)
    container.close()
    assert "users with a password still exist while provider is azure: admin" in caplog.text
    assert "tessera users delete admin" in caplog.text
    production = build_container(
        settings_factory(**azure, TESSERA_ENV="production", FERNET_KEY=_explicit_key(container.settings))
    )
    with pytest.raises(ConfigError, match="production mode refuses to start: users with a password"):
        start(production)
    production.close()


def test_soft_deleted_password_users_count_too(
    secure: Callable[..., Session],
    settings_factory: Callable[..., Settings],
    caplog: pytest.LogCaptureFixture,
) -> None:
    session = secure()
    admin = session.admin_token()
    me = session.client.get("/api/v1/users/loggedInUser", headers=session.as_(admin)).json()
    # Soft-deleted: an administrator can restore it, password and all.
    assert session.client.delete(f"/api/v1/users/{me['id']}", headers=session.as_(admin)).status_code == 200
    azure = {
        "AUTHENTICATION_PROVIDER": "azure",
        "AUTHENTICATION_AUTHORITY": "https://login.microsoftonline.com/11111111-1111-1111-1111-111111111111",
        "AUTHENTICATION_CLIENT_ID": "22222222-2222-2222-2222-222222222222",
    }
    container = build_container(settings_factory(**azure))
    start(container)
    container.close()
    assert "users with a password still exist while provider is azure: admin (soft-deleted)" in caplog.text
    assert "tessera users delete admin" in caplog.text


def test_production_refusals_say_what_to_change(
    settings_factory: Callable[..., Settings], tmp_path: Path
) -> None:
    with pytest.raises(ConfigError, match=r"refuses authenticationConfiguration\.provider no-auth"):
        build_container(settings_factory(AUTHENTICATION_PROVIDER="no-auth", TESSERA_ENV="production"))
    with pytest.raises(ConfigError, match="needs an explicit Fernet key, the same for every replica"):
        build_container(
            settings_factory(AUTHENTICATION_PROVIDER="basic", TESSERA_ENV="production", FERNET_KEY="")
        )
    # A configured key file others can read.
    container = build_container(settings_factory(AUTHENTICATION_PROVIDER="basic"))
    start(container)
    container.close()
    key_file = tmp_path / "private_key.pem"
    key_file.write_bytes(
        rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    os.chmod(key_file, 0o644)
    production = build_container(
        settings_factory(
            AUTHENTICATION_PROVIDER="basic",
            TESSERA_ENV="production",
            FERNET_KEY=_explicit_key(container.settings),
            RSA_PRIVATE_KEY_FILE_PATH=str(key_file),
        )
    )
    with pytest.raises(ConfigError, match=r"refuses key files that others can read.*chmod 600"):
        start(production)
    os.chmod(key_file, 0o600)
    # The first admin's password was never changed.
    with pytest.raises(ConfigError, match="initial password of admin was never changed"):
        start(production)
    production.close()


def test_production_starts_once_the_admin_password_is_changed(
    secure: Callable[..., Session], settings_factory: Callable[..., Settings]
) -> None:
    session = secure()
    token = session.admin_token()
    changed = session.client.put(
        "/api/v1/users/changePassword",
        json={"oldPassword": session.admin_password, "newPassword": STRONG, "confirmPassword": STRONG},
        headers=session.as_(token),
    )
    assert changed.status_code == 200
    production = build_container(
        settings_factory(
            AUTHENTICATION_PROVIDER="basic",
            TESSERA_ENV="production",
            FERNET_KEY=_explicit_key(session.settings),
        )
    )
    start(production)
    production.close()


def test_audit_log_records_sign_ins_and_token_changes(session: Session) -> None:
    session.login("admin", "wrong")
    admin = session.as_(session.admin_token())
    bot = session.client.get("/api/v1/bots/name/ingestion-bot", headers=admin).json()
    session.client.put(
        f"/api/v1/users/generateToken/{bot['botUser']['id']}", json={"JWTTokenExpiry": "1"}, headers=admin
    )
    session.client.put("/api/v1/users/revokeToken", json={"id": bot["botUser"]["id"]}, headers=admin)
    events = session.client.get("/api/v1/audit/events?limit=100", headers=admin).json()["data"]
    seen = [(e["action"], e["outcome"]) for e in events]
    assert ("login", "failure") in seen
    assert ("login", "success") in seen
    assert ("token-issue", "success") in seen
    assert ("token-revoke", "success") in seen
    assert ("auth-mechanism-change", "success") not in seen
    assert all(set(e) >= {"id", "timestamp", "actor", "action", "outcome"} for e in events)
    # Newest first, and no secret in the log.
    assert events[0]["id"] > events[-1]["id"]
    assert "fernet:" not in str(events)


def test_production_refuses_plain_http_and_a_non_microsoft_authority_unless_declared(
    settings_factory: Callable[..., Settings],
) -> None:
    base = {"AUTHENTICATION_PROVIDER": "basic", "TESSERA_ENV": "production", "FERNET_KEY": FERNET}
    with pytest.raises(ConfigError, match=r"refuses the plain-http public URL http://catalog\.example\.com"):
        build_container(settings_factory(**base, TESSERA_PUBLIC_URL="http://catalog.example.com"))
    build_container(
        settings_factory(
            **base, TESSERA_PUBLIC_URL="http://catalog.internal", TESSERA_TLS_TERMINATED_UPSTREAM="true"
        )
    ).close()
    build_container(settings_factory(**base, TESSERA_PUBLIC_URL="https://catalog.example.com")).close()
    azure = {
        **base,
        "AUTHENTICATION_PROVIDER": "azure",
        "AUTHENTICATION_AUTHORITY": "https://127.0.0.1:8443/11111111-1111-1111-1111-111111111111",
        "AUTHENTICATION_CLIENT_ID": "22222222-2222-2222-2222-222222222222",
        "TESSERA_IDP_CA_BUNDLE": "/tmp/ca.pem",
    }
    with pytest.raises(ConfigError, match=r"refuses the identity provider at '127\.0\.0\.1' trusted through"):
        build_container(settings_factory(**azure))
    declared = {key: value for key, value in azure.items() if key != "TESSERA_IDP_CA_BUNDLE"}
    build_container(settings_factory(**declared, TESSERA_NON_MICROSOFT_AUTHORITY="true")).close()
