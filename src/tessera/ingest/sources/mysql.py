"""MySQL and MariaDB: a schema's tables from ``information_schema``, four queries in all.

SQLAlchemy's inspector runs ``SHOW CREATE TABLE`` once per table. Here the tables, columns,
keys and view definitions of a whole schema are each one query, and a column's type is parsed
by SQLAlchemy's own MySQL column parser (the one it applies to ``SHOW CREATE TABLE``), once per
distinct ``COLUMN_TYPE``. A view's definition is its ``SELECT`` (``VIEWS.VIEW_DEFINITION``).
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.mysql.reflection import ReflectedState

from tessera.ingest.sources.base import ColumnMeta, ForeignKeyMeta, TableKind, TableMeta
from tessera.ingest.sources.sql import Keys, SqlSource
from tessera.ingest.types import MappedType, map_type
from tessera.ingest.workflow import Source

TABLES = sa.text(
    "SELECT TABLE_NAME, TABLE_TYPE, TABLE_COMMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = :schema"
)
COLUMNS = sa.text(
    "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, COLUMN_COMMENT, "
    "GENERATION_EXPRESSION FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = :schema "
    "ORDER BY TABLE_NAME, ORDINAL_POSITION"
)
KEYS = sa.text(
    "SELECT c.TABLE_NAME, c.CONSTRAINT_NAME, c.CONSTRAINT_TYPE, k.COLUMN_NAME, "
    "k.REFERENCED_TABLE_SCHEMA, k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME "
    "FROM information_schema.TABLE_CONSTRAINTS AS c JOIN information_schema.KEY_COLUMN_USAGE AS k "
    "ON k.CONSTRAINT_SCHEMA = c.CONSTRAINT_SCHEMA AND k.TABLE_SCHEMA = c.TABLE_SCHEMA "
    "AND k.TABLE_NAME = c.TABLE_NAME AND k.CONSTRAINT_NAME = c.CONSTRAINT_NAME "
    "WHERE c.TABLE_SCHEMA = :schema AND c.CONSTRAINT_TYPE IN ('PRIMARY KEY', 'UNIQUE', 'FOREIGN KEY') "
    "ORDER BY c.TABLE_NAME, c.CONSTRAINT_NAME, k.ORDINAL_POSITION"
)
VIEWS = sa.text(
    "SELECT TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS WHERE TABLE_SCHEMA = :schema"
)


class MysqlSource(SqlSource):
    kind = "mysql"

    def __init__(self, source: Source) -> None:
        super().__init__(source)
        self._types: dict[str, MappedType] = {}

    def schema_names(self) -> list[str]:
        # MySQL has no databases above schemas: databaseSchema, when set, is the one to read.
        schema = self._source.serviceConnection.config.databaseSchema
        return [schema] if schema else super().schema_names()

    def _read(
        self, connection: sa.Connection, schema: str, tables: Sequence[tuple[str, TableKind]]
    ) -> dict[str, TableMeta]:
        wanted = dict(tables)
        comments = {
            name: comment
            for name, kind, comment in connection.execute(TABLES, {"schema": schema})
            if name in wanted and kind != "VIEW"
        }
        columns: dict[str, list[ColumnMeta]] = defaultdict(list)
        notes: dict[str, list[str]] = defaultdict(list)
        for row in connection.execute(COLUMNS, {"schema": schema}):
            if row[0] in wanted:
                column, note = self._column(connection.dialect, row)
                columns[row[0]].append(column)
                if note:
                    notes[row[0]].append(note)
        primary, unique, foreign = _constraints(connection.execute(KEYS, {"schema": schema}))
        views = {name: text for name, text in connection.execute(VIEWS, {"schema": schema}) if name in wanted}
        out: dict[str, TableMeta] = {}
        for name, kind in tables:
            if name not in columns:
                continue
            definition = views.get(name)
            out[name] = TableMeta(
                schema=schema,
                name=name,
                kind=kind,
                columns=tuple(columns[name]),
                comment=comments.get(name) or None,
                primary_key=primary.get(name, ()),
                unique=tuple(unique.get(name, ())),
                foreign_keys=tuple(foreign.get(name, ())),
                view_definition=(str(definition).strip() or None) if definition else None,
                warnings=tuple(notes[name]),
            )
        return out

    def _column(self, dialect: sa.Dialect, row: Any) -> tuple[ColumnMeta, str | None]:
        _, name, column_type, nullable, default, extra, comment, generated = row
        mapped = self._type(dialect, str(column_type))
        note = None
        if mapped.data_type == "UNKNOWN":
            note = f"column {name}: type {column_type} is not one SQLAlchemy's MySQL dialect knows (UNKNOWN)"
        if generated:
            default = f"GENERATED ALWAYS AS ({generated})"
        else:
            default = _default(default, str(extra or ""), mariadb=bool(getattr(dialect, "is_mariadb", False)))
        return (
            ColumnMeta(
                name=str(name),
                type=mapped,
                nullable=nullable == "YES",
                default=default,
                comment=comment or None,
            ),
            note,
        )

    def _type(self, dialect: sa.Dialect, column_type: str) -> MappedType:
        found = self._types.get(column_type)
        if found is None:
            state = ReflectedState()
            with warnings.catch_warnings():
                # An unknown type is reported per column by _column, not as SQLAlchemy words it.
                warnings.simplefilter("ignore")
                dialect._tabledef_parser._parse_column(f"  `c` {column_type}", state)  # type: ignore[attr-defined]
            reflected = state.columns[0]["type"] if state.columns else sa.types.NullType()
            found = self._types[column_type] = map_type(reflected, dialect)
        return found

    def _schema_keys(self, connection: sa.Connection, schema: str) -> dict[str, Keys]:
        primary, unique, _ = _constraints(connection.execute(KEYS, {"schema": schema}))
        return {
            table: ((primary[table],) if table in primary else ()) + tuple(unique.get(table, ()))
            for table in primary.keys() | unique.keys()
        }


def _constraints(
    rows: Any,
) -> tuple[dict[str, tuple[str, ...]], dict[str, list[tuple[str, ...]]], dict[str, list[ForeignKeyMeta]]]:
    grouped: dict[tuple[str, str, str], list[Any]] = defaultdict(list)
    for row in rows:
        grouped[(row[0], row[1], row[2])].append(row)
    primary: dict[str, tuple[str, ...]] = {}
    unique: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    foreign: dict[str, list[ForeignKeyMeta]] = defaultdict(list)
    for (table, _, kind), members in grouped.items():
        columns = tuple(str(m[3]) for m in members)
        if kind == "PRIMARY KEY":
            primary[table] = columns
        elif kind == "UNIQUE":
            unique[table].append(columns)
        elif members[0][5] is not None:
            foreign[table].append(
                ForeignKeyMeta(
                    columns=columns,
                    referred_schema=str(members[0][4]),
                    referred_table=str(members[0][5]),
                    referred_columns=tuple(str(m[6]) for m in members),
                )
            )
    return primary, unique, foreign


def _default(value: str | None, extra: str, *, mariadb: bool) -> str | None:
    """The default as ``SHOW CREATE TABLE`` writes it (what SQLAlchemy's inspector reported).

    MariaDB's ``COLUMN_DEFAULT`` already is that text (literals quoted, ``NULL`` for none);
    MySQL's gives literals unquoted and marks expressions ``DEFAULT_GENERATED`` in ``EXTRA``.
    """
    if value is None or (mariadb and value == "NULL"):
        return None
    text = value
    if not mariadb:
        if "DEFAULT_GENERATED" not in extra.upper():
            text = "'" + value.replace("'", "''") + "'"
        elif not value.upper().startswith("CURRENT_TIMESTAMP"):
            text = f"({value})"
    on_update = extra.lower().find("on update ")
    if on_update != -1:
        text += " ON UPDATE " + extra[on_update + len("on update ") :].strip()
    return text
