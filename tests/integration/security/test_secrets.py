"""Secrets at rest: sealed with Fernet, never returned, kept when a masked value comes back,
re-encrypted by ``tessera secrets rotate``; and the pipeline connection a bot would use."""

from __future__ import annotations

import re
from collections.abc import Callable

import sqlalchemy as sa
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from tessera.bootstrap import build_container, start
from tessera.cli import _register, app
from tessera.config import Settings
from tests.integration.rawdump import raw_database_text
from tests.integration.security.conftest import Session

PASSWORD = "s3cret-db-password"


def _raw(settings: Settings, *, files: bool = True) -> str:
    return raw_database_text(settings.database_url, files=files)


def _service(password: str) -> dict[str, object]:
    return {
        "name": "pg",
        "serviceType": "Postgres",
        "connection": {
            "config": {
                "type": "Postgres",
                "hostPort": "db:5432",
                "username": "reader",
                "authType": {"password": password},
                "database": "shop",
            }
        },
    }


def test_connection_passwords_are_sealed_masked_and_kept(session: Session) -> None:
    admin = session.as_(session.admin_token())
    created = session.client.put("/api/v1/services/databaseServices", json=_service(PASSWORD), headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["connection"]["config"]["authType"]["password"] == "*********"
    assert PASSWORD not in _raw(session.settings)
    assert "fernet:" in _raw(session.settings)
    # The UI sends back what it shows: the stored password stays (no new version either).
    again = session.client.put("/api/v1/services/databaseServices", json=_service("*********"), headers=admin)
    assert again.status_code == 200
    assert again.json()["version"] == created.json()["version"]
    assert "fernet:" in _raw(session.settings)
    # A real change is sealed too, and its change description shows no ciphertext.
    changed = session.client.put(
        "/api/v1/services/databaseServices", json=_service("another-one"), headers=admin
    )
    assert changed.json()["version"] > created.json()["version"]
    assert "another-one" not in _raw(session.settings)
    assert "fernet:" not in changed.text


def test_secrets_rotate_re_encrypts_under_the_new_key(
    session: Session, settings_factory: Callable[..., Settings]
) -> None:
    admin = session.as_(session.admin_token())
    session.client.put("/api/v1/services/databaseServices", json=_service(PASSWORD), headers=admin)
    old_key = session.settings.fernetConfiguration.fernetKey
    new_key = Fernet.generate_key().decode()
    before = _raw(session.settings, files=False)
    # What the operator runs, on the configured database.
    _register()
    result = CliRunner().invoke(
        app,
        ["secrets", "rotate"],
        env={
            "TESSERA_HOME": str(session.settings.home),
            "TESSERA_DATABASE_URL": session.settings.database_url,
            "AUTHENTICATION_PROVIDER": "basic",
            "FERNET_KEY": f"{new_key},{old_key}",
        },
    )
    assert result.exit_code == 0, result.output
    # Old ciphertext may linger in SQLite's free pages; what matters is what the rows hold.
    after = _raw(session.settings, files=False)
    assert after != before
    # Only the new key is needed now: every stored secret opens with it.
    only_new = build_container(settings_factory(AUTHENTICATION_PROVIDER="basic", FERNET_KEY=new_key))
    box = only_new.box
    sealed = re.findall(r"fernet:[A-Za-z0-9_\-=]+", after)
    assert sealed
    assert {box.open(value) for value in sealed if value} >= {PASSWORD}
    only_new.close()


def test_pipeline_connection_comes_from_the_bot_and_only_to_admins_and_the_bot(session: Session) -> None:
    admin = session.as_(session.admin_token())
    service = session.client.put(
        "/api/v1/services/databaseServices", json={"name": "svc", "serviceType": "SQLite"}, headers=admin
    ).json()
    pipeline = session.client.put(
        "/api/v1/services/ingestionPipelines",
        json={
            "name": "nightly",
            "pipelineType": "metadata",
            "sourceConfig": {"config": {"type": "DatabaseMetadata"}},
            "airflowConfig": {},
            "service": {"id": service["id"], "type": "databaseService"},
        },
        headers=admin,
    ).json()
    bot = session.client.get("/api/v1/bots/name/ingestion-bot", headers=admin).json()
    token = session.client.put(
        f"/api/v1/users/generateToken/{bot['botUser']['id']}", json={"JWTTokenExpiry": "1"}, headers=admin
    ).json()["JWTToken"]
    url = f"/api/v1/services/ingestionPipelines/{pipeline['id']}?fields=openMetadataServerConnection"
    seen = session.client.get(url, headers=admin).json()["openMetadataServerConnection"]
    assert seen["authProvider"] == "openmetadata"
    assert seen["securityConfig"] == {"jwtToken": token}
    assert seen["hostPort"].endswith("/api")
    assert session.client.get(url, headers=session.as_(token)).json()["openMetadataServerConnection"][
        "authProvider"
    ]
    session.create_user(session.admin_token(), "ivan", password="Str0ng!Passw0rd-for-tests")
    ivan = session.as_(session.token_for("ivan", "Str0ng!Passw0rd-for-tests"))
    assert "openMetadataServerConnection" not in session.client.get(url, headers=ivan).json()
    # Not part of the default or "*" fields: OpenMetadata 2.x clients must not see it.
    plain = session.client.get(
        f"/api/v1/services/ingestionPipelines/{pipeline['id']}?fields=*", headers=admin
    )
    assert "openMetadataServerConnection" not in plain.json()


DBT_TOKEN = "dbt-cloud-token-7f3a9c"


def _dbt_pipeline(service_id: str) -> dict[str, object]:
    return {
        "name": "dbt",
        "pipelineType": "dbt",
        "sourceConfig": {
            "config": {
                "type": "DBT",
                "dbtConfigSource": {
                    "dbtConfigType": "cloud",
                    "dbtCloudAuthToken": DBT_TOKEN,
                    "dbtCloudAccountId": "1",
                    "dbtCloudUrl": "https://cloud.getdbt.com",
                },
            }
        },
        "airflowConfig": {},
        "service": {"id": service_id, "type": "databaseService"},
    }


def _bot_token(session: Session, admin: dict[str, str], name: str) -> dict[str, str]:
    bot = session.client.get(f"/api/v1/bots/name/{name}", headers=admin).json()
    token = session.client.put(
        f"/api/v1/users/generateToken/{bot['botUser']['id']}", json={"JWTTokenExpiry": "1"}, headers=admin
    ).json()["JWTToken"]
    return session.as_(token)


def test_pipeline_secrets_are_sealed_and_shown_only_to_bots_that_deploy(session: Session) -> None:
    admin = session.as_(session.admin_token())
    service = session.client.put(
        "/api/v1/services/databaseServices", json={"name": "svc", "serviceType": "SQLite"}, headers=admin
    ).json()
    created = session.client.put(
        "/api/v1/services/ingestionPipelines", json=_dbt_pipeline(service["id"]), headers=admin
    )
    assert created.status_code == 201, created.text
    pipeline = created.json()
    # Sealed at rest, wherever the schema says a secret is (derived, not listed by hand).
    assert DBT_TOKEN not in _raw(session.settings)
    session.client.patch(
        f"/api/v1/services/ingestionPipelines/{pipeline['id']}",
        json=[{"op": "add", "path": "/description", "value": "nightly dbt"}],
        headers={**admin, "Content-Type": "application/json-patch+json"},
    ).raise_for_status()
    session.create_user(session.admin_token(), "ivan", password="Str0ng!Passw0rd-for-tests")
    ivan = session.as_(session.token_for("ivan", "Str0ng!Passw0rd-for-tests"))
    base = f"/api/v1/services/ingestionPipelines/{pipeline['id']}"
    for reader in (ivan, admin):
        for url in (
            base,
            f"{base}?fields=*",
            "/api/v1/services/ingestionPipelines?fields=*",
            f"{base}/versions",
        ):
            body = session.client.get(url, headers=reader)
            assert body.status_code == 200, (url, body.text)
            assert DBT_TOKEN not in body.text, url
            assert "fernet:" not in body.text, url
        search = "/api/v1/search/query?q=dbt&index=ingestion_pipeline_search_index"
        found = session.client.get(search, headers=reader)
        assert DBT_TOKEN not in found.text
        assert "fernet:" not in found.text
        shown = session.client.get(base, headers=reader).json()["sourceConfig"]["config"]["dbtConfigSource"]
        assert shown["dbtCloudAuthToken"] == "*********"
    # The ingestion bot runs workflows (its policy allows Deploy): it needs the token to connect.
    runner = _bot_token(session, admin, "ingestion-bot")
    opened = session.client.get(base, headers=runner).json()["sourceConfig"]["config"]["dbtConfigSource"]
    assert opened["dbtCloudAuthToken"] == DBT_TOKEN
    # A bot without Deploy does not.
    consumer = session.client.get("/api/v1/roles/name/DataConsumer", headers=admin).json()["id"]
    session.client.put(
        "/api/v1/users",
        json={"name": "reporter", "email": "reporter@example.com", "isBot": True, "roles": [consumer]},
        headers=admin,
    ).raise_for_status()
    session.client.put(
        "/api/v1/bots", json={"name": "reporter", "botUser": "reporter"}, headers=admin
    ).raise_for_status()
    reporter = _bot_token(session, admin, "reporter")
    masked = session.client.get(base, headers=reporter)
    assert masked.status_code == 200, masked.text
    assert DBT_TOKEN not in masked.text


def test_secrets_an_older_tessera_stored_in_the_clear_are_sealed_at_start(
    session: Session, settings_factory: Callable[..., Settings]
) -> None:
    admin = session.as_(session.admin_token())
    service = session.client.put(
        "/api/v1/services/databaseServices", json={"name": "svc", "serviceType": "SQLite"}, headers=admin
    ).json()
    pipeline = session.client.put(
        "/api/v1/services/ingestionPipelines", json=_dbt_pipeline(service["id"]), headers=admin
    ).json()
    # A second version, so that entity_version holds the first.
    session.client.patch(
        f"/api/v1/services/ingestionPipelines/{pipeline['id']}",
        json=[{"op": "add", "path": "/description", "value": "nightly"}],
        headers={**admin, "Content-Type": "application/json-patch+json"},
    ).raise_for_status()
    # As an older tessera left it: the token in the clear, and no record of a sealing pass.
    engine = sa.create_engine(session.settings.database_url)
    with engine.begin() as conn:
        for table in ("entity", "entity_version"):
            key = "id" if table == "entity" else "entity_id"
            doc = conn.execute(
                sa.text(f"SELECT doc FROM {table} WHERE {key} = :id"), {"id": pipeline["id"]}
            ).scalar()
            plain = re.sub(
                r'"dbtCloudAuthToken":\s*"fernet:[^"]+"', f'"dbtCloudAuthToken":"{DBT_TOKEN}"', doc
            )
            conn.execute(
                sa.text(f"UPDATE {table} SET doc = :doc WHERE {key} = :id"),
                {"doc": plain, "id": pipeline["id"]},
            )
        conn.execute(sa.text("DELETE FROM system_setting WHERE name = 'secrets.plaintextSealed'"))
    engine.dispose()
    assert DBT_TOKEN in _raw(session.settings, files=False)
    container = build_container(settings_factory(AUTHENTICATION_PROVIDER="basic"))
    start(container)
    container.close()
    assert DBT_TOKEN not in _raw(session.settings, files=False)
