"""SQLite, PostgreSQL and MySQL/MariaDB sources, read with SQLAlchemy's inspector.

Tables are described with the inspector's ``get_multi_*`` calls, one per kind of fact for a
whole schema: on PostgreSQL that is a handful of catalog queries however many tables there
are; SQLite and MySQL loop inside the dialect. SQLite files are opened read-only, so a wrong
``databaseMode`` path is an error instead of a new empty database.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine, Inspector
from sqlalchemy.engine.reflection import ObjectKind

from tessera.ingest.errors import ConfigError, SourceError
from tessera.ingest.sources.base import ColumnMeta, ForeignKeyMeta, TableKind, TableMeta
from tessera.ingest.types import map_type
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


class SqlAlchemySource:
    def __init__(self, source: Source) -> None:
        self._source = source
        self._kind = source.type
        self._database = database_name(source)
        self._url = connection_url(source)
        self._engine: Engine | None = None
        self._inspector: Inspector | None = None

    @property
    def service_type(self) -> str:
        return self._source.service_type

    @property
    def database_name(self) -> str:
        return self._database

    def _describe_target(self) -> str:
        config = self._source.serviceConnection.config
        if self._kind == "sqlite":
            return f"the SQLite file {config.databaseMode}"
        return f"{self.service_type} at {config.hostPort} as {config.username!r}"

    def _connect(self) -> Inspector:
        if self._inspector is not None:
            return self._inspector
        config = self._source.serviceConnection.config
        if self._kind == "sqlite" and not Path(str(config.databaseMode)).expanduser().is_file():
            raise SourceError(
                f"Cannot open {self._describe_target()}: no such file",
                hint="Fix source.serviceConnection.config.databaseMode (the path of the .db file).",
            )
        connect_args = dict(config.connectionArguments)
        if self._kind in ("postgres", "mysql"):
            connect_args.setdefault("connect_timeout", CONNECT_TIMEOUT_S)
        self._engine = sa.create_engine(self._url, connect_args=connect_args, poolclass=sa.pool.StaticPool)
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
        config = self._source.serviceConnection.config
        if self._kind == "mysql" and config.databaseSchema:
            return [config.databaseSchema]
        names = self._call(inspector.get_schema_names)
        system = SYSTEM_SCHEMAS[self._kind]
        return [name for name in names if name.lower() not in system]

    def table_names(self, schema: str) -> list[tuple[str, TableKind]]:
        inspector = self._connect()
        found: list[tuple[str, TableKind]] = [
            (n, "table") for n in self._call(lambda: inspector.get_table_names(schema))
        ]
        found += [(n, "view") for n in self._call(lambda: inspector.get_view_names(schema))]
        if self._kind == "postgres":
            found += [
                (n, "materialized_view")
                for n in self._call(lambda: inspector.get_materialized_view_names(schema))
            ]
        return found

    def describe(self, schema: str, tables: Sequence[tuple[str, TableKind]]) -> Iterator[TableMeta]:
        if not tables:
            return
        inspector = self._connect()
        names = [name for name, _ in tables]
        with warnings.catch_warnings(record=True) as caught:
            # Reflection warns (SAWarning) about types it does not know; they become per-run
            # warnings in the report rather than noise on stderr.
            warnings.simplefilter("always")
            facts = self._call(lambda: self._reflect(inspector, schema, names))
        notes = tuple(sorted({str(w.message) for w in caught}))
        dialect = self._engine_or_fail().dialect
        for name, kind in tables:
            key = _key(facts["columns"], schema, name)
            columns = facts["columns"].get(key) or []
            pk = (facts["pk"].get(key) or {}).get("constrained_columns") or []
            uniques = [
                tuple(u["column_names"]) for u in facts["unique"].get(key) or [] if u.get("column_names")
            ]
            if self._kind == "sqlite" and kind == "table":
                uniques = self._sqlite_uniques(inspector, schema, name, pk, uniques)
            fks = [
                ForeignKeyMeta(
                    columns=tuple(fk["constrained_columns"]),
                    referred_schema=fk.get("referred_schema") or self._unqualified_schema(inspector, schema),
                    referred_table=fk["referred_table"],
                    referred_columns=tuple(fk["referred_columns"]),
                )
                for fk in facts["fk"].get(key) or []
                if fk.get("constrained_columns") and fk.get("referred_table")
            ]
            comment = (facts["comment"].get(key) or {}).get("text")
            definition = None
            if kind != "table":
                definition = self._call(functools.partial(_view_definition, inspector, name, schema))
            yield TableMeta(
                schema=schema,
                name=name,
                kind=kind,
                columns=tuple(_column(c, dialect) for c in columns),
                comment=comment or None,
                primary_key=tuple(pk),
                unique=tuple(uniques),
                foreign_keys=tuple(fks),
                view_definition=definition,
                warnings=tuple(n for n in notes if name in n),
            )

    def _unqualified_schema(self, inspector: Inspector, schema: str) -> str:
        # A foreign key reflects without a schema when its target needs none: on PostgreSQL
        # that is a table on the search path (public), elsewhere one in the same schema.
        if self._kind == "postgres":
            return inspector.default_schema_name or schema
        return schema

    def _reflect(self, inspector: Inspector, schema: str, names: list[str]) -> dict[str, dict[Any, Any]]:
        def multi(method: Callable[..., dict[Any, Any]]) -> dict[Any, Any]:
            try:
                return method(schema=schema, filter_names=names, kind=ObjectKind.ANY)
            except NotImplementedError:
                return {}

        return {
            "columns": multi(inspector.get_multi_columns),
            "pk": multi(inspector.get_multi_pk_constraint),
            "unique": multi(inspector.get_multi_unique_constraints),
            "fk": multi(inspector.get_multi_foreign_keys),
            "comment": multi(inspector.get_multi_table_comment),
        }

    def _sqlite_uniques(
        self, inspector: Inspector, schema: str, table: str, pk: list[str], parsed: list[tuple[str, ...]]
    ) -> list[tuple[str, ...]]:
        # SQLAlchemy finds SQLite's UNIQUE constraints by parsing the CREATE TABLE text and
        # misses inline ones on parameterised types (`email VARCHAR(120) UNIQUE`). Every UNIQUE
        # constraint has an automatic index, so those indexes are the complete list.
        indexes = self._call(lambda: inspector.get_indexes(table, schema, include_auto_indexes=True))
        found = list(parsed)
        for index in indexes:
            columns = tuple(c for c in index.get("column_names") or [] if c is not None)
            automatic = str(index.get("name", "")).startswith("sqlite_autoindex")
            if automatic and columns and columns not in found and set(columns) != set(pk):
                found.append(columns)
        return found

    def unique_keys(self, schema: str, table: str) -> tuple[tuple[str, ...], ...]:
        inspector = self._connect()
        try:
            pk = (
                self._call(lambda: inspector.get_pk_constraint(table, schema)).get("constrained_columns")
                or []
            )
            uniques = self._call(lambda: inspector.get_unique_constraints(table, schema))
        except (SourceError, sa.exc.NoSuchTableError):
            return ()
        keys = [tuple(pk)] if pk else []
        keys += [tuple(u["column_names"]) for u in uniques if u.get("column_names")]
        return tuple(keys)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
        self._engine = None
        self._inspector = None


def _key(found: dict[Any, Any], schema: str, name: str) -> tuple[str | None, str]:
    # The inspector keys results by (schema, table), with None for the default schema on
    # some dialects even when the schema was named.
    return (schema, name) if (schema, name) in found else (None, name)


def _view_definition(inspector: Inspector, name: str, schema: str) -> str | None:
    try:
        text = inspector.get_view_definition(name, schema)
    except NotImplementedError:
        return None
    return str(text).strip() if text else None


def _column(column: dict[str, Any], dialect: sa.Dialect) -> ColumnMeta:
    default = column.get("default")
    computed = column.get("computed")
    if computed and computed.get("sqltext") is not None:
        default = f"GENERATED ALWAYS AS ({computed['sqltext']})"
    return ColumnMeta(
        name=str(column["name"]),
        type=map_type(column["type"], dialect),
        nullable=bool(column.get("nullable", True)),
        default=str(default) if default is not None else None,
        comment=column.get("comment") or None,
    )
