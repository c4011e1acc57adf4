"""Deployed as the guide deploys OpenMetadata: replicas on PostgreSQL with a TESSERA_HOME each and
no shared disk, configured by OpenMetadata's variables or its openmetadata.yaml; migrations as a
step of their own."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest
import sqlalchemy as sa

from tessera.bootstrap import build_container, start
from tessera.config import load_settings
from tessera.errors import ConfigError
from tests.integration.conftest import _create_server_database, _drop_server_database
from tests.integration.servers import TEST_FERNET_KEY, admin_session, tessera_server

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
OPENMETADATA_YAML = Path(__file__).parent.parent / "data" / "openmetadata.yaml"


@pytest.fixture(scope="module")
def postgres_database() -> Iterator[str]:
    url = _create_server_database("postgresql")
    yield url
    _drop_server_database("postgresql", url)


def _openmetadata_env(url: str) -> dict[str, str]:
    """Only OpenMetadata's names (the guide's Docker section), plus the test's Fernet key."""
    parsed = sa.make_url(url)
    return {
        "TESSERA_DATABASE_URL": "",  # the helper's own; OpenMetadata's variables must do it alone
        "DB_DRIVER_CLASS": "org.postgresql.Driver",
        "DB_SCHEME": "postgresql",
        "DB_HOST": str(parsed.host),
        "DB_PORT": str(parsed.port),
        "DB_USER": str(parsed.username),
        "OM_DATABASE": str(parsed.database),
        "DB_PARAMS": "sslmode=disable",
        "DB_USE_SSL": "false",
        "AUTHENTICATION_PROVIDER": "basic",
        "FERNET_KEY": TEST_FERNET_KEY,
        "LOG_LEVEL": "WARN",
    }


def _kid(token: str) -> str:
    return str(jwt.get_unverified_header(token)["kid"])


def _get(base: str, token: str) -> int:
    return httpx.get(
        f"{base}/api/v1/tables", headers={"Authorization": f"Bearer {token}"}, timeout=30
    ).status_code


def _cli(home: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tessera", *args],
        env={**os.environ, "TESSERA_HOME": str(home), **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_two_replicas_accept_each_others_tokens_before_and_after_a_rotation(
    postgres_database: str, tmp_path: Path
) -> None:
    env = _openmetadata_env(postgres_database)
    first_home, second_home = tmp_path / "a", tmp_path / "b"
    with (
        tessera_server(first_home, "", env=env) as first,
        # The second replica reads a real openmetadata.yaml (which references the same variables).
        tessera_server(second_home, "", env=env, config=OPENMETADATA_YAML) as second,
    ):
        log = (second_home / next(p.name for p in second_home.glob("server-*.log"))).read_text()
        assert "openmetadata.yaml: elasticsearch ignored" in log
        assert not (first_home / "jwt").exists()
        assert not (second_home / "jwt").exists()
        token = admin_session(first, first_home)
        assert _get(second, token) == 200
        before = _kid(token)

        rotated = _cli(second_home, env, "keys", "rotate")
        assert rotated.returncode == 0, rotated.stderr
        new_kid = rotated.stdout.split("new key ")[1].split(";")[0]
        assert new_kid != before

        # Each replica signs with the new key within seconds of the rotation.
        deadline = time.monotonic() + 15
        fresh = admin_session(first, first_home)
        while _kid(fresh) != new_kid and time.monotonic() < deadline:
            time.sleep(0.2)
            fresh = admin_session(first, first_home)
        assert _kid(fresh) == new_kid
        assert _get(second, fresh) == 200
        assert _get(first, admin_session(second, first_home)) == 200
        # Tokens signed before the rotation still work everywhere.
        assert _get(first, token) == 200
        assert _get(second, token) == 200
        listed = _cli(first_home, env, "keys", "list")
        assert listed.returncode == 0, listed.stderr
        assert f"{new_kid}  signing" in listed.stdout
        assert f"{before}  published" in listed.stdout


def test_keys_rotate_fails_loudly_when_the_database_is_unreachable(tmp_path: Path) -> None:
    env = {**_openmetadata_env("postgresql+psycopg://postgres@127.0.0.1:1/nothing")}
    result = _cli(tmp_path, env, "keys", "rotate")
    assert result.returncode == 2
    assert "cannot reach the database 127.0.0.1:1/nothing" in result.stderr


def test_migrate_check_refuses_an_old_schema_and_names_the_command(tmp_path: Path) -> None:
    env = {
        "TESSERA_DATABASE_URL": f"sqlite:///{tmp_path / 'tessera.db'}",
        "AUTHENTICATION_PROVIDER": "basic",
        "FERNET_KEY": TEST_FERNET_KEY,
    }
    refused = _cli(tmp_path, env, "serve", "--migrate", "check", "--port", "1")
    assert refused.returncode == 1
    assert "holds no catalog yet" in refused.stderr
    assert "run tessera db upgrade" in refused.stderr
    upgraded = _cli(tmp_path, env, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    # Production checks by default; once upgraded, a checking start goes through.
    settings = load_settings(
        environ={**env, "TESSERA_HOME": str(tmp_path)}, overrides={"server.migrate": "check"}
    )
    container = build_container(settings)
    start(container)
    container.close()
    production = load_settings(environ={**env, "TESSERA_HOME": str(tmp_path), "TESSERA_ENV": "production"})
    assert production.server.migrate_mode == "check"
    with pytest.raises(ConfigError, match=r"server\.migrate: 'sometimes' is not allowed"):
        load_settings(environ={**env, "TESSERA_MIGRATE": "sometimes"})
