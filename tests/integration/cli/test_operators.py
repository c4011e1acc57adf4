"""The operators' commands act on the configured database with no server and no token."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import jwt
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tessera.app import create_app
from tessera.bootstrap import build_container, start
from tessera.cli import _register, app
from tessera.config import Settings, load_settings
from tessera.errors import ConfigError
from tessera.storage import migrate
from tessera.storage.db import create_engine


@pytest.fixture
def cli(settings_factory: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch) -> Callable[..., object]:
    settings = settings_factory(AUTHENTICATION_PROVIDER="basic")
    monkeypatch.setenv("TESSERA_HOME", str(settings.home))
    monkeypatch.setenv("TESSERA_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("AUTHENTICATION_PROVIDER", "basic")
    monkeypatch.setenv("FERNET_KEY", settings.fernetConfiguration.fernetKey)
    _register()
    runner = CliRunner()

    def run(*args: str) -> object:
        return runner.invoke(app, list(args), catch_exceptions=False)

    # First start: migrations, the ingestion bot and the first admin.
    with TestClient(create_app(settings)):
        pass
    run.settings = settings  # type: ignore[attr-defined]
    return run


def _login(client: TestClient, name: str, password: str) -> int:
    encoded = base64.b64encode(password.encode()).decode()
    return client.post("/api/v1/users/login", json={"email": name, "password": encoded}).status_code


def test_users_list_shows_admin_and_bot(cli: Callable[..., object]) -> None:
    result = cli("users", "list")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "admin" in result.output  # type: ignore[attr-defined]
    assert "ingestion-bot" in result.output  # type: ignore[attr-defined]


def test_bots_token_prints_a_working_token_and_replaces_the_old_one(cli: Callable[..., object]) -> None:
    settings: Settings = cli.settings  # type: ignore[attr-defined]
    first = cli("bots", "token", "ingestion-bot", "--expiry", "7")
    assert first.exit_code == 0, first.output  # type: ignore[attr-defined]
    token = first.output.strip()  # type: ignore[attr-defined]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["sub"] == "ingestion-bot"
    assert claims["tokenType"] == "BOT"
    assert claims["exp"] - claims["iat"] == 7 * 86400
    second = cli("bots", "token", "ingestion-bot").output.strip()  # type: ignore[attr-defined]
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/v1/tables", headers={"Authorization": f"Bearer {second}"}).status_code == 200
        assert client.get("/api/v1/tables", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    unlimited = cli("bots", "token", "ingestion-bot", "--expiry", "Unlimited")
    assert unlimited.exit_code == 1  # type: ignore[attr-defined]
    assert "without expiry" in unlimited.output  # type: ignore[attr-defined]
    assert cli("bots", "token", "nobody").exit_code == 1  # type: ignore[attr-defined]


def test_users_delete_admin_and_reset_password(cli: Callable[..., object]) -> None:
    settings: Settings = cli.settings  # type: ignore[attr-defined]
    reset = cli("users", "reset-password", "admin")
    assert reset.exit_code == 0, reset.output  # type: ignore[attr-defined]
    password = reset.output.strip().rsplit(": ", 1)[1]  # type: ignore[attr-defined]
    with TestClient(create_app(settings)) as client:
        assert _login(client, "admin", password) == 200
    unconfirmed = cli("users", "delete", "admin")
    assert unconfirmed.exit_code == 2  # type: ignore[attr-defined]
    assert "Pass --yes to confirm" in unconfirmed.output  # type: ignore[attr-defined]
    with TestClient(create_app(settings)) as client:
        assert _login(client, "admin", password) == 200
    deleted = cli("users", "delete", "admin", "--yes")
    assert deleted.exit_code == 0, deleted.output  # type: ignore[attr-defined]
    with TestClient(create_app(settings)) as client:
        assert _login(client, "admin", password) == 401
    assert "│ admin " not in cli("users", "list").output  # type: ignore[attr-defined]
    missing = cli("users", "delete", "admin", "--yes")
    assert missing.exit_code == 1  # type: ignore[attr-defined]
    assert "no user named 'admin'" in missing.output  # type: ignore[attr-defined]


def test_a_chosen_admin_password_satisfies_production(cli: Callable[..., object]) -> None:
    settings: Settings = cli.settings  # type: ignore[attr-defined]
    production = {
        "TESSERA_HOME": str(settings.home),
        "TESSERA_DATABASE_URL": settings.database_url,
        "AUTHENTICATION_PROVIDER": "basic",
        "TESSERA_ENV": "production",
        "FERNET_KEY": settings.fernetConfiguration.fernetKey,
    }
    refused = build_container(load_settings(environ=production))
    with pytest.raises(ConfigError, match="initial password of admin was never changed"):
        start(refused)
    refused.close()
    command = ["users", "reset-password", "admin", "--password-stdin"]
    weak = CliRunner().invoke(app, command, input="short\n")
    assert weak.exit_code == 1
    assert "Password must be 8 to 256 characters" in weak.output
    chosen = "Ch0sen!Admin-Passw0rd"
    result = CliRunner().invoke(
        app, ["users", "reset-password", "admin", "--password-stdin"], input=chosen + "\n"
    )
    assert result.exit_code == 0, result.output
    assert chosen not in result.output
    container = build_container(load_settings(environ=production))
    start(container)  # no refusal: the password was chosen, not generated
    container.close()
    with TestClient(create_app(settings)) as client:
        assert _login(client, "admin", chosen) == 200


def test_keys_rotate_publishes_both_keys(cli: Callable[..., object]) -> None:
    settings: Settings = cli.settings  # type: ignore[attr-defined]
    with TestClient(create_app(settings)) as client:
        before = {k["kid"] for k in client.get("/api/v1/system/config/jwks").json()["keys"]}
    result = cli("keys", "rotate")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "2 key(s) published" in result.output  # type: ignore[attr-defined]
    with TestClient(create_app(settings)) as client:
        after = {k["kid"] for k in client.get("/api/v1/system/config/jwks").json()["keys"]}
    assert before < after


def test_operator_commands_never_create_a_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    (home / "quickstart").mkdir(parents=True)
    (home / "quickstart" / "tessera.yaml").write_text("server: {}\n")
    monkeypatch.setenv("TESSERA_HOME", str(home))
    monkeypatch.delenv("TESSERA_DATABASE_URL", raising=False)
    _register()
    for command in (["users", "list"], ["users", "reset-password", "alice"], ["bots", "token"]):
        result = CliRunner().invoke(app, command, catch_exceptions=False)
        assert result.exit_code == 2, result.output
        assert f"no catalog at {home / 'tessera.db'}" in result.output
        # Where the quickstart's catalog is, since that is usually the one meant.
        assert f"--config {home / 'quickstart' / 'tessera.yaml'}" in result.output
    assert sorted(p.name for p in home.iterdir()) == ["quickstart"]


def test_operator_commands_refuse_an_old_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    migrate.upgrade(engine, "0001")
    engine.dispose()
    monkeypatch.setenv("TESSERA_HOME", str(home))
    monkeypatch.setenv("TESSERA_DATABASE_URL", url)
    _register()
    result = CliRunner().invoke(app, ["users", "list"], catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert "run: tessera db upgrade" in result.output
    engine = create_engine(url)
    assert migrate.current_revision(engine) == "0001"  # not migrated behind the operator's back
    engine.dispose()


def test_users_list_says_who_is_an_administrator_and_why(cli: Callable[..., object]) -> None:
    settings: Settings = cli.settings  # type: ignore[attr-defined]
    with TestClient(create_app(settings)) as client:
        password = (settings.home / "initial-admin-password").read_text().strip()
        encoded = base64.b64encode(password.encode()).decode()
        token = client.post("/api/v1/users/login", json={"email": "admin", "password": encoded}).json()[
            "accessToken"
        ]
        listed = client.put(
            "/api/v1/users",
            json={"name": "root", "email": f"root@{settings.authorizerConfiguration.principalDomain}"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert listed.status_code == 201, listed.text
    output = cli("users", "list").output  # type: ignore[attr-defined]
    rows = {line.split("│")[1].strip(): line for line in output.splitlines() if line.count("│") > 3}
    assert "yes (isAdmin)" in rows["admin"]
    assert "yes" not in rows["root"].split("│")[3]  # not listed in adminPrincipals
    assert "yes" not in rows["ingestion-bot"].split("│")[3]


def test_bots_token_does_not_silently_replace_azure_sso(cli: Callable[..., object]) -> None:
    settings: Settings = cli.settings  # type: ignore[attr-defined]
    with TestClient(create_app(settings)) as client:
        password = (settings.home / "initial-admin-password").read_text().strip()
        encoded = base64.b64encode(password.encode()).decode()
        token = client.post("/api/v1/users/login", json={"email": "admin", "password": encoded}).json()[
            "accessToken"
        ]
        headers = {"Authorization": f"Bearer {token}"}
        bot = client.get("/api/v1/users/name/ingestion-bot", headers=headers).json()
        sso = {
            "authType": "SSO",
            "config": {
                "ssoServiceType": "azure",
                "authConfig": {
                    "clientId": "33333333-3333-3333-3333-333333333333",
                    "clientSecret": "s3cret",
                    "authority": "https://login.microsoftonline.com/11111111-1111-1111-1111-111111111111",
                    "scopes": ["api://33333333-3333-3333-3333-333333333333/.default"],
                },
            },
        }
        body = {"name": "ingestion-bot", "email": bot["email"], "isBot": True, "authenticationMechanism": sso}
        assert client.put("/api/v1/users", json=body, headers=headers).status_code == 200
    refused = cli("bots", "token", "ingestion-bot")
    assert refused.exit_code == 2  # type: ignore[attr-defined]
    assert "signs in with Azure SSO" in refused.output  # type: ignore[attr-defined]
    switched = cli("bots", "token", "ingestion-bot", "--switch-to-jwt")
    assert switched.exit_code == 0, switched.output  # type: ignore[attr-defined]
