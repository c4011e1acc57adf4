"""Engines for the three supported databases, tuned once here.

SQLite is the embedded default (WAL, so readers never wait for a writer); PostgreSQL and
MySQL/MariaDB are for production, where several stateless tessera processes share one database.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url

from tessera.errors import ConfigError
from tessera.files import private_file
from tessera.storage import search_keys

# Driver we use when a URL names only the database (postgresql://, mysql://).
_DEFAULT_DRIVERS = {"postgresql": "postgresql+psycopg", "mysql": "mysql+pymysql", "mariadb": "mysql+pymysql"}
SUPPORTED = ("sqlite", "postgresql", "mysql")


def normalise_url(url: str) -> sa.URL:
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError:
        raise ConfigError(
            f"database.url {url!r} is not a database URL; expected e.g. sqlite:////path/tessera.db, "
            "postgresql+psycopg://user@host:5432/tessera or mysql+pymysql://user@host:3306/tessera"
        ) from None
    backend = parsed.get_backend_name()
    if backend == "mariadb":
        backend = "mysql"
    if backend not in SUPPORTED:
        raise ConfigError(
            f"database.url uses {backend!r}; tessera supports {', '.join(SUPPORTED)} "
            "(postgresql+psycopg://, mysql+pymysql://, sqlite:///)"
        )
    if "+" not in parsed.drivername and parsed.drivername in _DEFAULT_DRIVERS:
        parsed = parsed.set(drivername=_DEFAULT_DRIVERS[parsed.drivername])
    if backend == "mysql" and "charset" not in parsed.query:
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})
    return parsed


def sqlite_path(url: str) -> Path | None:
    """The file of an SQLite database URL (None: another backend, or in memory)."""
    parsed = normalise_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return None
    return Path(database)


def create_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> Engine:
    parsed = normalise_url(url)
    backend = parsed.get_backend_name()
    kwargs: dict[str, Any] = {"echo": echo, "future": True}
    if backend == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            # Created 0600 before SQLite opens it: SQLite gives the -wal and -shm files it creates
            # the database file's mode, and the database holds password hashes and secrets.
            private_file(Path(database))
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, pool_recycle=1800)
    engine = sa.create_engine(parsed, **kwargs)
    if backend == "sqlite":
        _tune_sqlite(engine)
    elif backend == "mysql":
        _tune_mysql(engine)
    return engine


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling defers BEGIN in ways that make lock upgrades
        # fail under concurrency; we issue BEGIN ourselves (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
        search_keys.register_functions(dbapi_connection)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        options = connection.get_execution_options()
        if options.get("tessera_read_once", False):
            return  # see read_once: the statement runs on its own
        # A write transaction takes the write lock up front, so two writers queue on
        # busy_timeout instead of one failing with "database is locked" half-way through.
        immediate = options.get("tessera_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _tune_mysql(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # READ COMMITTED avoids gap locks that turn concurrent upserts into deadlocks.
        cursor.execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
        cursor.close()


@contextlib.contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that will write; on SQLite it takes the write lock at BEGIN."""
    with engine.connect().execution_options(tessera_write=True) as conn, conn.begin():
        yield conn


@contextlib.contextmanager
def read_once(engine: Engine) -> Iterator[Connection]:
    """A connection for a read that is one statement, run outside a transaction.

    A single statement sees a consistent state on its own; the BEGIN and ROLLBACK around it were
    two more round trips to PostgreSQL than the read itself (and two more statements on SQLite).
    MySQL would need a round trip to switch autocommit on, so it keeps its implicit transaction.
    """
    backend = backend_of(engine)
    with engine.connect() as conn:
        if backend == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT")
        elif backend == "sqlite":
            conn.execution_options(tessera_read_once=True)
        yield conn


@contextlib.contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn, conn.begin():
        yield conn


def backend_of(engine: Engine) -> str:
    name = engine.dialect.name
    return "mysql" if name == "mariadb" else name
