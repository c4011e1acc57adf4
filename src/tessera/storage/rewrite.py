"""Rewriting stored documents in place, current and past versions alike, without new versions:
for maintenance that changes how a value is stored but not what it is (re-encrypting secrets)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tessera.storage.db import write_transaction
from tessera.storage.schema import entity, entity_version

Doc = dict[str, Any]
_BATCH = 500


def rewrite_documents(
    engine: Engine,
    rewrite: Callable[[str, Doc], Doc | None],
    *,
    containing: str | None = None,
    entity_types: Collection[str] = (),
) -> int:
    """Apply ``rewrite(entity type, document)`` to every stored document of ``entity_types`` or
    whose text contains ``containing``; it returns the new document, or None to leave one alone.
    Returns how many documents were rewritten. Each batch commits on its own, so a long run holds
    no lock for long."""
    rewritten = 0
    for table, keys in (
        (entity, (entity.c.id,)),
        (entity_version, (entity_version.c.entity_id, entity_version.c.version)),
    ):
        for rows in _batches(engine, table, keys, containing, entity_types):
            with write_transaction(engine) as conn:
                for row in rows:
                    new = rewrite(row.entity_type, orjson.loads(row.doc))
                    if new is None:
                        continue
                    where = sa.and_(*(column == getattr(row, column.name) for column in keys))
                    conn.execute(sa.update(table).where(where).values(doc=orjson.dumps(new).decode()))
                    rewritten += 1
    return rewritten


def _batches(
    engine: Engine,
    table: sa.Table,
    keys: tuple[Any, ...],
    containing: str | None,
    entity_types: Collection[str],
) -> Iterator[list[Any]]:
    wanted = []
    if containing is not None:
        wanted.append(table.c.doc.contains(containing))
    if entity_types:
        wanted.append(table.c.entity_type.in_(list(entity_types)))
    if not wanted:
        return
    query = sa.select(*keys, table.c.entity_type, table.c.doc).where(sa.or_(*wanted)).order_by(*keys)
    with engine.connect() as conn:
        rows = list(conn.execute(query).all())
    for start in range(0, len(rows), _BATCH):
        yield rows[start : start + _BATCH]
