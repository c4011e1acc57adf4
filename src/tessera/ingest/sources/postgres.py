"""PostgreSQL: SQLAlchemy's ``get_multi_*`` reflection, which reads a whole schema per query.

Each kind of fact (columns, primary keys, unique constraints, foreign keys, comments) is one
catalog query for all the schema's tables; view definitions are one more.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine.reflection import ObjectKind

from tessera.ingest.sources.base import ColumnMeta, ForeignKeyMeta, TableKind, TableMeta
from tessera.ingest.sources.sql import Keys, SqlSource
from tessera.ingest.types import map_type

# Beyond this many names, reading the whole schema and keeping the wanted tables is cheaper
# than a query with thousands of bound names.
MAX_FILTER_NAMES = 1000
VIEW_DEFINITIONS = sa.text(
    "SELECT c.relname, pg_catalog.pg_get_viewdef(c.oid) FROM pg_catalog.pg_class AS c "
    "JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace "
    "WHERE n.nspname = :schema AND c.relkind IN ('v', 'm')"
)


class PostgresSource(SqlSource):
    kind = "postgres"

    def table_names(self, schema: str) -> list[tuple[str, TableKind]]:
        found = super().table_names(schema)
        inspector = self._connect()
        found += [
            (n, "materialized_view")
            for n in self._call(lambda: inspector.get_materialized_view_names(schema))
        ]
        return found

    def _read(
        self, connection: sa.Connection, schema: str, tables: Sequence[tuple[str, TableKind]]
    ) -> dict[str, TableMeta]:
        inspector = sa.inspect(connection)
        names = [name for name, _ in tables]
        facts = _reflect(inspector, schema, names if len(names) <= MAX_FILTER_NAMES else None)
        views: dict[str, str] = dict(connection.execute(VIEW_DEFINITIONS, {"schema": schema}).all())
        # A foreign key reflects without a schema when its target is on the search path.
        unqualified = inspector.default_schema_name or schema
        out: dict[str, TableMeta] = {}
        for name, kind in tables:
            key = _key(facts["columns"], schema, name)
            if key not in facts["columns"]:
                continue
            pk = (facts["pk"].get(key) or {}).get("constrained_columns") or []
            fks = [
                ForeignKeyMeta(
                    columns=tuple(fk["constrained_columns"]),
                    referred_schema=fk.get("referred_schema") or unqualified,
                    referred_table=fk["referred_table"],
                    referred_columns=tuple(fk["referred_columns"]),
                )
                for fk in facts["fk"].get(key) or []
                if fk.get("constrained_columns") and fk.get("referred_table")
            ]
            definition = views.get(name) if kind != "table" else None
            out[name] = TableMeta(
                schema=schema,
                name=name,
                kind=kind,
                columns=tuple(column_meta(c, connection.dialect) for c in facts["columns"][key]),
                comment=(facts["comment"].get(key) or {}).get("text") or None,
                primary_key=tuple(pk),
                unique=_uniques(facts["unique"].get(key)),
                foreign_keys=tuple(fks),
                view_definition=(str(definition).strip() or None) if definition else None,
            )
        return out

    def _schema_keys(self, connection: sa.Connection, schema: str) -> dict[str, Keys]:
        inspector = sa.inspect(connection)
        kind = ObjectKind.TABLE
        primary: dict[Any, Any] = inspector.get_multi_pk_constraint(schema=schema, kind=kind)
        unique: dict[Any, Any] = inspector.get_multi_unique_constraints(schema=schema, kind=kind)
        out: dict[str, Keys] = {}
        for key in primary.keys() | unique.keys():
            pk: tuple[str, ...] = tuple((primary.get(key) or {}).get("constrained_columns") or ())
            keys: Keys = (pk,) if pk else ()
            out[key[1]] = keys + _uniques(unique.get(key))
        return out


def _reflect(inspector: sa.Inspector, schema: str, names: list[str] | None) -> dict[str, dict[Any, Any]]:
    def multi(method: Callable[..., dict[Any, Any]]) -> dict[Any, Any]:
        return method(schema=schema, filter_names=names, kind=ObjectKind.ANY)

    return {
        "columns": multi(inspector.get_multi_columns),
        "pk": multi(inspector.get_multi_pk_constraint),
        "unique": multi(inspector.get_multi_unique_constraints),
        "fk": multi(inspector.get_multi_foreign_keys),
        "comment": multi(inspector.get_multi_table_comment),
    }


def _uniques(found: list[dict[str, Any]] | None) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(u["column_names"]) for u in found or [] if u.get("column_names"))


def _key(found: dict[Any, Any], schema: str, name: str) -> tuple[str | None, str]:
    # The inspector keys results by (schema, table), with None for the default schema on
    # some dialects even when the schema was named.
    return (schema, name) if (schema, name) in found else (None, name)


def column_meta(column: dict[str, Any], dialect: sa.Dialect) -> ColumnMeta:
    """A column as SQLAlchemy's inspector reflects it."""
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
