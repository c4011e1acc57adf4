"""The ``tag_usage`` index: which entities carry which tag or glossary term as a label.

Rows are replaced whole per entity by the write that changed its labels, in that write's
transaction; everything else reads them by tag (``ix_tag_usage_tag``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tessera.storage.schema import tag_usage

_CHUNK = 500


@dataclass(frozen=True)
class Usage:
    tag_fqn: str
    tag_fqn_hash: str
    source: str


def replace(conn: Connection, entity_id: str, entity_type: str, usages: Iterable[Usage]) -> None:
    """The labels ``entity_id`` carries now (none: it carries none, or is deleted)."""
    conn.execute(sa.delete(tag_usage).where(tag_usage.c.entity_id == entity_id))
    rows = {
        usage.tag_fqn_hash: {
            "entity_id": entity_id,
            "entity_type": entity_type,
            "tag_fqn_hash": usage.tag_fqn_hash,
            "tag_fqn": usage.tag_fqn,
            "source": usage.source,
        }
        for usage in usages
    }
    if rows:
        conn.execute(sa.insert(tag_usage), list(rows.values()))


def forget(conn: Connection, entity_ids: Sequence[str]) -> None:
    for start in range(0, len(entity_ids), _CHUNK):
        chunk = entity_ids[start : start + _CHUNK]
        conn.execute(sa.delete(tag_usage).where(tag_usage.c.entity_id.in_(chunk)))


def carriers(conn: Connection, tag_hashes: Sequence[str]) -> list[str]:
    """The ids of the entities that carry any of these tags, each once."""
    found: set[str] = set()
    for start in range(0, len(tag_hashes), _CHUNK):
        chunk = list(tag_hashes[start : start + _CHUNK])
        query = sa.select(tag_usage.c.entity_id).where(tag_usage.c.tag_fqn_hash.in_(chunk)).distinct()
        found.update(conn.execute(query).scalars())
    return sorted(found)


def count(conn: Connection, tag_hashes: Sequence[str]) -> int:
    """How many (entity, tag) labels there are of these tags."""
    total = 0
    for start in range(0, len(tag_hashes), _CHUNK):
        chunk = list(tag_hashes[start : start + _CHUNK])
        query = sa.select(sa.func.count()).select_from(tag_usage).where(tag_usage.c.tag_fqn_hash.in_(chunk))
        total += int(conn.execute(query).scalar_one())
    return total
