"""Relations of users to entities (follows, votes) in and out of ``entity_relation``.

Read a page at a time: one query for the relations of many entities, never one per entity.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tessera.storage.schema import entity_relation

FOLLOWS = "follows"
OWNS = "owns"
UP_VOTED = "upVoted"
DOWN_VOTED = "downVoted"
VOTES = (UP_VOTED, DOWN_VOTED)


def add(conn: Connection, from_id: str, to_id: str, relation: str, at: int) -> bool:
    """Record the relation; False when it was already there (nothing changes)."""
    if has(conn, from_id, to_id, relation):
        return False
    conn.execute(
        sa.insert(entity_relation).values(from_id=from_id, to_id=to_id, relation=relation, created_at=at)
    )
    return True


def remove(conn: Connection, from_id: str, to_id: str, relations: Iterable[str]) -> list[str]:
    """Remove these relations of ``from_id`` to ``to_id``; returns those that were there."""
    wanted = list(relations)
    found = [
        row.relation
        for row in conn.execute(
            sa.select(entity_relation.c.relation).where(
                entity_relation.c.from_id == from_id,
                entity_relation.c.to_id == to_id,
                entity_relation.c.relation.in_(wanted),
            )
        )
    ]
    if found:
        conn.execute(
            sa.delete(entity_relation).where(
                entity_relation.c.from_id == from_id,
                entity_relation.c.to_id == to_id,
                entity_relation.c.relation.in_(found),
            )
        )
    return found


def has(conn: Connection, from_id: str, to_id: str, relation: str) -> bool:
    query = sa.select(entity_relation.c.to_id).where(
        entity_relation.c.from_id == from_id,
        entity_relation.c.to_id == to_id,
        entity_relation.c.relation == relation,
    )
    return conn.execute(query).first() is not None


def to_entities(
    conn: Connection, to_ids: Sequence[str], relations: Sequence[str]
) -> list[tuple[str, str, str]]:
    """(to_id, relation, from_id) of the given entities, oldest first."""
    out: list[tuple[str, str, str]] = []
    for start in range(0, len(to_ids), 500):
        chunk = list(to_ids[start : start + 500])
        query = (
            sa.select(entity_relation.c.to_id, entity_relation.c.relation, entity_relation.c.from_id)
            .where(entity_relation.c.to_id.in_(chunk), entity_relation.c.relation.in_(list(relations)))
            .order_by(entity_relation.c.created_at, entity_relation.c.from_id)
        )
        out.extend((row.to_id, row.relation, row.from_id) for row in conn.execute(query))
    return out


def from_entity(
    conn: Connection, from_id: str | Sequence[str], relation: str, *, limit: int = 10_000
) -> list[str]:
    """Ids of what ``from_id`` (one id or several) has this relation to (what a user follows)."""
    sources = [from_id] if isinstance(from_id, str) else list(from_id)
    query = (
        sa.select(entity_relation.c.to_id)
        .where(entity_relation.c.from_id.in_(sources), entity_relation.c.relation == relation)
        .order_by(entity_relation.c.created_at, entity_relation.c.to_id)
        .limit(limit)
    )
    return [row.to_id for row in conn.execute(query)]


def from_entities(conn: Connection, from_ids: Sequence[str], relation: str) -> list[tuple[str, str]]:
    """(from_id, to_id) of this relation from any of ``from_ids`` (what each of many users follows)."""
    out: list[tuple[str, str]] = []
    for start in range(0, len(from_ids), 500):
        chunk = list(from_ids[start : start + 500])
        query = (
            sa.select(entity_relation.c.from_id, entity_relation.c.to_id)
            .where(entity_relation.c.from_id.in_(chunk), entity_relation.c.relation == relation)
            .order_by(entity_relation.c.created_at, entity_relation.c.to_id)
        )
        out.extend((row.from_id, row.to_id) for row in conn.execute(query))
    return out


# Built once: building the DELETE anew for every entity of a bulk write cost more than running it.
_DROP_SOURCES = sa.delete(entity_relation).where(
    entity_relation.c.to_id == sa.bindparam("target"), entity_relation.c.relation == sa.bindparam("kind")
)


def set_sources(conn: Connection, to_id: str, relation: str, from_ids: Sequence[str], at: int) -> None:
    """Make ``from_ids`` exactly the sources of ``relation`` to ``to_id`` (an entity's owners)."""
    conn.execute(_DROP_SOURCES, {"target": to_id, "kind": relation})
    rows = [
        {"from_id": f, "to_id": to_id, "relation": relation, "created_at": at}
        for f in dict.fromkeys(from_ids)
    ]
    if rows:
        conn.execute(sa.insert(entity_relation), rows)


def forget(conn: Connection, ids: Sequence[str]) -> None:
    """Drop every relation from or to these (hard-deleted) entities."""
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        conn.execute(
            sa.delete(entity_relation).where(
                sa.or_(entity_relation.c.to_id.in_(chunk), entity_relation.c.from_id.in_(chunk))
            )
        )
