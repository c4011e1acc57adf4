"""The types of a view's computed columns, inferred from its definition.

SQLite declares a type only for a view column that is a plain column of a table
(``SELECT c.email``); ``COUNT(*)``, ``SUM(a * b)`` or ``date(x)`` have none, because SQLite's
types belong to values, not to expressions (https://sqlite.org/datatype3.html, section 3.2:
"an expression has no affinity"). The catalog would show them as "unknown". sqlglot's optimizer
(``qualify`` then ``annotate_types``) infers an expression's type from the types of the columns
it reads, as a query planner would: COUNT is a BIGINT, SUM of a DECIMAL a DECIMAL, date() a DATE.
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify

Schema = Mapping[str, Mapping[str, str]]
"""Declared types by table, then column: ``{"orders": {"id": "INTEGER"}}``."""


def _query(definition: str) -> exp.Query | None:
    try:
        tree = sqlglot.parse_one(definition, read="sqlite")
    except SqlglotError:
        return None
    query = tree.expression if isinstance(tree, exp.Create) else tree
    return query if isinstance(query, exp.Query) else None


def tables_read(definition: str) -> set[str]:
    """The tables (and views) a view's definition names, to look their columns up."""
    query = _query(definition)
    return {table.name for table in query.find_all(exp.Table)} if query is not None else set()


def infer(definition: str, schema: Schema) -> dict[str, str]:
    """Column name -> a SQL type (``BIGINT``, ``DECIMAL(10, 2)``, ``DATE``) for each output column
    of the view whose type can be told; nothing for what cannot (a parse failure included: the
    column stays "unknown", as before)."""
    query = _query(definition)
    if query is None:
        return {}
    # Only declared types (sqlglot refuses a table without any); the rest stays unknown.
    known: dict[str, object] = {}
    for table, columns in schema.items():
        typed = {column: kind for column, kind in columns.items() if kind}
        if typed:
            known[table] = typed
    try:
        qualified = qualify(query, schema=known, dialect="sqlite", validate_qualify_columns=False)
        annotated = annotate_types(qualified, schema=known, dialect="sqlite")
    except (SqlglotError, KeyError, ValueError):
        return {}
    found: dict[str, str] = {}
    for column in annotated.selects:
        kind = column.type
        if kind is None or kind.is_type(exp.DataType.Type.UNKNOWN, exp.DataType.Type.NULL):
            continue
        found[column.alias_or_name] = kind.sql()
    return found
