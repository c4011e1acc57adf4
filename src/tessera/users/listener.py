"""Keeps every process's authentication caches true to the database, and audits every change
to a user or a bot, whichever route made it.

Told by the catalog about writes, inside the writing transaction, it appends ``auth_event``
rows: a changed or deleted user evicts that user's cached tokens everywhere; a changed team,
role or policy clears the caches (rare, and roles change what a cached principal may do).
The audit events are written in the same transaction, so a change and its event commit or roll
back together.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.engine import Connection

from tessera.audit import service as audit
from tessera.auth import store
from tessera.catalog.kinds import Kind
from tessera.users import fields

Doc = dict[str, Any]

# Kinds whose every write is audited.
AUDITED = frozenset({"user", "bot"})
# A write whose document names no writer (none should; kept so an event never lacks an actor).
UNKNOWN_ACTOR = "unknown"


class SecurityListener:
    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock

    def written(self, conn: Connection, kind: Kind, doc: Doc, previous: Doc | None) -> None:
        now = int(self._clock() * 1000)
        if kind.type in AUDITED:
            self._audit_write(conn, now, kind, doc, previous)
        if previous is None:
            return
        if kind.type == "user":
            if doc.get("deleted") and not previous.get("deleted"):
                # A deleted user's tokens stop working, in the same transaction as the delete.
                store.revoke(conn, store.tokens_of(conn, doc["id"]), now)
            store.add_event(conn, "user", doc["id"], now)
        elif kind.type in ("team", "role", "policy"):
            store.add_event(conn, "all", kind.type, now)

    def removed(self, conn: Connection, kind: Kind, docs: Sequence[Doc], actor: str) -> None:
        now = int(self._clock() * 1000)
        for doc in docs:
            if kind.type == "user":
                store.revoke(conn, store.tokens_of(conn, doc["id"]), now)
                store.add_event(conn, "user", doc["id"], now)
                store.delete_credential(conn, doc["id"])
                store.delete_identities(conn, doc["id"])
            elif kind.type in ("team", "role", "policy"):
                store.add_event(conn, "all", kind.type, now)
            if kind.type in AUDITED:
                audit.append(
                    conn,
                    now,
                    actor,
                    f"{kind.type}-delete",
                    target_type=kind.type,
                    target=doc["name"],
                    detail={"hardDelete": True},
                )

    def _audit_write(self, conn: Connection, now: int, kind: Kind, doc: Doc, previous: Doc | None) -> None:
        detail: dict[str, Any] | None = None
        if previous is None:
            what = "create"
        elif doc.get("deleted") and not previous.get("deleted"):
            what, detail = "delete", {"hardDelete": False}
        elif previous.get("deleted") and not doc.get("deleted"):
            what = "restore"
        else:
            # Names only: the values may be secrets (a bot's sealed token).
            what, detail = "update", {"fields": fields.changed(previous, doc)}
        audit.append(
            conn,
            now,
            str(doc.get("updatedBy") or UNKNOWN_ACTOR),
            f"{kind.type}-{what}",
            target_type=kind.type,
            target=doc["name"],
            detail=detail,
        )
