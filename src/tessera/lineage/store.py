"""The lineage_edge table: one row per (upstream, downstream) pair.

A walk reads one level per query, for the whole frontier at once, joined with the entity table
so that the far ends come back with their documents and soft-deleted ones are left out in SQL.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.engine import Connection

from tessera.storage.schema import entity, lineage_edge

Doc = dict[str, Any]
Direction = Literal["upstream", "downstream"]
# Ids per IN list: well under every backend's parameter limit.
CHUNK = 500


@dataclass(frozen=True)
class Node:
    id: str
    entity_type: str
    deleted: bool
    doc: Doc


@dataclass(frozen=True)
class Edge:
    from_id: str
    to_id: str
    from_type: str
    to_type: str
    details: Doc


def _chunks(ids: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def nodes(conn: Connection, ids: Sequence[str]) -> dict[str, Node]:
    """The entities with these ids (deleted ones too), in one query per chunk."""
    found: dict[str, Node] = {}
    for chunk in _chunks(sorted(set(ids))):
        query = sa.select(entity.c.id, entity.c.entity_type, entity.c.deleted, entity.c.doc).where(
            entity.c.id.in_(chunk)
        )
        for raw in conn.execute(query):
            found[raw.id] = Node(raw.id, raw.entity_type, bool(raw.deleted), orjson.loads(raw.doc))
    return found


def level(conn: Connection, frontier: Sequence[str], direction: Direction) -> list[tuple[Edge, Node]]:
    """The edges one step from ``frontier`` in ``direction`` whose far end is live, with that end.

    Two queries, the edges and then their far ends by primary key, rather than a join: with a
    join PostgreSQL misjudged how many edges a frontier has (its sampled distinct count of ids is
    far too low) and hashed every entity document of the catalog to answer a three-level walk.
    """
    near = lineage_edge.c.to_id if direction == "upstream" else lineage_edge.c.from_id
    edges: list[Edge] = []
    for chunk in _chunks(list(frontier)):
        query = (
            sa.select(
                lineage_edge.c.from_id,
                lineage_edge.c.to_id,
                lineage_edge.c.from_type,
                lineage_edge.c.to_type,
                lineage_edge.c.details,
            )
            .where(near.in_(chunk))
            .order_by(lineage_edge.c.from_id, lineage_edge.c.to_id)
        )
        edges += [
            Edge(raw.from_id, raw.to_id, raw.from_type, raw.to_type, orjson.loads(raw.details))
            for raw in conn.execute(query)
        ]
    ends = live_nodes(conn, [edge.from_id if direction == "upstream" else edge.to_id for edge in edges])
    out: list[tuple[Edge, Node]] = []
    for edge in edges:
        node = ends.get(edge.from_id if direction == "upstream" else edge.to_id)
        if node is not None:
            out.append((edge, node))
    return out


def live_nodes(conn: Connection, ids: Sequence[str]) -> dict[str, Node]:
    """The live entities among these ids, by primary key."""
    found: dict[str, Node] = {}
    for chunk in _chunks(sorted(set(ids))):
        query = sa.select(entity.c.id, entity.c.entity_type, entity.c.doc).where(
            entity.c.id.in_(chunk), entity.c.deleted == sa.false()
        )
        for raw in conn.execute(query):
            found[raw.id] = Node(raw.id, raw.entity_type, False, orjson.loads(raw.doc))
    return found


def get(conn: Connection, from_id: str, to_id: str) -> Edge | None:
    raw = conn.execute(
        sa.select(lineage_edge).where(lineage_edge.c.from_id == from_id, lineage_edge.c.to_id == to_id)
    ).first()
    if raw is None:
        return None
    return Edge(raw.from_id, raw.to_id, raw.from_type, raw.to_type, orjson.loads(raw.details))


def existing(conn: Connection, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Doc]:
    """The stored details of those of ``pairs`` that are edges already."""
    found: dict[tuple[str, str], Doc] = {}
    froms = sorted({from_id for from_id, _ in pairs})
    wanted = set(pairs)
    for chunk in _chunks(froms):
        query = sa.select(lineage_edge.c.from_id, lineage_edge.c.to_id, lineage_edge.c.details).where(
            lineage_edge.c.from_id.in_(chunk)
        )
        for raw in conn.execute(query):
            if (raw.from_id, raw.to_id) in wanted:
                found[(raw.from_id, raw.to_id)] = orjson.loads(raw.details)
    return found


def put_many(conn: Connection, edges: Sequence[Edge], updated_at: int) -> None:
    """Insert or replace these edges in one statement (executemany)."""
    if not edges:
        return
    rows = [
        {
            "from_id": e.from_id,
            "to_id": e.to_id,
            "from_type": e.from_type,
            "to_type": e.to_type,
            "details": orjson.dumps(e.details).decode(),
            "updated_at": updated_at,
        }
        for e in edges
    ]
    conn.execute(_upsert(conn.dialect.name), rows)


@functools.cache
def _upsert(dialect: str) -> sa.Executable:
    # One statement whether or not the edge exists: two writers adding the same edge at once
    # must not fail on the primary key.
    if dialect in ("mysql", "mariadb"):
        statement = mysql.insert(lineage_edge)
        return statement.on_duplicate_key_update(
            details=statement.inserted.details, updated_at=statement.inserted.updated_at
        )
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    upsert = insert(lineage_edge)
    return upsert.on_conflict_do_update(
        index_elements=[lineage_edge.c.from_id, lineage_edge.c.to_id],
        set_={"details": upsert.excluded.details, "updated_at": upsert.excluded.updated_at},
    )


def delete(conn: Connection, from_id: str, to_id: str) -> bool:
    result = conn.execute(
        sa.delete(lineage_edge).where(lineage_edge.c.from_id == from_id, lineage_edge.c.to_id == to_id)
    )
    return bool(result.rowcount)


def delete_by_source(conn: Connection, entity_id: str, source: str) -> int:
    """Edges touching ``entity_id`` whose lineageDetails.source is ``source``."""
    query = sa.select(lineage_edge.c.from_id, lineage_edge.c.to_id, lineage_edge.c.details).where(
        sa.or_(lineage_edge.c.from_id == entity_id, lineage_edge.c.to_id == entity_id)
    )
    gone = [
        (raw.from_id, raw.to_id)
        for raw in conn.execute(query)
        if orjson.loads(raw.details).get("source", "Manual") == source
    ]
    for from_id, to_id in gone:
        delete(conn, from_id, to_id)
    return len(gone)


def delete_touching(conn: Connection, ids: Sequence[str]) -> None:
    """Every edge with one of ``ids`` at either end (the entities are being hard-deleted)."""
    for chunk in _chunks(list(ids)):
        conn.execute(sa.delete(lineage_edge).where(lineage_edge.c.from_id.in_(chunk)))
        conn.execute(sa.delete(lineage_edge).where(lineage_edge.c.to_id.in_(chunk)))
