"""The page of a dense one-term filter (``tier.tagFQN = Tier.Tier1`` on a tenth of the tables),
found by walking the sort order's index and testing each entity, instead of sorting every match.

The walk is written out rather than left to the planner: a window of the sort order (``ORDER BY
key LIMIT n`` on the kind's own index, an index walk on every backend) and the term tested on
each entity of the window by its ``search_term`` key. Planners misjudge such filters without
statistics (SQLite) or with them (PostgreSQL took ``Tier.Tier1`` for a rare value and sorted
every match). The window is sized from the filter's share of the documents
(search_term_count) and grown until it holds the page or the whole kind: matches bunched at the
far end of the order cost more reads, never a wrong page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tessera.storage import search_inherited
from tessera.storage.schema import entity
from tessera.storage.schema import search_document as d
from tessera.storage.schema import search_term as t
from tessera.storage.search_query import Search

# How many times the expected number of entities a first window reads: slack for matches
# spread unevenly along the order.
_SLACK = 2
_GROWTH = 4


@dataclass(frozen=True)
class Walk:
    """A one-term filter (its stored field and value) on one kind's documents, deleted or not,
    how many documents that is and the share of them that match."""

    field: str
    value: str
    entity_type: str
    deleted: bool
    share: float
    documents: int


def walk_page(
    conn: Connection, walk: Walk, column: sa.ColumnElement[Any], search: Search, after: tuple[Any, str] | None
) -> list[tuple[str, Any]]:
    """(entity_id, sort key) of the page's matches, in the sort order, after ``after``."""
    needed = search.offset + search.size
    window = int(needed / walk.share * _SLACK) + 32
    ordering = (column.desc(), d.c.entity_id.desc()) if search.descending else (column, d.c.entity_id)
    scope = [d.c.entity_type == walk.entity_type, d.c.deleted == walk.deleted]
    if after is not None:
        scope.append(beyond(conn, column, after[0], after[1], search.descending))
    while True:
        walked = (
            sa.select(d.c.entity_id, column.label("key"))
            .where(*scope)
            .order_by(*ordering)
            .limit(window)
            .subquery("walked")
        )
        # A subquery per entity of the window, not an EXISTS: PostgreSQL turns an EXISTS into a
        # join, and joined the window with every match of the term.
        lookup = sa.select(sa.literal(1)).where(
            t.c.field == walk.field, t.c.value == walk.value, t.c.entity_id == walked.c.entity_id
        )
        matches: sa.ColumnElement[bool] = lookup.limit(1).scalar_subquery().is_not(None)
        for inheritance in search_inherited.inheritances(walk.field):
            # Or the entity takes the value from its parent (search_inherited): its own row in
            # the entity table, by id, and whether its parent is one of those with the value.
            parents = search_inherited.parents_with(inheritance, lambda column: [column == walk.value])
            child = entity.alias("walked_entity")
            inherits = sa.select(sa.literal(1)).where(
                child.c.id == walked.c.entity_id,
                child.c.entity_type == inheritance.child,
                child.c.parent_id.in_(parents),
            )
            matches = sa.or_(matches, inherits.limit(1).scalar_subquery().is_not(None))
        keys = (
            (walked.c.key.desc(), walked.c.entity_id.desc())
            if search.descending
            else (
                walked.c.key,
                walked.c.entity_id,
            )
        )
        page = sa.select(walked.c.entity_id, walked.c.key).where(matches).order_by(*keys)
        rows = conn.execute(page.offset(search.offset).limit(search.size)).all()
        if len(rows) == search.size or window >= walk.documents:
            return [(row.entity_id, row.key) for row in rows]
        window *= _GROWTH


def merged_page(
    conn: Connection,
    arms: list[tuple[str, bool]],
    column: sa.ColumnElement[Any],
    search: Search,
    after: tuple[Any, str] | None,
) -> list[tuple[str, Any]]:
    """(entity_id, sort key) of a page of whole kinds, several or with both deleted flags: the
    first ``offset + size`` rows of each (kind, deleted) pair's own sort index, merged. Each arm
    is an index walk that stops at its limit, so the page costs the same whatever the catalog's
    size, and no index across kinds has to be written with every document (migration 0019)."""
    if not arms:
        return []
    needed = search.offset + search.size
    ordering = (column.desc(), d.c.entity_id.desc()) if search.descending else (column, d.c.entity_id)
    parts = []
    for number, (entity_type, deleted) in enumerate(arms):
        scope = [d.c.entity_type == entity_type, d.c.deleted == deleted]
        if after is not None:
            scope.append(beyond(conn, column, after[0], after[1], search.descending))
        arm = (
            sa.select(d.c.entity_id, column.label("key"))
            .where(*scope)
            .order_by(*ordering)
            .limit(needed)
            .subquery(f"arm{number}")
        )
        # Each arm wrapped in a SELECT of its own: SQLite allows no ORDER BY or LIMIT on the
        # members of a compound select.
        parts.append(sa.select(arm.c.entity_id, arm.c.key))
    merged = (sa.union_all(*parts) if len(parts) > 1 else parts[0]).subquery("merged")
    keys = (
        (merged.c.key.desc(), merged.c.entity_id.desc())
        if search.descending
        else (merged.c.key, merged.c.entity_id)
    )
    page = sa.select(merged.c.entity_id, merged.c.key).order_by(*keys)
    rows = conn.execute(page.offset(search.offset).limit(search.size))
    return [(row.entity_id, row.key) for row in rows]


def beyond(
    conn: Connection, column: sa.ColumnElement[Any], key: Any, entity_id: str, descending: bool
) -> sa.ColumnElement[bool]:
    """Rows after (key, entity_id) in the sort order, written so the index seeks to it (see
    :func:`tessera.storage.repository._beyond`)."""
    if conn.dialect.name in ("postgresql", "sqlite"):
        left = sa.tuple_(column, d.c.entity_id)
        right = sa.tuple_(sa.literal(key), sa.literal(entity_id))
        return left < right if descending else left > right
    if descending:
        return sa.or_(column < key, sa.and_(column == key, d.c.entity_id < entity_id))
    return sa.or_(column > key, sa.and_(column == key, d.c.entity_id > entity_id))
