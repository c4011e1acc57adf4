"""What ``search_term_count`` answers without reading an index entry per entity: the buckets of
a facet over whole kinds, and how many documents have one value of a field.

The table is kept in step by every write of :mod:`tessera.storage.search`; its rows are
``(field, entity_type, deleted, value) -> n``, and field ``entityType`` counts the documents
themselves. Reads cost a row per distinct value in scope, whatever the size of the catalog.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tessera.storage.schema import search_term_count as c
from tessera.storage.search_query import DOCUMENTS


def _scope(
    field: str, entity_types: Sequence[str] | None, deleted: bool | None
) -> list[sa.ColumnElement[bool]]:
    where = [c.c.field == field]
    if entity_types is not None:
        where.append(c.c.entity_type.in_(list(entity_types)))
    if deleted is not None:
        where.append(c.c.deleted == deleted)
    return where


def total(
    conn: Connection,
    field: str,
    value: str,
    entity_types: Sequence[str] | None,
    deleted: bool | None,
) -> int:
    """How many documents of these kinds (and deleted flag) have ``value`` in ``field``."""
    query = sa.select(sa.func.coalesce(sa.func.sum(c.c.n), 0)).where(
        *_scope(field, entity_types, deleted), c.c.value == value
    )
    return int(conn.execute(query).scalar_one())


def documents(conn: Connection, entity_types: Sequence[str] | None, deleted: bool | None) -> int:
    """How many documents there are of these kinds (and deleted flag)."""
    where = _scope(DOCUMENTS, entity_types, deleted)
    query = sa.select(sa.func.coalesce(sa.func.sum(c.c.n), 0)).where(*where)
    return int(conn.execute(query).scalar_one())


def buckets(
    conn: Connection,
    field: str,
    entity_types: Sequence[str] | None,
    deleted: bool | None,
    size: int,
    *,
    by_deleted: bool = False,
) -> tuple[list[tuple[Any, int]], int]:
    """The ``size`` most frequent values of ``field`` (or, ``by_deleted``, the deleted flags of
    the documents that have it) with their counts, most frequent first, and the sum of all
    counts: OpenSearch's terms aggregation, exact."""
    key = c.c.deleted if by_deleted else c.c.value
    where = _scope(field, entity_types, deleted)
    n = sa.func.sum(c.c.n)
    grouped = (
        sa.select(key.label("value"), n.label("n"))
        .where(*where)
        .group_by(key)
        # Rows that fell to 0 stay in the table (see tessera.storage.search): not a bucket.
        .having(n > 0)
        .order_by(sa.desc("n"), sa.asc("value"))
        .limit(size)
    )
    found = [(row.value, int(row.n)) for row in conn.execute(grouped)]
    everything = sa.select(sa.func.coalesce(n, 0)).where(*where)
    return found, int(conn.execute(everything).scalar_one())


def arms(
    conn: Connection, entity_types: Sequence[str] | None, deleted: bool | None
) -> list[tuple[str, bool]]:
    """The (kind, deleted flag) pairs in scope that hold documents: each is the leading key of
    its kind's sort indexes (search_walk.merged_page)."""
    n = sa.func.sum(c.c.n)
    query = (
        sa.select(c.c.entity_type, c.c.deleted)
        .where(*_scope(DOCUMENTS, entity_types, deleted))
        .group_by(c.c.entity_type, c.c.deleted)
        .having(n > 0)
        .order_by(c.c.entity_type, c.c.deleted)
    )
    return [(row.entity_type, bool(row.deleted)) for row in conn.execute(query)]
