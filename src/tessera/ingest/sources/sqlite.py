"""SQLite: a schema's tables in four queries, however many there are.

SQLite's PRAGMAs can be called as table-valued functions (``pragma_table_xinfo(name, schema)``),
so one statement joins ``sqlite_master`` with the columns of every table and view, another with
every foreign key, another with every UNIQUE constraint's columns. SQLAlchemy's inspector asks
per table instead, and looks each table's SQL up in ``sqlite_master``, which has no index:
that was a scan of the whole catalog per table.

A table is wholly defined by its ``CREATE TABLE`` text, so :meth:`SqliteSource.digests` can tell
whether it changed from ``sqlite_master`` alone (and the text of the tables its foreign keys
name, whose keys decide the relationship), without describing it.

Types are resolved with SQLAlchemy's own rules (``_resolve_type_affinity``, what its inspector
calls for each column), once per distinct declared type.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import warnings
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tessera.ingest.errors import SourceError
from tessera.ingest.sources import view_types
from tessera.ingest.sources.base import ColumnMeta, ForeignKeyMeta, TableKind, TableMeta
from tessera.ingest.sources.sql import Keys, SqlSource
from tessera.ingest.types import MappedType, map_type
from tessera.ingest.workflow import Source

# table_xinfo (3.26) also lists generated columns, with `hidden` 2 (virtual) or 3 (stored);
# SQLAlchemy uses it from 3.31, where generated columns became reliable.
XINFO_SINCE = (3, 31)
# Up to this many tables are named in the queries; more, and reading all of them is cheaper.
MAX_NAMED = 500
_AUTOINDEX_NUMBER = re.compile(r"_(\d+)$")
# What else a description depends on: the type rules are SQLAlchemy's, the PRAGMAs SQLite's.
_READER = f"sqlite {sqlite3.sqlite_version}; sqlalchemy {sa.__version__}"


class SqliteSource(SqlSource):
    kind = "sqlite"

    def __init__(self, source: Source) -> None:
        super().__init__(source)
        # Declared type -> (mapped type, warnings): a schema has few distinct types.
        self._types: dict[str, tuple[MappedType, tuple[str, ...]]] = {}

    def _describe_target(self) -> str:
        return f"the SQLite file {self._source.serviceConnection.config.databaseMode}"

    def _connect_args(self) -> dict[str, object]:
        return dict(self._source.serviceConnection.config.connectionArguments)

    def _connect(self) -> sa.Inspector:
        mode = self._source.serviceConnection.config.databaseMode
        if self._inspector is None and not Path(str(mode)).expanduser().is_file():
            raise SourceError(
                f"Cannot open {self._describe_target()}: no such file",
                hint="Fix source.serviceConnection.config.databaseMode (the path of the .db file).",
            )
        return super()._connect()

    # -- digests ------------------------------------------------------------------------------

    def digests(self, schema: str, tables: Sequence[tuple[str, TableKind]]) -> dict[str, str]:
        self._connect()

        def read() -> dict[str, str]:
            with self._engine_or_fail().connect() as connection:
                return self._digests(connection, schema, tables)

        return self._call(read)

    def _digests(
        self, connection: sa.Connection, schema: str, tables: Sequence[tuple[str, TableKind]]
    ) -> dict[str, str]:
        master = _master(connection, schema)
        sql: dict[str, str | None] = dict(
            connection.exec_driver_sql(f"SELECT name, sql FROM {master} WHERE type = 'table'").all()  # noqa: S608
        )
        referred: dict[str, set[str]] = defaultdict(set)
        for table, target in connection.exec_driver_sql(
            f'SELECT m.name, f."table" FROM {master} AS m '  # noqa: S608
            "JOIN pragma_foreign_key_list(m.name, ?) AS f WHERE m.type = 'table'",
            (schema,),
        ).all():
            referred[table].add(target)
        out: dict[str, str] = {}
        for name, kind in tables:
            # A view's columns take their types from the tables it reads: described each time.
            text = sql.get(name)
            if kind != "table" or text is None:
                continue
            parts = [_READER, text, *(f"{t}: {sql.get(t)}" for t in sorted(referred.get(name, ())))]
            out[name] = hashlib.md5("\0".join(parts).encode(), usedforsecurity=False).hexdigest()
        return out

    # -- description --------------------------------------------------------------------------

    def _read(
        self, connection: sa.Connection, schema: str, tables: Sequence[tuple[str, TableKind]]
    ) -> dict[str, TableMeta]:
        master = _master(connection, schema)
        wanted = dict(tables)
        where, named = _scope(wanted)
        sql = {
            name: text
            for name, text in connection.exec_driver_sql(
                f"SELECT name, sql FROM {master} AS m WHERE m.type IN ('table', 'view'){where}",  # noqa: S608
                tuple(named),
            ).all()
            if name in wanted
        }
        columns, primary, notes = self._columns(connection, master, schema, wanted, sql)
        unique = self._uniques(connection, master, schema, wanted)
        foreign = self._foreign_keys(connection, master, schema, wanted, primary)
        out: dict[str, TableMeta] = {}
        for name, kind in tables:
            if name not in sql:
                continue
            is_table = kind == "table"
            pk = primary.get(name, ()) if is_table else ()
            out[name] = TableMeta(
                schema=schema,
                name=name,
                kind=kind,
                columns=tuple(columns.get(name, ())),
                primary_key=pk,
                unique=tuple(u for u in unique.get(name, ()) if set(u) != set(pk)) if is_table else (),
                foreign_keys=tuple(foreign.get(name, ())) if is_table else (),
                view_definition=None if is_table else (sql[name] or "").strip() or None,
                warnings=tuple(sorted(notes.get(name, ()))),
            )
        return out

    def _columns(
        self,
        connection: sa.Connection,
        master: str,
        schema: str,
        wanted: dict[str, TableKind],
        sql: dict[str, str | None],
    ) -> tuple[dict[str, list[ColumnMeta]], dict[str, tuple[str, ...]], dict[str, set[str]]]:
        """Columns, primary keys and warnings of the ``wanted`` tables and views."""
        xinfo = tuple(connection.dialect.server_version_info or ()) >= XINFO_SINCE
        pragma, hidden = ("pragma_table_xinfo", "c.hidden") if xinfo else ("pragma_table_info", "0")
        where, named = _scope(wanted)
        query = (
            f'SELECT m.name, c.cid, c.name, c.type, c."notnull", c.dflt_value, c.pk, {hidden} '  # noqa: S608
            f"FROM {master} AS m JOIN {pragma}(m.name, ?) AS c WHERE m.type IN ('table', 'view'){where}"
        )
        broken: dict[str, str] = {}
        try:
            rows: list[Any] = list(connection.exec_driver_sql(query, (schema, *named)).all())
        except sa.exc.OperationalError:
            # A view over a table that no longer exists cannot list its columns, and fails the
            # whole statement: ask table by table, and say which one is broken.
            rows, broken = self._columns_one_by_one(connection, pragma, hidden, schema, wanted)
        columns: dict[str, list[ColumnMeta]] = defaultdict(list)
        keys: dict[str, list[tuple[int, str]]] = defaultdict(list)
        notes: dict[str, set[str]] = defaultdict(set)
        for name, reason in broken.items():
            notes[name].add(f"its columns cannot be read: {reason}")
        inferred = self._view_types(connection, master, schema, wanted, sql, rows)
        # Rows come table by table in column order; sorted to be sure of it.
        for table, _cid, name, declared, notnull, default, pk, kind in sorted(
            rows, key=lambda r: (r[0], r[1])
        ):
            if table not in wanted:
                continue
            if not declared and table in inferred:
                declared = inferred[table].get(name, "")
            generated = kind in (2, 3)
            mapped, warned = self._type(connection.dialect, declared or "", generated)
            if warned:
                notes[table].update(warned)
            if generated:
                default = _generated(connection.dialect, name, declared, kind, sql.get(table))
            if pk:
                keys[table].append((pk, name))
            columns[table].append(
                ColumnMeta(
                    name=str(name),
                    type=mapped,
                    nullable=not notnull,
                    default=str(default) if default is not None else None,
                )
            )
        primary = {table: tuple(name for _, name in sorted(found)) for table, found in keys.items()}
        return columns, primary, notes

    def _view_types(
        self,
        connection: sa.Connection,
        master: str,
        schema: str,
        wanted: dict[str, TableKind],
        sql: dict[str, str | None],
        rows: list[Any],
    ) -> dict[str, dict[str, str]]:
        """Types of the views' computed columns (SQLite declares none), inferred from their
        definitions and the declared types of the tables they read: one more query, and only
        when a view has such a column."""
        untyped = {row[0] for row in rows if not row[3] and wanted.get(row[0]) == "view" and sql.get(row[0])}
        if not untyped:
            return {}
        read = set().union(*(view_types.tables_read(sql[view] or "") for view in untyped))
        declared: dict[str, dict[str, str]] = defaultdict(dict)
        for row in rows:
            declared[row[0]][row[2]] = row[3] or ""
        missing = sorted(read - set(declared))
        if missing:
            where, named = _scope(missing)
            for table, column, kind in connection.exec_driver_sql(
                f"SELECT m.name, c.name, c.type FROM {master} AS m "  # noqa: S608
                f"JOIN pragma_table_info(m.name, ?) AS c WHERE m.type IN ('table', 'view'){where}",
                (schema, *named),
            ).all():
                declared[table][column] = kind or ""
        return {view: view_types.infer(sql[view] or "", declared) for view in untyped}

    def _columns_one_by_one(
        self, connection: sa.Connection, pragma: str, hidden: str, schema: str, wanted: dict[str, TableKind]
    ) -> tuple[list[Any], dict[str, str]]:
        query = (
            f'SELECT ?, c.cid, c.name, c.type, c."notnull", c.dflt_value, c.pk, {hidden} '  # noqa: S608
            f"FROM {pragma}(?, ?) AS c"
        )
        rows: list[Any] = []
        broken: dict[str, str] = {}
        for name in wanted:
            try:
                rows += connection.exec_driver_sql(query, (name, name, schema)).all()
            except sa.exc.OperationalError as exc:
                broken[name] = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        return rows, broken

    def _type(
        self, dialect: sa.Dialect, declared: str, generated: bool
    ) -> tuple[MappedType, tuple[str, ...]]:
        found = None if generated else self._types.get(declared)
        if found is None:
            name = declared.upper()
            if generated:
                # As SQLAlchemy: "INTEGER GENERATED ALWAYS" is reported as the column's type.
                name = re.sub("GENERATED|ALWAYS", "", name).strip()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                resolved = dialect._resolve_type_affinity(name)  # type: ignore[attr-defined]
                mapped = map_type(resolved, dialect)
            found = (mapped, tuple(str(w.message) for w in caught))
            if not generated:
                self._types[declared] = found
        return found

    def _uniques(
        self, connection: sa.Connection, master: str, schema: str, wanted: Iterable[str] | None
    ) -> dict[str, list[tuple[str, ...]]]:
        """The UNIQUE constraints of every table (of ``wanted`` ones), in declared order.

        SQLite makes an automatic index (origin ``u``) for every UNIQUE constraint, inline or
        not, numbered in the order the constraints are declared.
        """
        where, named = _scope(wanted)
        indexes: dict[str, dict[str, list[tuple[int, str]]]] = defaultdict(lambda: defaultdict(list))
        for table, index, position, column in connection.exec_driver_sql(
            f"SELECT m.name, i.name, c.seqno, c.name FROM {master} AS m "  # noqa: S608
            "JOIN pragma_index_list(m.name, ?) AS i JOIN pragma_index_info(i.name, ?) AS c "
            f"WHERE m.type = 'table' AND i.origin = 'u' AND c.name IS NOT NULL{where}",
            (schema, schema, *named),
        ).all():
            indexes[table][index].append((position, column))
        return {
            table: [
                tuple(column for _, column in sorted(columns))
                for _, columns in sorted(found.items(), key=lambda item: _declared_order(item[0]))
            ]
            for table, found in indexes.items()
        }

    def _primary_keys(
        self, connection: sa.Connection, master: str, schema: str, wanted: Iterable[str] | None
    ) -> dict[str, tuple[str, ...]]:
        where, named = _scope(wanted)
        found: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for table, column, position in connection.exec_driver_sql(
            f"SELECT m.name, c.name, c.pk FROM {master} AS m JOIN pragma_table_info(m.name, ?) AS c "  # noqa: S608
            f"WHERE m.type = 'table' AND c.pk > 0{where}",
            (schema, *named),
        ).all():
            found[table].append((position, column))
        return {table: tuple(column for _, column in sorted(columns)) for table, columns in found.items()}

    def _foreign_keys(
        self,
        connection: sa.Connection,
        master: str,
        schema: str,
        wanted: Iterable[str],
        primary: dict[str, tuple[str, ...]],
    ) -> dict[str, list[ForeignKeyMeta]]:
        where, named = _scope(wanted)
        grouped: dict[tuple[str, int], list[Any]] = defaultdict(list)
        for row in connection.exec_driver_sql(
            f'SELECT m.name, f.id, f.seq, f."table", f."from", f."to" FROM {master} AS m '  # noqa: S608
            f"JOIN pragma_foreign_key_list(m.name, ?) AS f WHERE m.type = 'table'{where}",
            (schema, *named),
        ).all():
            grouped[(row[0], row[1])].append(row)
        # REFERENCES t without columns names t's primary key, which may be a table not read here.
        missing = {
            rows[0][3] for rows in grouped.values() if any(r[5] is None for r in rows)
        } - primary.keys()
        if missing:
            primary = {**primary, **self._primary_keys(connection, master, schema, missing)}
        out: dict[str, list[ForeignKeyMeta]] = defaultdict(list)
        # SQLite numbers a table's foreign keys from the last declared: descending is declared order.
        for (table, _), rows in sorted(grouped.items(), key=lambda item: (item[0][0], -item[0][1])):
            rows.sort(key=lambda row: row[2])
            referred = rows[0][3]
            to = [row[5] for row in rows]
            if any(column is None for column in to):
                to = list(primary.get(referred, ()))
            if not to:
                continue
            out[table].append(
                ForeignKeyMeta(
                    columns=tuple(row[4] for row in rows),
                    referred_schema=schema,
                    referred_table=referred,
                    referred_columns=tuple(to),
                )
            )
        return out

    def _schema_keys(self, connection: sa.Connection, schema: str) -> dict[str, Keys]:
        master = _master(connection, schema)
        primary = self._primary_keys(connection, master, schema, None)
        unique = self._uniques(connection, master, schema, None)
        out: dict[str, Keys] = {}
        for table in primary.keys() | unique.keys():
            pk = primary.get(table, ())
            keys: Keys = (pk,) if pk else ()
            out[table] = keys + tuple(u for u in unique.get(table, ()) if set(u) != set(pk))
        return out


def _master(connection: sa.Connection, schema: str) -> str:
    return f"{connection.dialect.identifier_preparer.quote_identifier(schema)}.sqlite_master"


def _scope(wanted: Iterable[str] | None) -> tuple[str, list[str]]:
    """A condition on ``m.name`` naming ``wanted``, when there are few enough to name."""
    names = list(wanted) if wanted is not None else []
    if wanted is None or len(names) > MAX_NAMED:
        return "", []
    if not names:
        return " AND 0", []
    return f" AND m.name IN ({', '.join('?' for _ in names)})", names


def _declared_order(index: str) -> tuple[int, str]:
    number = _AUTOINDEX_NUMBER.search(index)
    return (int(number.group(1)) if number else 0, index)


def _generated(dialect: sa.Dialect, column: str, declared: str, hidden: int, table_sql: str | None) -> str:
    """``GENERATED ALWAYS AS (<expression>)``, the expression found by SQLAlchemy's own parser."""
    body = ""
    if table_sql:
        found = re.match(
            r"create table .*?\((.*)\)(?:\s*,?\s*(?:WITHOUT\s+ROWID|STRICT))*$",
            table_sql.strip(),
            re.DOTALL | re.IGNORECASE,
        )
        body = found.group(1).strip() if found else ""
    info = dialect._get_column_info(  # type: ignore[attr-defined]
        column, declared, True, None, 0, True, hidden == 3, body
    )
    return f"GENERATED ALWAYS AS ({info['computed']['sqltext']})"
