"""Integration tests run against real databases: SQLite, and the PostgreSQL and MariaDB
servers of this machine. Each backend gets one fresh database per test session (created and
dropped here); every test starts from empty tables.

No mocks of tessera's own code live here.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tessera.app import create_app
from tessera.config import Settings, load_settings
from tessera.storage import migrate
from tessera.storage.db import create_engine
from tessera.storage.schema import metadata
from tests.conftest import tier_unavailable
from tests.integration.servers import TEST_FERNET_KEY

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
MYSQL_ADMIN = "mysql+pymysql://root@127.0.0.1:3306/"
BACKENDS = ("sqlite", "postgresql", "mysql")


def _create_server_database(backend: str) -> str:
    name = f"tessera_test_{secrets.token_hex(4)}"
    if backend == "postgresql":
        admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        create = f'CREATE DATABASE "{name}"'
    else:
        admin = sa.create_engine(MYSQL_ADMIN)
        url = f"mysql+pymysql://root@127.0.0.1:3306/{name}"
        create = f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(create)
            conn.commit()
    except sa.exc.OperationalError as exc:
        tier_unavailable(backend, f"cannot reach the {backend} server ({exc.orig})")
    finally:
        admin.dispose()
    return url


def _drop_server_database(backend: str, url: str) -> None:
    name = sa.make_url(url).database
    if backend == "postgresql":
        admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    else:
        admin = sa.create_engine(MYSQL_ADMIN)
        drop = f"DROP DATABASE IF EXISTS `{name}`"
    with admin.connect() as conn:
        conn.exec_driver_sql(drop)
        conn.commit()
    admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    backend: str = request.param
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'tessera.db'}"
    else:
        url = _create_server_database(backend)
    engine = create_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    if backend != "sqlite":
        _drop_server_database(backend, url)


@pytest.fixture
def backend(database_url: str) -> str:
    return sa.make_url(database_url).get_backend_name()


@pytest.fixture
def clean_database(database_url: str) -> str:
    engine = create_engine(database_url)
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
        extra_tables = set(sa.inspect(conn).get_table_names()) - set(metadata.tables) - {"alembic_version"}
        for name in sorted(extra_tables):
            # FTS5's own tables: emptied by the triggers of search_document's rows.
            if not name.startswith(("search_fts", "search_key")):
                conn.exec_driver_sql(f"DELETE FROM {name}")
    engine.dispose()
    return database_url


@pytest.fixture
def settings_factory(clean_database: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    def make(**env: str) -> Settings:
        # Catalog tests run without authentication; security tests ask for a provider.
        environ = {
            "TESSERA_HOME": str(tmp_path / "home"),
            "TESSERA_DATABASE_URL": clean_database,
            "AUTHENTICATION_PROVIDER": "no-auth",
            "FERNET_KEY": TEST_FERNET_KEY,
            **env,
        }
        return load_settings(environ=environ)

    return make


@pytest.fixture
def settings(settings_factory) -> Settings:  # type: ignore[no-untyped-def]
    return settings_factory()


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client
