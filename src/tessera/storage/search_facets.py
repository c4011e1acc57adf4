"""Facets (OpenSearch's terms aggregations) of a search: of whole kinds from
search_term_count, a row per distinct value; of a filtered search, the values of its matches,
counted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tessera.storage import search_counts, search_inherited, search_keys
from tessera.storage.schema import search_document as d
from tessera.storage.schema import search_term as t
from tessera.storage.search_query import (
    COLUMN_FIELDS,
    DOCUMENTS,
    UNCOUNTED_FIELDS,
    field_kind,
    whole_value_field,
)


class Scope(Protocol):
    """What a facet needs of a search's plan (tessera.storage.search_engine)."""

    dialect: str
    source: sa.FromClause
    filters: list[sa.ColumnElement[bool]]
    whole_kinds: bool
    entity_types: tuple[str, ...] | None
    deleted: bool | None


@dataclass(frozen=True)
class Buckets:
    buckets: list[tuple[str, int]]
    other: int


def aggregate(conn: Connection, plan: Scope, name: str, size: int) -> Buckets:
    if plan.whole_kinds:
        counted = _counted_facet(conn, plan, name, size)
        if counted is not None:
            return counted
    count = sa.func.count().label("n")
    if field_kind(name) == "column":
        column = d.c[COLUMN_FIELDS[name]]
        query = sa.select(column.label("value"), count).select_from(plan.source).where(*plan.filters)
        grouped = query.group_by(column)
        all_rows = sa.select(sa.func.count()).select_from(plan.source).where(*plan.filters)
    else:
        stored = whole_value_field(name)
        if plan.dialect == "sqlite" and stored in search_keys.KEY_FIELDS:
            grouped, all_rows = _key_facet(plan, stored)
        elif plan.whole_kinds:
            terms = [t.c.field == stored]
            if plan.entity_types is not None:
                terms.append(t.c.entity_type.in_(plan.entity_types))
            if plan.deleted is not None:
                terms.append(t.c.deleted == plan.deleted)
            grouped = sa.select(t.c.value.label("value"), count).where(*terms).group_by(t.c.value)
            all_rows = sa.select(sa.func.count()).select_from(t).where(*terms)
        else:
            grouped, all_rows = _filtered_facet(plan, stored)
    rows = conn.execute(grouped.order_by(sa.desc("n"), sa.asc("value")).limit(size)).all()
    buckets = [(_bucket_key(row.value), int(row.n)) for row in rows]
    other = 0
    if len(buckets) == size:
        other = int(conn.execute(all_rows).scalar_one()) - sum(n for _, n in buckets)
    return Buckets(buckets=buckets, other=other)


def _key_facet(plan: Scope, stored: str) -> tuple[sa.Select[Any], sa.Select[Any]]:
    """On SQLite, the values of a field kept as tokens (search_keys), read from the matching
    documents' own columns as the terms held them."""
    value = search_keys.value_column(stored).label("value")
    has = search_keys.has_field(stored)
    matches = sa.select(value).select_from(plan.source).where(*plan.filters, has).subquery()
    grouped = sa.select(matches.c.value, sa.func.count().label("n")).group_by(matches.c.value)
    return grouped, sa.select(sa.func.count()).select_from(matches)


def _filtered_facet(plan: Scope, stored: str) -> tuple[sa.Select[Any], sa.Select[Any]]:
    """The values of ``stored`` among the matches, grouped, and how many there are: their own
    rows, and what the ones that take the field from their parent take from it."""
    matches = sa.select(d.c.entity_id).select_from(plan.source).where(*plan.filters)
    own = sa.select(t.c.value.label("value")).where(t.c.field == stored, t.c.entity_id.in_(matches))
    # Only documents without rows of their own for the field take it from their parent.
    taking = matches.where(d.c.inherited.is_not(None))
    inherited = [search_inherited.values_of(i, taking) for i in search_inherited.inheritances(stored)]
    values = (sa.union_all(own, *inherited) if inherited else own).subquery()
    grouped = sa.select(values.c.value, sa.func.count().label("n")).group_by(values.c.value)
    return grouped, sa.select(sa.func.count()).select_from(values)


def _counted_facet(conn: Connection, plan: Scope, name: str, size: int) -> Buckets | None:
    """A facet of whole kinds from search_term_count: a row per distinct value, not an index
    entry per entity. None for a field it does not count."""
    by_deleted = False
    if field_kind(name) == "column":
        if COLUMN_FIELDS[name] not in ("entity_type", "deleted"):
            return None
        stored, by_deleted = DOCUMENTS, COLUMN_FIELDS[name] == "deleted"
    else:
        stored = whole_value_field(name)
        if stored in UNCOUNTED_FIELDS:
            return None
    found, everything = search_counts.buckets(
        conn, stored, plan.entity_types, plan.deleted, size, by_deleted=by_deleted
    )
    buckets = [(_bucket_key(value), n) for value, n in found]
    other = everything - sum(n for _, n in buckets) if len(buckets) == size else 0
    return Buckets(buckets=buckets, other=other)


def _bucket_key(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
