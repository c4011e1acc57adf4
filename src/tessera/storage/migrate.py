"""Schema migrations, applied at start-up and by ``tessera db upgrade``.

Several tessera processes may start at once against one database; a database-level lock makes
exactly one of them migrate while the others wait and then find nothing to do.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

_LOCK_NAME = "tessera_migrations"
# pg_advisory_lock takes a bigint; any fixed number private to tessera will do.
_PG_LOCK_KEY = 0x7E55E7A


def _config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", "tessera.storage:migrations")
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    config = Config()
    config.set_main_option("script_location", "tessera.storage:migrations")
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    with engine.connect() as conn, _migration_lock(conn):
        command.upgrade(_config(conn), revision)
        conn.commit()


def downgrade(engine: Engine, revision: str) -> None:
    with engine.connect() as conn, _migration_lock(conn):
        command.downgrade(_config(conn), revision)
        conn.commit()


@contextlib.contextmanager
def exclusive(engine: Engine) -> Iterator[None]:
    """Hold tessera's database-wide lock (one process at a time migrates or bootstraps)."""
    with engine.connect() as conn, _migration_lock(conn):
        yield


@contextlib.contextmanager
def _migration_lock(conn: Connection) -> Iterator[None]:
    dialect = conn.dialect.name
    if dialect == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_lock({_PG_LOCK_KEY})")
        conn.commit()
        try:
            yield
        finally:
            conn.exec_driver_sql(f"SELECT pg_advisory_unlock({_PG_LOCK_KEY})")
            conn.commit()
    elif dialect in ("mysql", "mariadb"):
        conn.exec_driver_sql(f"SELECT GET_LOCK('{_LOCK_NAME}', 300)")
        try:
            yield
        finally:
            conn.exec_driver_sql(f"SELECT RELEASE_LOCK('{_LOCK_NAME}')")
    else:
        # SQLite serialises single statements, not a read-then-migrate sequence: two processes
        # starting on one file would both see an empty schema. A lock file beside the database
        # (SQLite is single-host anyway) makes them take turns.
        database = conn.engine.url.database
        if not database or database == ":memory:":
            yield
            return
        descriptor = os.open(f"{database}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        with os.fdopen(descriptor, "r+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
