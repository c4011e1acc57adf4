"""Verified tokens, remembered: a request with a token seen before costs no signature check and
no database query.

Correctness comes from the ``auth_event`` log: revoking a token or changing a user appends an
event, and every process reads new events at most once a second (and at least that often while
it serves requests), evicting what they name. So a revocation takes effect everywhere within a
second or so, and the cache is bounded in size and by each token's own expiry. In the process
that made the change it takes effect at once: any commit on this process's engine makes the
next lookup read the log.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import ConnectionPoolEntry

from tessera.auth import store
from tessera.auth.principal import Principal

POLL_INTERVAL_S = 1.0
_COMMITTED = "tessera.token_cache.committed"


@dataclass(frozen=True)
class Entry:
    principal: Principal
    expires_at: float
    user_id: str | None


class TokenCache:
    def __init__(
        self,
        engine: Engine,
        *,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self._max = max_entries
        self._clock = clock
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._last_event = -1
        self._polled_at = float("-inf")
        # Listeners told about user changes (e.g. the IdP identity cache).
        self.on_user_changed: list[Callable[[str], None]] = []
        # Told of every lookup, hit (True) or miss (the hit rate is a metric).
        self.on_lookup: list[Callable[[bool], None]] = []
        event.listen(engine, "commit", self._after_local_commit)
        event.listen(engine, "checkin", self._after_checkin)

    def _after_local_commit(self, conn: Connection) -> None:
        self._polled_at = float("-inf")
        # SQLAlchemy fires "commit" before the database commits: a poll by another thread in
        # between reads the log without this commit's events, then waits a whole interval. So
        # the log is read again once the connection is back in the pool, after the commit.
        conn.info[_COMMITTED] = True

    def _after_checkin(self, _dbapi_connection: object, record: ConnectionPoolEntry | None) -> None:
        if record is not None and record.info.pop(_COMMITTED, False):
            self._polled_at = float("-inf")

    def get(self, digest: str) -> Principal | None:
        found = self._get(digest)
        for listener in self.on_lookup:
            listener(found is not None)
        return found

    def _get(self, digest: str) -> Principal | None:
        self.refresh()
        with self._lock:
            entry = self._entries.get(digest)
            if entry is None:
                return None
            if entry.expires_at <= self._clock():
                del self._entries[digest]
                return None
            self._entries.move_to_end(digest)
            return entry.principal

    def put(self, digest: str, principal: Principal, expires_at: float, user_id: str | None) -> None:
        with self._lock:
            self._entries[digest] = Entry(principal, expires_at, user_id)
            self._entries.move_to_end(digest)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget everything, including the position in the event log (e.g. after a restore)."""
        with self._lock:
            self._entries.clear()
            self._last_event = -1
            self._polled_at = float("-inf")

    def __len__(self) -> int:
        return len(self._entries)

    def refresh(self, *, force: bool = False) -> None:
        """Apply new revocation/user events; queries the database at most once per interval."""
        now = self._monotonic()
        if not force and now - self._polled_at < POLL_INTERVAL_S:
            return
        with self._lock:
            if not force and now - self._polled_at < POLL_INTERVAL_S:
                return
            self._polled_at = now
            with self.engine.connect() as conn:
                if self._last_event < 0:
                    # A fresh process has nothing cached: start from the current end of the log.
                    self._last_event = store.last_event_id(conn)
                    return
                events = store.events_since(conn, self._last_event)
            changed_users: list[str] = []
            for event_id, kind, subject in events:
                self._last_event = event_id
                if kind == "token":
                    self._entries.pop(subject, None)
                elif kind == "user":
                    changed_users.append(subject)
                    for digest in [d for d, e in self._entries.items() if e.user_id == subject]:
                        del self._entries[digest]
                elif kind == "all":
                    self._entries.clear()
        for user_id in changed_users:
            for listener in self.on_user_changed:
                listener(user_id)
