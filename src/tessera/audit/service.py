"""The audit log: sign-ins, token issue and revoke, and changes to users, bots and their
authentication mechanisms. Append-only; administrators read it at GET /api/v1/audit/events.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any, Literal

import orjson
from sqlalchemy.engine import Connection, Engine

from tessera.audit import store
from tessera.observability import context

log = logging.getLogger("tessera.audit")

Outcome = Literal["success", "failure"]


def append(
    conn: Connection,
    at: int,
    actor: str,
    action: str,
    *,
    target_type: str | None = None,
    target: str | None = None,
    outcome: Outcome = "success",
    detail: dict[str, Any] | None = None,
) -> None:
    """One event, in the caller's transaction (``at`` in epoch milliseconds), with the request
    being served, if any (an operator's command has none)."""
    request = context.current()
    store.insert(
        conn,
        {
            "at": at,
            "actor": actor[:320],
            "action": action,
            "target_type": target_type,
            "target": (target or "")[:512] or None,
            "outcome": outcome,
            "detail": orjson.dumps(detail).decode() if detail else None,
            "source_ip": request.source_ip[:64] if request and request.source_ip else None,
            "user_agent": request.user_agent[:512] if request and request.user_agent else None,
            "correlation_id": request.correlation_id if request else None,
        },
    )
    log.info("%s %s %s %s: %s", actor, action, target_type or "", target or "", outcome)


class AuditLog:
    def __init__(self, engine: Engine, *, clock: Callable[[], float] = time.time) -> None:
        self._engine = engine
        self._clock = clock

    def record(
        self,
        actor: str,
        action: str,
        *,
        target_type: str | None = None,
        target: str | None = None,
        outcome: Outcome = "success",
        detail: dict[str, Any] | None = None,
        conn: Connection | None = None,
    ) -> None:
        at = int(self._clock() * 1000)
        # In the caller's transaction when given one (the event commits or rolls back with the
        # change), else in a transaction of its own.
        scope = contextlib.nullcontext(conn) if conn is not None else self._engine.begin()
        with scope as tx:
            append(
                tx,
                at,
                actor,
                action,
                target_type=target_type,
                target=target,
                outcome=outcome,
                detail=detail,
            )

    def page(self, *, limit: int, before: int | None = None, action: str | None = None) -> dict[str, Any]:
        """Newest first; ``before`` is the id of the oldest event already seen."""
        with self._engine.connect() as conn:
            found = store.newest(conn, limit=limit + 1, before=before, action=action)
            # Every event that matches, as OpenMetadata's paging.total counts, not this page's.
            total = store.count(conn, action=action)
        events = found[:limit]
        paging: dict[str, Any] = {"total": total}
        if len(found) > limit and events:
            paging["before"] = str(events[-1]["id"])
        return {"data": events, "paging": paging}
