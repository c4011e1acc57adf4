"""View lineage: what a view reads, table by table and column by column, from its definition.

Each described view's SQL is parsed with sqlglot in the source's dialect; ``SELECT *`` is
expanded against the columns this run described (``qualify``), and each output column is traced
back to the source columns it is computed from (``sqlglot.lineage``). A view yields an edge from
every table it reads (``source: ViewLineage``, its definition as ``sqlQuery``), carrying the
column lineage the parser could tell: a column whose origin it cannot trace is left out, not
guessed. The edges are sent in one ``PUT /lineage/bulk`` per batch once every table is written,
with entity ids read back per schema (``GET /tables?databaseSchema=``): never a request per table.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.lineage import lineage as column_lineage
from sqlglot.optimizer.qualify import qualify

from tessera.ingest.sources.base import TableMeta

log = logging.getLogger("tessera.ingest")

__all__ = ["CatalogTable", "SqlglotError", "ViewReads", "catalog_tables", "parse_view", "requests"]

DIALECTS = {"SQLite": "sqlite", "Postgres": "postgres", "Mysql": "mysql"}
BATCH_SIZE = 200
# (schema, table) as the source names them.
TableKey = tuple[str, str]


@dataclass(frozen=True)
class ViewReads:
    """What one view reads: source tables, and per view column the source columns it comes from."""

    view: TableKey
    definition: str
    tables: tuple[TableKey, ...]
    columns: Mapping[str, tuple[tuple[TableKey, str], ...]] = field(default_factory=dict)


def parse_view(view: TableMeta, service_type: str, described: Mapping[TableKey, TableMeta]) -> ViewReads:
    """The tables and columns ``view`` reads; raises SqlglotError when its SQL does not parse."""
    dialect = DIALECTS.get(service_type)
    definition = (view.view_definition or "").strip()
    tree = sqlglot.parse_one(definition, read=dialect)
    query = tree.expression if isinstance(tree, exp.Create) else tree
    if not isinstance(query, exp.Query):
        raise SqlglotError(f"not a query: {type(query).__name__}")
    ctes = {cte.alias_or_name for cte in query.find_all(exp.CTE)}
    tables = sorted(
        {
            (table.db or view.schema, table.name)
            for table in query.find_all(exp.Table)
            if table.name and table.name not in ctes
        }
    )
    # The columns of every table this run described: what SELECT * expands to.
    by_schema: dict[str, dict[str, dict[str, str]]] = {}
    for (schema_name, name), meta in described.items():
        by_schema.setdefault(schema_name, {})[name] = {column.name: "TEXT" for column in meta.columns}
    schema: dict[str, object] = dict(by_schema)
    columns: dict[str, tuple[tuple[TableKey, str], ...]] = {}
    try:
        qualified = qualify(
            query.copy(), schema=schema, db=view.schema, dialect=dialect, validate_qualify_columns=False
        )
    except SqlglotError as exc:
        log.debug("view %s.%s: cannot qualify its columns (%s)", view.schema, view.name, exc)
        return ViewReads((view.schema, view.name), definition, tuple(tables))
    for output in qualified.named_selects:
        try:
            node = column_lineage(output, qualified, schema=schema, dialect=dialect)
        except SqlglotError as exc:
            log.debug("view %s.%s column %s: no lineage (%s)", view.schema, view.name, output, exc)
            continue
        origins = sorted(
            {
                ((leaf.source.db or view.schema, leaf.source.name), _column_name(leaf))
                for leaf in node.walk()
                if not leaf.downstream and isinstance(leaf.source, exp.Table) and leaf.source.name not in ctes
            }
        )
        if origins:
            columns[output] = tuple(origins)
    return ViewReads((view.schema, view.name), definition, tuple(tables), columns)


def _column_name(leaf: Any) -> str:
    """The source column a lineage leaf names, without the table or quotes around it."""
    if isinstance(leaf.expression, exp.Column):
        return str(leaf.expression.name)
    return str(exp.to_identifier(leaf.name.rsplit(".", 1)[-1].strip('"`')).name)


@dataclass
class CatalogTable:
    id: str
    fqn: str
    columns: dict[str, str]  # column name (lower-cased) -> column FQN


def requests(reads: Iterable[ViewReads], catalog: Mapping[TableKey, CatalogTable]) -> list[dict[str, Any]]:
    """addLineage requests for every (source table -> view) pair found in the catalog."""
    out: list[dict[str, Any]] = []
    for view in reads:
        target = _find(catalog, view.view)
        if target is None:
            continue
        for source_key in view.tables:
            source = _find(catalog, source_key)
            if source is None or source.id == target.id:
                continue
            out.append(
                {
                    "edge": {
                        "fromEntity": {"id": source.id, "type": "table"},
                        "toEntity": {"id": target.id, "type": "table"},
                        "lineageDetails": {
                            "sqlQuery": view.definition,
                            "source": "ViewLineage",
                            "columnsLineage": _columns(view, source_key, source, target),
                        },
                    }
                }
            )
    return out


def _columns(
    view: ViewReads, source_key: TableKey, source: CatalogTable, target: CatalogTable
) -> list[dict[str, Any]]:
    lineage: list[dict[str, Any]] = []
    for output, origins in view.columns.items():
        to_column = target.columns.get(output.lower())
        from_columns = sorted(
            {
                source.columns[name.lower()]
                for key, name in origins
                if _same(key, source_key) and name.lower() in source.columns
            }
        )
        if to_column and from_columns:
            lineage.append({"fromColumns": from_columns, "toColumn": to_column})
    return lineage


def _same(a: TableKey, b: TableKey) -> bool:
    return a[0].lower() == b[0].lower() and a[1].lower() == b[1].lower()


def _find(catalog: Mapping[TableKey, CatalogTable], key: TableKey) -> CatalogTable | None:
    found = catalog.get(key)
    if found is not None:
        return found
    # Unquoted identifiers fold case in the source database (and in the parser): match loosely.
    return next((table for k, table in catalog.items() if _same(k, key)), None)


def catalog_tables(
    pages: Callable[[str], Iterable[Mapping[str, Any]]], schemas: Sequence[tuple[str, str]]
) -> dict[TableKey, CatalogTable]:
    """The catalog's tables of these (schema name, schema FQN)s, one listing per schema."""
    found: dict[TableKey, CatalogTable] = {}
    for schema, schema_fqn in schemas:
        for row in pages(schema_fqn):
            columns = {
                str(c["name"]).lower(): str(c["fullyQualifiedName"])
                for c in row.get("columns") or []
                if c.get("fullyQualifiedName")
            }
            found[(schema, str(row["name"]))] = CatalogTable(
                str(row["id"]), str(row["fullyQualifiedName"]), columns
            )
    return found
