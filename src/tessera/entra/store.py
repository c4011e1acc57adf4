"""Where the emulator's state lives: SQLite in ``$TESSERA_HOME/entra/entra.db``, or memory.

The file database runs in WAL mode so that the CLI can change the directory while a server is
running on the same file; the server reads the directory on every request and so sees the
change at once. The in-memory database is one connection shared by the server thread and the
test thread that drives it, so every unit of work holds a lock.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from tessera.entra.models import Base


class Store:
    def __init__(self, url: str) -> None:
        self.url = url
        memory = url in ("sqlite://", "sqlite:///:memory:")
        if memory:
            self.engine: Engine = create_engine(
                url, connect_args={"check_same_thread": False}, poolclass=StaticPool
            )
        else:
            path = Path(url.removeprefix("sqlite:///"))
            path.parent.mkdir(parents=True, exist_ok=True)
            existed = path.exists()
            self.engine = create_engine(
                url, connect_args={"check_same_thread": False, "timeout": 30}, pool_pre_ping=False
            )
            event.listen(self.engine, "connect", _sqlite_pragmas)
            if not existed:
                # The database holds signing keys: readable by its owner only.
                path.touch(mode=0o600)
                os.chmod(path, 0o600)
        self._lock = threading.RLock()
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        Base.metadata.create_all(self.engine)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: committed on success, rolled back on any exception."""
        with self._lock, self._sessions() as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
