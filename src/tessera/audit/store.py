"""The audit table: plain data access; what is recorded and who may read it live in the service."""

from __future__ import annotations

from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tessera.storage.schema import audit_event


def insert(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(sa.insert(audit_event).values(**values))


def newest(conn: Connection, *, limit: int, before: int | None, action: str | None) -> list[dict[str, Any]]:
    """Up to ``limit`` events, newest first, older than the event id ``before``."""
    query = sa.select(audit_event).order_by(audit_event.c.id.desc()).limit(limit)
    if before is not None:
        query = query.where(audit_event.c.id < before)
    if action:
        query = query.where(audit_event.c.action == action)
    return [
        {
            "id": row.id,
            "timestamp": row.at,
            "actor": row.actor,
            "action": row.action,
            "targetType": row.target_type,
            "target": row.target,
            "outcome": row.outcome,
            "detail": orjson.loads(row.detail) if row.detail else None,
            "sourceIp": row.source_ip,
            "userAgent": row.user_agent,
            "correlationId": row.correlation_id,
        }
        for row in conn.execute(query)
    ]


def count(conn: Connection, *, action: str | None) -> int:
    query = sa.select(sa.func.count()).select_from(audit_event)
    if action:
        query = query.where(audit_event.c.action == action)
    return int(conn.execute(query).scalar_one())
