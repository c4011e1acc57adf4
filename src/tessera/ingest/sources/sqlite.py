"""SQLite: a schema's tables in four queries, however many there are.

SQLite's PRAGMAs can be called as table-valued functions (``pragma_table_xinfo(name, schema)``),
so one statement joins ``sqlite_master`` with the columns of every table and view, another with
every foreign key, another with every UNIQUE constraint's columns. SQLAlchemy's inspector asks
per table instead, and looks each table's SQL up in ``sqlite_master``, which has no index:
that was a scan of the whole catalog per table.

Types are resolved with SQLAlchemy's own rules (``_resolve_type_affinity``, what its inspector
calls for each column), once per distinct declared type.
"""

from __future__ import annotations

import re
import warnings
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tessera.ingest.errors import SourceError
from tessera.ingest.sources.base import ColumnMeta, ForeignKeyMeta, TableKind, TableMeta
from tessera.ingest.sources.sql import Keys, SqlSource
from tessera.ingest.types import MappedType, map_type
from tessera.ingest.workflow import Source

# table_xinfo (3.26) also lists generated columns, with `hidden` 2 (virtual) or 3 (stored);
# SQLAlchemy uses it from 3.31, where generated columns became reliable.
XINFO_SINCE = (3, 31)
_AUTOINDEX_NUMBER = re.compile(r"_(\d+)$")


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

    def _read(
        self, connection: sa.Connection, schema: str, tables: Sequence[tuple[str, TableKind]]
    ) -> dict[str, TableMeta]:
        master = f"{connection.dialect.identifier_preparer.quote_identifier(schema)}.sqlite_master"
        wanted = dict(tables)
        sql = {
            name: text
            for name, text in connection.exec_driver_sql(
                f"SELECT name, sql FROM {master} WHERE type IN ('table', 'view')"  # noqa: S608
            ).all()
            if name in wanted
        }
        columns, notes = self._columns(connection, master, schema, wanted, sql)
        keys = self._keys(connection, master, schema)
        foreign = self._foreign_keys(connection, master, schema, keys)
        out: dict[str, TableMeta] = {}
        for name, kind in tables:
            if name not in sql:
                continue
            primary, unique = keys.get(name, ((), ()))
            is_table = kind == "table"
            out[name] = TableMeta(
                schema=schema,
                name=name,
                kind=kind,
                columns=tuple(columns.get(name, ())),
                primary_key=primary if is_table else (),
                unique=unique if is_table else (),
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
    ) -> tuple[dict[str, list[ColumnMeta]], dict[str, set[str]]]:
        xinfo = tuple(connection.dialect.server_version_info or ()) >= XINFO_SINCE
        pragma, hidden = ("pragma_table_xinfo", "c.hidden") if xinfo else ("pragma_table_info", "0")
        query = (
            f'SELECT m.name, c.name, c.type, c."notnull", c.dflt_value, c.pk, {hidden} '  # noqa: S608
            f"FROM {master} AS m JOIN {pragma}(m.name, ?) AS c "
            "WHERE m.type IN ('table', 'view') ORDER BY m.name, c.cid"
        )
        try:
            rows: list[Any] = list(connection.exec_driver_sql(query, (schema,)).all())
        except sa.exc.OperationalError:
            # A view over a table that no longer exists cannot list its columns, and fails the
            # whole statement: ask table by table, and say which one is broken.
            rows, broken = self._columns_one_by_one(connection, pragma, hidden, schema, wanted)
        else:
            broken = {}
        columns: dict[str, list[ColumnMeta]] = defaultdict(list)
        notes: dict[str, set[str]] = defaultdict(set)
        for name, reason in broken.items():
            notes[name].add(f"its columns cannot be read: {reason}")
        for table, name, declared, notnull, default, _pk, kind in rows:
            if table not in wanted:
                continue
            generated = kind in (2, 3)
            mapped, warned = self._type(connection.dialect, declared or "", generated)
            if warned:
                notes[table].update(warned)
            if generated:
                default = _generated(connection.dialect, table, name, declared, kind, sql.get(table))
            columns[table].append(
                ColumnMeta(
                    name=str(name),
                    type=mapped,
                    nullable=not notnull,
                    default=str(default) if default is not None else None,
                )
            )
        return columns, notes

    def _columns_one_by_one(
        self, connection: sa.Connection, pragma: str, hidden: str, schema: str, wanted: dict[str, TableKind]
    ) -> tuple[list[Any], dict[str, str]]:
        query = (
            f'SELECT ?, c.name, c.type, c."notnull", c.dflt_value, c.pk, {hidden} '  # noqa: S608
            f"FROM {pragma}(?, ?) AS c ORDER BY c.cid"
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

    def _keys(
        self, connection: sa.Connection, master: str, schema: str
    ) -> dict[str, tuple[tuple[str, ...], Keys]]:
        """(primary key, UNIQUE constraints) of every table, by name.

        SQLite makes an automatic index (origin ``u``) for every UNIQUE constraint, inline or
        not, numbered in the order the constraints are declared; ``pk`` is the primary key's.
        """
        primary: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for table, column, position in connection.exec_driver_sql(
            f"SELECT m.name, c.name, c.pk FROM {master} AS m JOIN pragma_table_info(m.name, ?) AS c "  # noqa: S608
            "WHERE m.type = 'table' AND c.pk > 0",
            (schema,),
        ).all():
            primary[table].append((position, column))
        indexes: dict[str, dict[str, list[tuple[int, str]]]] = defaultdict(lambda: defaultdict(list))
        for table, index, position, column in connection.exec_driver_sql(
            f"SELECT m.name, i.name, c.seqno, c.name FROM {master} AS m "  # noqa: S608
            "JOIN pragma_index_list(m.name, ?) AS i JOIN pragma_index_info(i.name, ?) AS c "
            "WHERE m.type = 'table' AND i.origin = 'u' AND c.name IS NOT NULL",
            (schema, schema),
        ).all():
            indexes[table][index].append((position, column))
        out: dict[str, tuple[tuple[str, ...], Keys]] = {}
        for table in primary.keys() | indexes.keys():
            pk = tuple(column for _, column in sorted(primary.get(table, [])))
            ordered = sorted(indexes.get(table, {}).items(), key=lambda item: _declared_order(item[0]))
            unique = tuple(tuple(column for _, column in sorted(columns)) for _, columns in ordered)
            out[table] = (pk, tuple(u for u in unique if set(u) != set(pk)))
        return out

    def _foreign_keys(
        self,
        connection: sa.Connection,
        master: str,
        schema: str,
        keys: dict[str, tuple[tuple[str, ...], Keys]],
    ) -> dict[str, list[ForeignKeyMeta]]:
        grouped: dict[tuple[str, int], list[Any]] = defaultdict(list)
        for row in connection.exec_driver_sql(
            f'SELECT m.name, f.id, f.seq, f."table", f."from", f."to" FROM {master} AS m '  # noqa: S608
            "JOIN pragma_foreign_key_list(m.name, ?) AS f WHERE m.type = 'table' ORDER BY m.name, f.seq",
            (schema,),
        ).all():
            grouped[(row[0], row[1])].append(row)
        out: dict[str, list[ForeignKeyMeta]] = defaultdict(list)
        # SQLite numbers a table's foreign keys from the last declared: descending is declared order.
        for (table, _), rows in sorted(grouped.items(), key=lambda item: (item[0][0], -item[0][1])):
            referred = rows[0][3]
            to = [row[5] for row in rows]
            if any(column is None for column in to):
                # REFERENCES t without columns names t's primary key.
                to = list(keys.get(referred, ((), ()))[0])
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
        master = f"{connection.dialect.identifier_preparer.quote_identifier(schema)}.sqlite_master"
        return {
            table: ((primary,) if primary else ()) + unique
            for table, (primary, unique) in self._keys(connection, master, schema).items()
        }


def _declared_order(index: str) -> tuple[int, str]:
    number = _AUTOINDEX_NUMBER.search(index)
    return (int(number.group(1)) if number else 0, index)


def _generated(
    dialect: sa.Dialect, table: str, column: str, declared: str, hidden: int, table_sql: str | None
) -> str:
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
