"""Records that hang off an entity without being part of it: an ingestion pipeline's run
statuses, progress and logs (OpenMetadata keeps these in its time-series tables), one per
(entity, kind, key), newest first when listed."""

from __future__ import annotations

from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tessera.storage.schema import entity_record

Doc = dict[str, Any]


def put_record(conn: Connection, entity_id: str, kind: str, key: str, timestamp: int, doc: Doc) -> None:
    where = sa.and_(
        entity_record.c.entity_id == entity_id,
        entity_record.c.kind == kind,
        entity_record.c.record_key == key,
    )
    payload = orjson.dumps(doc).decode()
    updated = conn.execute(sa.update(entity_record).where(where).values(timestamp=timestamp, doc=payload))
    if updated.rowcount == 0:
        conn.execute(
            sa.insert(entity_record).values(
                entity_id=entity_id, kind=kind, record_key=key, timestamp=timestamp, doc=payload
            )
        )


def get_record(conn: Connection, entity_id: str, kind: str, key: str) -> Doc | None:
    query = sa.select(entity_record.c.doc).where(
        entity_record.c.entity_id == entity_id,
        entity_record.c.kind == kind,
        entity_record.c.record_key == key,
    )
    raw = conn.execute(query).first()
    return orjson.loads(raw.doc) if raw is not None else None


def list_records(
    conn: Connection, entity_id: str, kind: str, *, start: int | None, end: int | None, limit: int
) -> list[Doc]:
    query = sa.select(entity_record.c.doc).where(
        entity_record.c.entity_id == entity_id, entity_record.c.kind == kind
    )
    if start is not None:
        query = query.where(entity_record.c.timestamp >= start)
    if end is not None:
        query = query.where(entity_record.c.timestamp <= end)
    query = query.order_by(entity_record.c.timestamp.desc()).limit(limit)
    return [orjson.loads(raw.doc) for raw in conn.execute(query)]
