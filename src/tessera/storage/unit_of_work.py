"""The unit of work: one write transaction over entity rows, the order in which it locks them,
and the policy for running it again.

Lock order
----------
Several tessera processes write to one database at once (ingestion pipelines in parallel, people
editing). Two transactions that each hold a row the other wants are a deadlock; the database
then kills one of them after a second or more. To make that impossible by construction, every
write takes the rows it will change in one global order, and nothing else:

- an entity is taken by its key (``entity_type``, ``fqn_hash``), in key order, whether it exists
  (its row is locked) or not (its row is inserted: :meth:`UnitOfWork.claim` does both in one
  statement, so a new key is taken at its place in the order, like an existing one);
- a write that spans levels of the hierarchy (deleting a schema and its tables) takes one level
  at a time from the top, each level in key order;
- a write of one entity by id (PATCH, restore, the root of a delete) takes that row first;
- the paging counters (``entity_count``), then the search counters (``search_term_count``), are
  changed last, in key order, just before commit.

Two writers may then wait for each other's rows, but never in a cycle. The reads that find
which rows to take lock nothing (they may be stale; what counts is what is read once locked).
On MySQL/MariaDB a locking read or an insert also locks index gaps next to its keys; the keys
are still taken in order, so the gaps are too.

Retries
-------
:func:`run` retries only what the database reports as transient (:mod:`tessera.storage.transient`):
a conflict or deadlock it resolved by rolling this transaction back, a lock wait that timed out,
a connection lost before the commit. It waits with jittered exponential backoff, for at most
:attr:`WritePolicy.retry_within_s` seconds in all; then the write answers 503 with
``Retry-After``. No
error leaves here as anything but a :class:`~tessera.errors.TesseraError` or a bug.
"""

from __future__ import annotations

import logging
import math
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
import tenacity
from sqlalchemy.engine import Connection, Engine

from tessera.errors import ServiceUnavailable
from tessera.storage import repository as repo
from tessera.storage import search as search_store
from tessera.storage.db import backend_of
from tessera.storage.repository import CountKey, Doc, EntityRow
from tessera.storage.transient import Transient, transient

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class WritePolicy:
    """How long a write may wait and retry before it answers 503."""

    # How long one statement may wait for a row lock (PostgreSQL, MySQL; SQLite waits for the
    # database up to its busy_timeout). Writes hold their locks for a fraction of a second, so
    # a longer wait means a queue of writers on the same rows: better to answer 503 and let the
    # client come back than to hold its connection (and ours) for a minute.
    lock_wait_s: float = 10.0
    # How long a write keeps retrying transient failures, in all.
    retry_within_s: float = 20.0
    # What the 503 tells the client to wait (Retry-After, whole seconds).
    retry_after_s: int = 2


@dataclass(frozen=True)
class Key:
    """An entity's key: what :meth:`UnitOfWork.claim` takes."""

    entity_type: str
    fqn_hash: str
    name: str
    fqn: str


# The entity types that an entity of a type may contain.
ChildTypes = Callable[[str], Sequence[str]]
# Given a key that no entity has, the row to create there and its search document; None when
# the caller will not create it (the request may not, or is invalid).
NewRow = Callable[[Key], tuple[EntityRow, dict[str, Any] | None] | None]


class UnitOfWork:
    """One open write transaction: the rows it took, what it created, and the counter changes
    it will make at the end."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        # SQLite's writer holds the whole database (BEGIN IMMEDIATE): no row can change under it.
        self._exclusive = conn.dialect.name == "sqlite"
        # Live documents looked up by (entity_type, fqn_hash), to resolve references.
        self._live: dict[tuple[str, str], Doc | None] = {}
        self._created: set[str] = set()
        # Rows inserted only to hold a key that turned out to be free; deleted before commit.
        self._placeholders: dict[tuple[str, str], str] = {}
        self._counts: Counter[CountKey] = Counter()

    # -- reads (lock nothing) ------------------------------------------------------------------

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
        row = repo.get_by_id(self.conn, entity_id, entity_type=entity_type)
        return row.doc if row is not None and not row.deleted else None

    def remember(self, row: EntityRow) -> None:
        """What this transaction wrote, for later lookups by key in the same transaction."""
        self._live[(row.entity_type, row.fqn_hash)] = row.doc if not row.deleted else None

    # -- taking rows -----------------------------------------------------------------------------

    def claim(self, keys: Iterable[Key], new_row: NewRow) -> dict[str, EntityRow | None]:
        """Take these keys (of one entity type), in key order, in one statement: lock the
        entity that has a key, or create one where ``new_row`` gives it (a key it declines is
        not taken). Returns, by fqn_hash, the entity now at each key (None: no entity, and the
        key is held until commit; see :meth:`create`). :meth:`created` says which are new."""
        wanted = {key.fqn_hash: key for key in keys}
        if not wanted:
            return {}
        (entity_type,) = {key.entity_type for key in wanted.values()}
        existing = repo.ids_by_fqn_hash(self.conn, entity_type, list(wanted))
        offered: dict[str, tuple[EntityRow, dict[str, Any] | None]] = {}
        rows: list[EntityRow] = []
        for fqn_hash in sorted(wanted):
            key = wanted[fqn_hash]
            offer = None if fqn_hash in existing else new_row(key)
            if offer is not None:
                offered[fqn_hash] = offer
            elif fqn_hash in existing and not self._exclusive:
                # An existing entity is taken with a placeholder that is inserted only if that
                # entity is deleted in the meantime: the key is still held in order.
                offered[fqn_hash] = (_placeholder(key), None)
            else:
                continue
            rows.append(offered[fqn_hash][0])
        repo.claim(self.conn, rows)
        if self._exclusive:
            # Nobody else writes while this transaction does: what the first read saw still holds.
            now = {**existing, **{h: row.id for h, (row, _search) in offered.items()}}
        else:
            # Whose row is at each key now: ours (created, or a placeholder) or one it locked.
            now = repo.ids_by_fqn_hash(self.conn, entity_type, list(offered))
        result: dict[str, EntityRow | None] = {}
        made: list[tuple[EntityRow, dict[str, Any] | None]] = []
        taken: list[str] = []
        for fqn_hash in sorted(wanted):
            if fqn_hash not in offered:
                if fqn_hash in existing:
                    taken.append(fqn_hash)
                continue
            row, search = offered[fqn_hash]
            if now.get(fqn_hash) != row.id:
                taken.append(fqn_hash)
            elif row.version == 0:
                self._placeholders[(entity_type, fqn_hash)] = row.id
                result[fqn_hash] = None
            else:
                made.append((row, search))
                result[fqn_hash] = row
        for row in repo.get_many_by_fqn_hash(self.conn, entity_type, taken):
            result[row.fqn_hash] = row
        self._stored(made)
        return result

    def create(self, row: EntityRow, search: dict[str, Any] | None) -> None:
        """Create an entity at a key :meth:`claim` holds for this transaction (it found none)."""
        placeholder = self._placeholders.pop((row.entity_type, row.fqn_hash), None)
        if placeholder is not None:
            repo.delete_rows(self.conn, [placeholder])
        repo.insert_many(self.conn, [row])
        self._stored([(row, search)])

    def created(self, entity_id: str) -> bool:
        return entity_id in self._created

    def lock_id(self, entity_type: str, entity_id: str) -> EntityRow | None:
        """Lock one entity by id (the first row a write takes, or its only one)."""
        if not is_uuid(entity_id):
            return None
        return repo.get_by_id(self.conn, entity_id, entity_type=entity_type, lock=True)

    def lock_keys(self, entity_type: str, hashes: Iterable[str]) -> list[EntityRow]:
        """Lock the existing entities with these keys, in key order."""
        return repo.get_many_by_fqn_hash(self.conn, entity_type, list(hashes), lock=True)

    def lock_children(self, parents: Sequence[EntityRow], child_types: ChildTypes) -> list[EntityRow]:
        """Lock the children of ``parents`` (one level down), by type and in key order."""
        parent_ids: dict[str, list[str]] = defaultdict(list)
        for row in parents:
            for child_type in child_types(row.entity_type):
                parent_ids[child_type].append(row.id)
        locked: list[EntityRow] = []
        for child_type in sorted(parent_ids):
            ids = parent_ids[child_type]
            hashes = repo.child_hashes(self.conn, child_type, ids)
            # Checked again once locked: a child may have gone since the plain read.
            under = set(ids)
            locked += [row for row in self.lock_keys(child_type, hashes) if row.parent_id in under]
        return locked

    def lock_descendants(self, roots: Sequence[EntityRow], child_types: ChildTypes) -> list[EntityRow]:
        """Lock everything below ``roots``, level by level from the top."""
        found: list[EntityRow] = []
        level = list(roots)
        while level:
            level = self.lock_children(level, child_types)
            found += level
        return found

    # -- writes ----------------------------------------------------------------------------------

    def update(self, row: EntityRow, *, was_deleted: bool) -> None:
        """Write ``row`` over the stored (locked) one, which was deleted or not."""
        repo.update(self.conn, row)
        if row.deleted != was_deleted:
            self._counts[repo.count_key(row, was_deleted)] -= 1
            self._counts[repo.count_key(row, row.deleted)] += 1

    def supersede(self, row: EntityRow) -> None:
        """Keep the stored ``row`` among the versions: a write is replacing it. (The current
        version is the entity's own row: a new entity writes no version.)"""
        repo.keep_superseded(self.conn, row.id)

    def delete(self, ids: Sequence[str]) -> None:
        """Delete these (locked) entities for good, with their versions and records."""
        self._counts.update(repo.delete(self.conn, ids))

    def finish(self) -> None:
        """The last statements before commit: drop unused placeholders, change the counters."""
        if self._placeholders:
            repo.delete_rows(self.conn, list(self._placeholders.values()))
            self._placeholders = {}
        repo.apply_counts(self.conn, self._counts)
        self._counts = Counter()
        # After entity_count, in every transaction: the two tables are taken in one order too.
        search_store.apply_counts(self.conn)

    def _stored(self, made: Sequence[tuple[EntityRow, dict[str, Any] | None]]) -> None:
        if not made:
            return
        rows = [row for row, _search in made]
        search_store.insert_many(self.conn, [search for _row, search in made if search is not None])
        for row in rows:
            self._created.add(row.id)
            self._counts[repo.count_key(row, row.deleted)] += 1
            self.remember(row)


def _placeholder(key: Key) -> EntityRow:
    # Version 0 marks it (entities start at 1); it never outlives the transaction.
    return EntityRow(
        id=str(uuid.uuid4()),
        entity_type=key.entity_type,
        name=key.name,
        fqn=key.fqn,
        fqn_hash=key.fqn_hash,
        parent_id=None,
        deleted=True,
        version=0,
        updated_at=0,
        source_hash=None,
        doc={},
    )


# -- running a unit of work ------------------------------------------------------------------------


class _CommitUnknown(Exception):
    """The connection was lost while committing: the write may or may not have been applied."""


def run(engine: Engine, work: Callable[[UnitOfWork], T], policy: WritePolicy = WritePolicy()) -> T:
    """Run ``work`` in a write transaction and commit it; run it again after a transient
    failure, for at most ``policy.retry_within_s`` seconds, then answer 503 with Retry-After."""
    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception(lambda exc: transient(exc) is not None),
        stop=tenacity.stop_before_delay(policy.retry_within_s),
        wait=tenacity.wait_random_exponential(multiplier=0.05, max=2.0),
        before_sleep=_log_retry,
        reraise=True,
    )
    retry_after = {"Retry-After": str(policy.retry_after_s)}
    try:
        result: T = retrying(_once, engine, work, policy)
    except _CommitUnknown as exc:
        raise ServiceUnavailable(
            "The database connection was lost while this write was being committed, so it may or may "
            "not have been applied; read the entity before sending it again",
            headers=retry_after,
        ) from exc.__cause__
    except sa.exc.DBAPIError as exc:
        kind = transient(exc)
        if kind is None:
            raise
        raise ServiceUnavailable(
            f"The catalog database is {_BUSY_REASONS[kind]}; the write was not applied. "
            f"Send it again in {policy.retry_after_s} s",
            headers=retry_after,
        ) from exc
    return result


_BUSY_REASONS = {
    Transient.CONFLICT: "resolving conflicts between concurrent writes to the same entities",
    Transient.BUSY: "busy with other writes to the same entities",
    Transient.DISCONNECTED: "unreachable (the connection was lost)",
}


def _once(engine: Engine, work: Callable[[UnitOfWork], T], policy: WritePolicy) -> T:
    with engine.connect().execution_options(tessera_write=True) as conn:
        committing = False
        try:
            with conn.begin():
                _bound_lock_waits(conn, policy.lock_wait_s)
                unit = UnitOfWork(conn)
                result = work(unit)
                unit.finish()
                committing = True
        except sa.exc.DBAPIError as exc:
            if committing and transient(exc) is Transient.DISCONNECTED:
                raise _CommitUnknown from exc
            raise
        return result


def _bound_lock_waits(conn: Connection, seconds: float) -> None:
    backend = backend_of(conn.engine)
    if backend == "postgresql":
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{round(seconds * 1000)}ms'")
    elif backend == "mysql":
        # Per session where PostgreSQL's is per transaction (every write sets it), whole seconds.
        conn.exec_driver_sql(f"SET SESSION innodb_lock_wait_timeout = {max(1, math.ceil(seconds))}")


def _log_retry(state: tenacity.RetryCallState) -> None:
    outcome = state.outcome
    exc = outcome.exception() if outcome is not None else None
    kind = transient(exc) if exc is not None else None
    log.info(
        "write retried: attempt %d failed (%s: %s)",
        state.attempt_number,
        kind,
        getattr(exc, "orig", exc),
    )


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
