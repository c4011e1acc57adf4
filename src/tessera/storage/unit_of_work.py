"""The unit of work: one write transaction over entity rows, and the policy for retrying it.

A :class:`UnitOfWork` is what a catalog write sees of the database while it runs: rows looked
up (and cached) for resolving references, rows read for writing (locked), and new entities,
which it inserts together when the work is done (one statement per table for a whole bulk
request, not several per row).

:func:`run` runs a piece of work in a new unit of work and retries it when the failure is one
that running it again can resolve: a concurrent writer inserted one of its new entities first
(:class:`ConcurrentWrite`), or the database reported a transient failure (see
:mod:`tessera.storage.transient`).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import sqlalchemy as sa
import tenacity
from sqlalchemy.engine import Connection, Engine

from tessera.storage import repository as repo
from tessera.storage import search as search_store
from tessera.storage.db import write_transaction
from tessera.storage.repository import Doc, EntityRow
from tessera.storage.transient import transient, unique_violation

log = logging.getLogger(__name__)

T = TypeVar("T")

_MAX_ATTEMPTS = 6


class ConcurrentWrite(Exception):
    """A concurrent writer got there first (it inserted an entity this work was creating):
    run the whole transaction again, which will find that entity."""


class UnitOfWork:
    """One open write transaction plus a cache of what it has looked up."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        # Live documents looked up by (entity_type, fqn_hash), to resolve references.
        self._live: dict[tuple[str, str], Doc | None] = {}
        # Rows read for writing (locked), by (entity_type, fqn_hash); None = known not to exist.
        # A bulk request fills it with one query instead of one per row (see lock_rows).
        self._rows: dict[tuple[str, str], EntityRow | None] = {}
        # Entities created in this transaction, written together by flush() (at the latest just
        # before commit): one INSERT per table for a whole bulk request, not several per row.
        self._new: dict[str, EntityRow] = {}
        self._new_search: list[dict[str, Any]] = []

    def live_by_key(self, entity_type: str, fqn_hash: str) -> Doc | None:
        """The stored, not deleted entity with this key (cached for the transaction)."""
        key = (entity_type, fqn_hash)
        if key not in self._live:
            row = repo.get_by_fqn_hash(self.conn, entity_type, fqn_hash)
            self._live[key] = row.doc if row is not None and not row.deleted else None
        return self._live[key]

    def live_by_id(self, entity_type: str, entity_id: str) -> Doc | None:
        if not is_uuid(entity_id):
            return None
        new = self._new.get(entity_id)
        if new is not None:
            return new.doc if new.entity_type == entity_type else None
        row = repo.get_by_id(self.conn, entity_id, entity_type=entity_type)
        return row.doc if row is not None and not row.deleted else None

    def remember(self, row: EntityRow) -> None:
        """What this transaction wrote, for later lookups by key in the same transaction."""
        self._live[(row.entity_type, row.fqn_hash)] = row.doc if not row.deleted else None

    def locked_row(self, entity_type: str, fqn_hash: str) -> EntityRow | None:
        key = (entity_type, fqn_hash)
        if key not in self._rows:
            self._rows[key] = repo.get_by_fqn_hash(self.conn, entity_type, fqn_hash, lock=True)
        return self._rows[key]

    def lock_rows(self, entity_type: str, hashes: Iterable[str]) -> None:
        """Read (and lock) the rows a bulk request will write, in one query."""
        wanted = [h for h in dict.fromkeys(hashes) if (entity_type, h) not in self._rows]
        found = {
            row.fqn_hash: row for row in repo.get_many_by_fqn_hash(self.conn, entity_type, wanted, lock=True)
        }
        for fqn_hash in wanted:
            self._rows[(entity_type, fqn_hash)] = found.get(fqn_hash)

    def written(self, row: EntityRow) -> None:
        if (row.entity_type, row.fqn_hash) in self._rows:
            self._rows[(row.entity_type, row.fqn_hash)] = row

    def add(self, row: EntityRow, search: dict[str, Any] | None) -> None:
        """A new entity (and its search document), inserted by the next :meth:`flush`."""
        self._new[row.id] = row
        self._rows[(row.entity_type, row.fqn_hash)] = row
        if search is not None:
            self._new_search.append(search)

    def is_new(self, entity_id: str) -> bool:
        return entity_id in self._new

    def flush(self) -> None:
        """Insert the entities added so far. A concurrent writer that inserted one of them first
        makes this raise :class:`ConcurrentWrite`."""
        if not self._new:
            return
        rows = list(self._new.values())
        try:
            repo.insert_many(self.conn, rows)
        except sa.exc.IntegrityError as exc:
            if unique_violation(exc):
                raise ConcurrentWrite from exc
            raise
        repo.add_versions(self.conn, rows)
        search_store.insert_many(self.conn, self._new_search)
        self._new, self._new_search = {}, []


def run(engine: Engine, work: Callable[[UnitOfWork], T]) -> T:
    """Run ``work`` in a write transaction and commit it; run it again after a transient
    failure (a few times, after a short random pause)."""
    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception(_retryable),
        stop=tenacity.stop_after_attempt(_MAX_ATTEMPTS),
        wait=tenacity.wait_incrementing(start=0.0125, increment=0.0125)
        + tenacity.wait_random(-0.0075, 0.0075),
        before_sleep=_log_retry,
        reraise=True,
    )
    result: T = retrying(_once, engine, work)
    return result


def _once(engine: Engine, work: Callable[[UnitOfWork], T]) -> T:
    with write_transaction(engine) as conn:
        unit = UnitOfWork(conn)
        result = work(unit)
        unit.flush()
        return result


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, ConcurrentWrite) or unique_violation(exc) or transient(exc) is not None


def _log_retry(state: tenacity.RetryCallState) -> None:
    outcome = state.outcome
    exc = outcome.exception() if outcome is not None else None
    log.debug("retrying a write after a concurrent change (attempt %d): %s", state.attempt_number, exc)


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
