"""What the SQLite, PostgreSQL and MySQL/MariaDB sources share: the connection, errors, listing.

Each dialect's module describes a schema's tables in bulk: a fixed handful of catalog queries
per schema, however many tables it has (``sqlite.py``, ``postgres.py``, ``mysql.py``). Asking
per table, as SQLAlchemy's inspector does on SQLite and MySQL, costs a query per table, and on
SQLite each of those scans the whole catalog: ingestion time grew with the square of the
number of tables. SQLite files are opened read-only, so a wrong ``databaseMode`` path is an
error instead of a new empty database.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import ClassVar, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine, Inspector

from tessera.ingest.errors import ConfigError, SourceError
from tessera.ingest.sources.base import TableKind, TableMeta
from tessera.ingest.workflow import ConnectionConfig, Source

T = TypeVar("T")

# Schemas that hold the server's own catalog, never user data.
SYSTEM_SCHEMAS: dict[str, frozenset[str]] = {
    "sqlite": frozenset({"temp"}),
    "postgres": frozenset({"information_schema", "pg_catalog", "pg_toast"}),
    "mysql": frozenset({"information_schema", "performance_schema", "mysql", "sys"}),
}
CONNECT_TIMEOUT_S = 10


def connection_url(source: Source) -> sa.URL:
    """The SQLAlchemy URL for a workflow's ``serviceConnection.config``."""
    config = source.serviceConnection.config
    where = "source.serviceConnection.config"
    if source.type == "sqlite":
        mode = config.databaseMode
        if not mode or mode == ":memory:":
            raise ConfigError(
                f"{where}.databaseMode must be the path of the SQLite file to catalog "
                "(an in-memory database would be empty)"
            )
        # Read-only URI: a mistyped path must fail, not create an empty database.
        return sa.URL.create(
            "sqlite+pysqlite", database=f"file:{Path(mode).expanduser()}?mode=ro", query={"uri": "true"}
        )
    host, port = _host_port(config, where)
    options = dict(config.connectionOptions)
    if source.type == "postgres":
        if not config.database:
            raise ConfigError(f"{where}.database is required for postgres: the database to connect to")
        return sa.URL.create(
            "postgresql+psycopg",
            username=config.username,
            password=config.secret,
            host=host,
            port=port,
            database=config.database,
            query=options,
        )
    return sa.URL.create(
        "mysql+pymysql",
        username=config.username,
        password=config.secret,
        host=host,
        port=port,
        database=config.databaseSchema or None,
        query=options,
    )


def database_name(source: Source) -> str:
    """The catalog's database name, as OpenMetadata's connectors choose it."""
    config = source.serviceConnection.config
    if source.type == "sqlite":
        if not config.database:
            raise ConfigError(
                "source.serviceConnection.config.database is required for sqlite: the name the "
                "catalog gives this database (e.g. database: main), as in OpenMetadata"
            )
        return config.database
    if source.type == "postgres":
        return str(config.database)
    # MySQL has no databases above schemas; OpenMetadata calls the one level "default".
    return config.databaseName or "default"


def _host_port(config: ConnectionConfig, where: str) -> tuple[str, int | None]:
    if not config.hostPort:
        raise ConfigError(f"{where}.hostPort is required (host:port of the database server)")
    host, _, port = config.hostPort.rpartition(":")
    if not host:
        return config.hostPort, None
    try:
        return host.strip("[]"), int(port)
    except ValueError:
        raise ConfigError(f"{where}.hostPort {config.hostPort!r} is not host:port") from None


Keys = tuple[tuple[str, ...], ...]


class SqlSource:
    """A database read through SQLAlchemy; subclasses read one dialect's catalog in bulk."""

    kind: ClassVar[str]

    def __init__(self, source: Source) -> None:
        self._source = source
        self._database = database_name(source)
        self._url = connection_url(source)
        self._engine: Engine | None = None
        self._inspector: Inspector | None = None
        self._keys_by_schema: dict[str, dict[str, Keys]] = {}

    @property
    def service_type(self) -> str:
        return self._source.service_type

    @property
    def database_name(self) -> str:
        return self._database

    def _describe_target(self) -> str:
        config = self._source.serviceConnection.config
        return f"{self.service_type} at {config.hostPort} as {config.username!r}"

    def _connect_args(self) -> dict[str, object]:
        connect_args = dict(self._source.serviceConnection.config.connectionArguments)
        connect_args.setdefault("connect_timeout", CONNECT_TIMEOUT_S)
        return connect_args

    def _connect(self) -> Inspector:
        if self._inspector is not None:
            return self._inspector
        self._engine = sa.create_engine(
            self._url, connect_args=self._connect_args(), poolclass=sa.pool.StaticPool
        )
        self._inspector = self._call(lambda: sa.inspect(self._engine_or_fail()))
        return self._inspector

    def _engine_or_fail(self) -> Engine:
        assert self._engine is not None
        return self._engine

    def _call(self, work: Callable[[], T]) -> T:
        try:
            return work()
        except sa.exc.DBAPIError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
            raise SourceError(
                f"Cannot read {self._describe_target()}: {reason}",
                hint="Check source.serviceConnection.config (hostPort, username, password, database) "
                "and that the server is running and reachable from here.",
            ) from None
        except sa.exc.SQLAlchemyError as exc:
            raise SourceError(f"Cannot read {self._describe_target()}: {exc}") from None

    def test_connection(self) -> None:
        inspector = self._connect()
        self._call(inspector.get_schema_names)

    def schema_names(self) -> list[str]:
        inspector = self._connect()
        names = self._call(inspector.get_schema_names)
        system = SYSTEM_SCHEMAS[self.kind]
        return [name for name in names if name.lower() not in system]

    def table_names(self, schema: str) -> list[tuple[str, TableKind]]:
        inspector = self._connect()
        found: list[tuple[str, TableKind]] = [
            (n, "table") for n in self._call(lambda: inspector.get_table_names(schema))
        ]
        found += [(n, "view") for n in self._call(lambda: inspector.get_view_names(schema))]
        return found

    def digests(self, schema: str, tables: Sequence[tuple[str, TableKind]]) -> dict[str, str]:
        return {}

    def describe(self, schema: str, tables: Sequence[tuple[str, TableKind]]) -> Iterator[TableMeta]:
        if not tables:
            return
        self._connect()
        with warnings.catch_warnings(record=True) as caught:
            # Reflection warns (SAWarning) about types it does not know; they become per-run
            # warnings in the report rather than noise on stderr.
            warnings.simplefilter("always")
            found = self._call(lambda: self._read_schema(schema, tables))
        notes = sorted({str(w.message) for w in caught})
        for name, _ in tables:
            table = found.get(name)
            if table is None:
                continue  # dropped since it was listed
            named = tuple(note for note in notes if name in note)
            yield table if not named else _with_warnings(table, named)

    def _read_schema(self, schema: str, tables: Sequence[tuple[str, TableKind]]) -> dict[str, TableMeta]:
        with self._engine_or_fail().connect() as connection:
            return self._read(connection, schema, tables)

    def _read(
        self, connection: sa.Connection, schema: str, tables: Sequence[tuple[str, TableKind]]
    ) -> dict[str, TableMeta]:
        """``tables`` of ``schema`` described, by name, in a fixed number of queries."""
        raise NotImplementedError

    def _schema_keys(self, connection: sa.Connection, schema: str) -> dict[str, Keys]:
        """Primary and unique keys of every table of ``schema``, by table name."""
        raise NotImplementedError

    def unique_keys(self, schema: str, table: str) -> Keys:
        if schema not in self._keys_by_schema:
            self._connect()

            def read() -> dict[str, Keys]:
                with self._engine_or_fail().connect() as connection:
                    return self._schema_keys(connection, schema)

            try:
                self._keys_by_schema[schema] = self._call(read)
            except SourceError:
                # Only a foreign key's cardinality depends on it: unknown keys, not a failed run.
                self._keys_by_schema[schema] = {}
        return self._keys_by_schema[schema].get(table, ())

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
        self._engine = None
        self._inspector = None


def _with_warnings(table: TableMeta, notes: tuple[str, ...]) -> TableMeta:
    return replace(table, warnings=tuple(sorted({*table.warnings, *notes})))
