"""The token cache sees a revocation this process committed at its very next lookup, even when
another request read the event log while that commit was under way.

SQLAlchemy's "commit" event fires before the database commits. A poll by another thread in
that window reads the log without the new event; without more, the revoked token then kept
working until the next poll (a second later), although the UI's sign-out, a revoked personal
token or a revoked bot token answered at once.
"""

from __future__ import annotations

import time

from sqlalchemy import event
from sqlalchemy.engine import Connection

from tessera.auth import store
from tessera.auth.cache import TokenCache
from tessera.auth.principal import Principal
from tessera.storage.db import create_engine, write_transaction


def test_a_revocation_is_seen_at_once_even_when_a_poll_races_its_commit(clean_database: str) -> None:
    engine = create_engine(clean_database)
    try:
        cache = TokenCache(engine)
        cache.refresh(force=True)
        digest = store.token_hash("a token")
        cache.put(digest, Principal(name="alice", user_id="u1"), time.time() + 3600, "u1")
        assert cache.get(digest) is not None

        def another_request_polls(_conn: Connection) -> None:
            cache.refresh()

        event.listen(engine, "commit", another_request_polls)
        try:
            with write_transaction(engine) as conn:
                store.add_event(conn, "token", digest, int(time.time() * 1000))
        finally:
            event.remove(engine, "commit", another_request_polls)
        assert cache.get(digest) is None
    finally:
        engine.dispose()
