"""Real sources and a real catalog server for the ingestion tests.

Sources are created by the tests: a SQLite file, a PostgreSQL database on 127.0.0.1:5432 and a
MariaDB database on 127.0.0.1:3306 (``tessera_src_*``, dropped afterwards). The catalog is a
``tessera serve`` subprocess on SQLite, started once per session and without authentication,
so that these tests exercise the client alone (test_secured_servers.py and the quickstart's test
run against servers that check every token); every test writes under its own service name.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import yaml
from typer.testing import CliRunner, Result

from tessera.cli import _register, app
from tests.conftest import tier_unavailable
from tests.integration.servers import tessera_server

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
MYSQL_ADMIN = "mysql+pymysql://root@127.0.0.1:3306/"
# Any three-part token: the unauthenticated catalog ignores it, while OpenMetadata's client
# insists on a JWT-shaped value.
BOT_JWT = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJpbmdlc3Rpb24tYm90In0.c2lnbmF0dXJl"

SQLITE_DDL = """
CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    email VARCHAR(120) NOT NULL UNIQUE,
    name TEXT,
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    balance NUMERIC(10, 2)
);
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    total REAL,
    status VARCHAR(20) DEFAULT 'new'
);
CREATE TABLE order_items (
    order_id INTEGER NOT NULL REFERENCES orders(id),
    line INTEGER NOT NULL,
    sku CHAR(8),
    PRIMARY KEY (order_id, line)
);
CREATE TABLE tmp_scratch (x INTEGER);
CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 100;
"""


@pytest.fixture(scope="session")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("catalog")
    url = f"sqlite:///{home / 'catalog.db'}"
    with tessera_server(home, url, env={"AUTHENTICATION_PROVIDER": "no-auth"}) as base:
        yield base


@pytest.fixture
def api(catalog: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{catalog}/api/v1", timeout=30) as client:
        yield client


@pytest.fixture
def service_name() -> str:
    return f"svc_{secrets.token_hex(4)}"


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Path:
    path = tmp_path / "source.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(SQLITE_DDL)
    conn.close()
    return path


def workflow(
    *,
    source_type: str,
    service: str,
    connection: dict[str, Any],
    host_port: str,
    auth: dict[str, Any] | None = None,
    source_config: dict[str, Any] | None = None,
    **top: Any,
) -> dict[str, Any]:
    server: dict[str, Any] = {"hostPort": host_port}
    server.update(auth or {"authProvider": "openmetadata", "securityConfig": {"jwtToken": BOT_JWT}})
    return {
        "source": {
            "type": source_type,
            "serviceName": service,
            "serviceConnection": {"config": connection},
            "sourceConfig": {"config": {"type": "DatabaseMetadata", **(source_config or {})}},
        },
        "sink": {"type": "metadata-rest", "config": {}},
        "workflowConfig": {"loggerLevel": "INFO", "openMetadataServerConfig": server},
        **top,
    }


def sqlite_workflow(service: str, db: Path, catalog: str, **kwargs: Any) -> dict[str, Any]:
    connection = {"type": "SQLite", "database": "testdb", "databaseMode": str(db)}
    return workflow(
        source_type="sqlite", service=service, connection=connection, host_port=f"{catalog}/api", **kwargs
    )


@pytest.fixture
def ingest(tmp_path: Path) -> Callable[..., Result]:
    """Run ``tessera ingest -c <file>`` in process; takes a workflow dict or YAML text."""
    _register()
    runner = CliRunner()

    def run(config: dict[str, Any] | str, *args: str, env: dict[str, str] | None = None) -> Result:
        path = tmp_path / f"workflow-{secrets.token_hex(3)}.yaml"
        path.write_text(config if isinstance(config, str) else yaml.safe_dump(config, sort_keys=False))
        return runner.invoke(app, ["ingest", "-c", str(path), *args], env=env)

    return run


def _admin_engine(url: str, tier: str, **kwargs: Any) -> sa.Engine:
    engine = sa.create_engine(url, **kwargs)
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as exc:
        engine.dispose()
        tier_unavailable(tier, f"cannot reach the {tier} server ({exc.orig})")
    return engine


@pytest.fixture
def postgres_db() -> Iterator[str]:
    admin = _admin_engine(PG_ADMIN, "postgres", isolation_level="AUTOCOMMIT")
    name = f"tessera_src_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine = sa.create_engine(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            """
            CREATE SCHEMA sales;
            CREATE TABLE public.customers (
                id BIGSERIAL PRIMARY KEY,
                email VARCHAR(120) NOT NULL UNIQUE,
                profile JSONB,
                joined TIMESTAMPTZ DEFAULT now(),
                tags TEXT[]
            );
            COMMENT ON TABLE public.customers IS 'People who buy';
            COMMENT ON COLUMN public.customers.email IS 'Primary contact address';
            CREATE TABLE sales.orders (
                id SERIAL PRIMARY KEY,
                customer_id BIGINT NOT NULL REFERENCES public.customers(id),
                amount NUMERIC(10, 2),
                code CHAR(4),
                UNIQUE (customer_id, code)
            );
            CREATE VIEW sales.big_orders AS SELECT id, amount FROM sales.orders WHERE amount > 100;
            """
        )
    engine.dispose()
    try:
        yield name
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def mariadb_db() -> Iterator[str]:
    admin = _admin_engine(MYSQL_ADMIN, "mysql")
    name = f"tessera_src_{secrets.token_hex(4)}"
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    engine = sa.create_engine(f"mysql+pymysql://root@127.0.0.1:3306/{name}")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE customers (id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, "
            "email VARCHAR(120) NOT NULL UNIQUE COMMENT 'Primary contact address', "
            "active TINYINT(1) DEFAULT 1, notes LONGTEXT) COMMENT='People who buy'"
        )
        conn.exec_driver_sql(
            "CREATE TABLE orders (id INT PRIMARY KEY, customer_id INT UNSIGNED NOT NULL, "
            "amount DECIMAL(10,2), status ENUM('new','paid'), "
            "FOREIGN KEY (customer_id) REFERENCES customers(id))"
        )
        conn.exec_driver_sql("CREATE VIEW paid_orders AS SELECT id, amount FROM orders WHERE status = 'paid'")
    engine.dispose()
    try:
        yield name
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
        admin.dispose()
