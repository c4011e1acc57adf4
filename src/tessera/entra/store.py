"""Where the emulator's state lives: SQLite in ``$TESSERA_HOME/entra/entra.db``, or memory.

The file database runs in WAL mode so that the CLI can change the directory while a server is
running on the same file; the server reads the directory on every request and so sees the
change at once. Every unit of work holds a lock, and the process uses one connection: the
in-memory database is a single connection shared by the server thread and the test thread
that drives it, and one writer at a time is all SQLite allows anyway.

Read cache: the token endpoint's hot path (client credentials) would spend most of its time in
the ORM re-reading the same directory rows. :meth:`Store.cached` memoises such reads until the
directory changes, which the store knows exactly: a write through this process bumps a counter,
and a commit by another process (the CLI) changes SQLite's ``PRAGMA data_version``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from tessera.entra.models import Base

T = TypeVar("T")


def _rollback_keeping_cached_rows(session: Session) -> None:
    # A rollback expires every row the session loaded, and rows it put in the read cache would
    # then fail on their next use, detached. Detach them first: they keep their loaded values.
    session.expunge_all()
    session.rollback()


class LazySession:
    def __init__(self, factory: sessionmaker[Session]) -> None:
        self._factory = factory
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            self._session = self._factory()
            self._session.begin()
        return self._session

    def finish(self, *, commit: bool) -> None:
        if self._session is None:
            return
        try:
            if commit:
                self._session.commit()
            else:
                _rollback_keeping_cached_rows(self._session)
        finally:
            self._session.close()


class Store:
    def __init__(self, url: str) -> None:
        self.url = url
        memory = url in ("sqlite://", "sqlite:///:memory:")
        connect_args: dict[str, Any] = {"check_same_thread": False}
        if not memory:
            path = Path(url.removeprefix("sqlite:///"))
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not path.exists():
                # The database holds signing keys: readable by its owner only.
                path.touch(mode=0o600)
                os.chmod(path, 0o600)
            connect_args["timeout"] = 30
        self.engine: Engine = create_engine(url, connect_args=connect_args, poolclass=StaticPool)
        self._dbapi: Any = None
        event.listen(self.engine, "connect", self._on_connect)
        self._lock = threading.RLock()
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._writes = 0
        event.listen(self._sessions, "after_flush", self._on_flush)
        self._cache: dict[Hashable, Any] = {}
        self._cache_version: tuple[int, int] | None = None
        Base.metadata.create_all(self.engine)
        _add_missing_columns(self.engine)

    def _on_connect(self, dbapi_connection: Any, _record: Any) -> None:
        self._dbapi = dbapi_connection
        if self.url != "sqlite://":
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()
        dbapi_connection.execute("PRAGMA foreign_keys=ON")

    def _on_flush(self, *_args: Any) -> None:
        self._writes += 1

    def _version(self) -> tuple[int, int]:
        if self._dbapi is None:
            return (self._writes, 0)
        row = self._dbapi.execute("PRAGMA data_version").fetchone()
        return (self._writes, int(row[0]))

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: committed on success, rolled back on any exception."""
        with self._lock:
            version = self._version()
            if version != self._cache_version:
                self._cache.clear()
                self._cache_version = version
            with self._sessions() as session:
                session.begin()
                try:
                    yield session
                except BaseException:
                    _rollback_keeping_cached_rows(session)
                    raise
                session.commit()

    @contextmanager
    def unit(self) -> Iterator[LazySession]:
        """Like :meth:`transaction`, but the ORM session is only opened if something asks for
        it: a request served entirely from :meth:`cached` never pays for one."""
        with self._lock:
            version = self._version()
            if version != self._cache_version:
                self._cache.clear()
                self._cache_version = version
            lazy = LazySession(self._sessions)
            try:
                yield lazy
            except BaseException:
                lazy.finish(commit=False)
                raise
            lazy.finish(commit=True)

    def cached(self, key: Hashable, load: Callable[[], T]) -> T:
        """``load()``'s result, reused until the directory changes. Call inside
        :meth:`transaction`; exceptions are not cached. Cached rows are detached: read them,
        never change them."""
        try:
            value: T = self._cache[key]
        except KeyError:
            value = self._cache[key] = load()
        return value

    def close(self) -> None:
        self.engine.dispose()


def _add_missing_columns(engine: Engine) -> None:
    """An emulator home made by an older version lacks the columns added since: add them, with
    their defaults, so that upgrading tessera keeps the tenants (``create_all`` only adds
    tables)."""
    existing = inspect(engine)
    with engine.begin() as connection:
        for table in Base.metadata.sorted_tables:
            have = {c["name"] for c in existing.get_columns(table.name)}
            for column in table.columns:
                if column.name in have:
                    continue
                ddl = (
                    f"ALTER TABLE {table.name} ADD COLUMN {column.name} {column.type.compile(engine.dialect)}"
                )
                default = getattr(column.default, "arg", None)
                if isinstance(default, bool | int | float):
                    ddl += f" DEFAULT {int(default) if isinstance(default, bool) else default}"
                elif isinstance(default, str) and default.isalnum():
                    ddl += f" DEFAULT '{default}'"
                connection.execute(text(ddl))
