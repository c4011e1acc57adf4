"""Keeps every process's authentication caches true to the database.

Told by the catalog about writes, inside the writing transaction, it appends ``auth_event``
rows: a changed or deleted user evicts that user's cached tokens everywhere; a changed team,
role or policy clears the caches (rare, and roles change what a cached principal may do).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.engine import Connection

from tessera.auth import store
from tessera.catalog.kinds import Kind

Doc = dict[str, Any]


class SecurityListener:
    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock

    def written(self, conn: Connection, kind: Kind, doc: Doc, previous: Doc | None) -> None:
        if previous is None:
            return
        now = int(self._clock() * 1000)
        if kind.type == "user":
            store.add_event(conn, "user", doc["id"], now)
        elif kind.type in ("team", "role", "policy"):
            store.add_event(conn, "all", kind.type, now)

    def removed(self, conn: Connection, kind: Kind, docs: Sequence[Doc]) -> None:
        now = int(self._clock() * 1000)
        for doc in docs:
            if kind.type == "user":
                store.revoke(conn, store.tokens_of(conn, doc["id"]), now)
                store.add_event(conn, "user", doc["id"], now)
                store.delete_credential(conn, doc["id"])
                store.delete_identities(conn, doc["id"])
            elif kind.type in ("team", "role", "policy"):
                store.add_event(conn, "all", kind.type, now)
