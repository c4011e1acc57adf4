"""The unit of work against real databases: which failures count as transient (by their codes,
as each database raises them), how a write that waits too long ends (503 with Retry-After),
and what :meth:`UnitOfWork.claim` does with free, taken, declined and vanishing keys."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from tessera.catalog.kinds import DATABASE_SERVICE
from tessera.catalog.service import Actor, CatalogService
from tessera.errors import ServiceUnavailable
from tessera.storage import repository as repo
from tessera.storage import unit_of_work
from tessera.storage.db import create_engine
from tessera.storage.repository import EntityRow
from tessera.storage.schema import entity, entity_count, entity_version
from tessera.storage.transient import Transient, transient, unique_violation
from tessera.storage.unit_of_work import Key, UnitOfWork, WritePolicy

ACTOR = Actor("tester")
# Tests of what only happens between concurrent writers: SQLite has one writer at a time.
server_databases = pytest.mark.parametrize("database_url", ["postgresql", "mysql"], indirect=True)


@pytest.fixture
def engine(clean_database: str) -> Iterator[sa.Engine]:
    engine = create_engine(clean_database)
    yield engine
    engine.dispose()


def _probe(conn: sa.Connection, name: str) -> None:
    conn.execute(sa.insert(entity_count).values(entity_type=name, parent_id="", deleted=False, n=0))


def _lock_probe(conn: sa.Connection, name: str) -> None:
    if conn.dialect.name == "sqlite":
        return  # the writer holds the whole database (BEGIN IMMEDIATE)
    query = sa.select(entity_count.c.n).where(entity_count.c.entity_type == name).with_for_update()
    conn.execute(query).all()


def _wait_briefly_for_probe(engine: sa.Engine, name: str) -> BaseException:
    """What a second writer gets when its short wait for the probe's lock runs out."""
    if engine.dialect.name == "sqlite":
        quick = sa.create_engine(engine.url, connect_args={"timeout": 0.1})
        try:
            with quick.connect() as waiter:
                return _raised(lambda: waiter.exec_driver_sql("BEGIN IMMEDIATE"))
        finally:
            quick.dispose()
    with engine.connect() as waiter, waiter.begin():
        if engine.dialect.name == "postgresql":
            waiter.exec_driver_sql("SET LOCAL lock_timeout = '100ms'")
        else:
            waiter.exec_driver_sql("SET SESSION innodb_lock_wait_timeout = 1")
        return _raised(lambda: _lock_probe(waiter, name))


def _raised(action: Callable[[], Any]) -> BaseException:
    try:
        action()
    except sa.exc.DBAPIError as exc:
        return exc
    raise AssertionError("expected a database error")


def test_a_lock_wait_that_times_out_is_transient_busy(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        _probe(conn, "probe")
    with engine.connect().execution_options(tessera_write=True) as holder, holder.begin():
        _lock_probe(holder, "probe")
        error = _wait_briefly_for_probe(engine, "probe")
    assert transient(error) is Transient.BUSY


def test_a_duplicate_key_is_a_unique_violation_and_not_transient(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        _probe(conn, "twice")
    with engine.connect() as conn:
        error = _raised(lambda: _probe(conn, "twice"))
        conn.rollback()
    assert unique_violation(error)
    assert transient(error) is None
    with engine.connect() as conn:
        syntax = _raised(lambda: conn.exec_driver_sql("SELECT FROM WHERE"))
    assert transient(syntax) is None
    assert not unique_violation(syntax)


@server_databases
def test_a_deadlock_is_transient_conflict(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        _probe(conn, "first")
        _probe(conn, "second")
    errors: list[BaseException] = []
    both_hold = threading.Barrier(2)

    def cross(mine: str, theirs: str) -> None:
        with engine.connect() as conn, conn.begin():
            _lock_probe(conn, mine)
            both_hold.wait()
            try:
                _lock_probe(conn, theirs)
            except sa.exc.DBAPIError as exc:
                errors.append(exc)

    threads = [
        threading.Thread(target=cross, args=pair) for pair in (("first", "second"), ("second", "first"))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(errors) == 1
    assert transient(errors[0]) is Transient.CONFLICT


@server_databases
def test_a_write_kept_waiting_answers_503_with_retry_after(engine: sa.Engine) -> None:
    policy = WritePolicy(lock_wait_s=0.2, retry_within_s=0.5, retry_after_s=3)
    catalog = CatalogService(engine, write_policy=policy)
    service = catalog.create(DATABASE_SERVICE, {"name": "held", "serviceType": "Mysql"}, ACTOR)
    patch = [{"op": "add", "path": "/description", "value": "later"}]
    with engine.connect() as holder, holder.begin():
        holder.execute(sa.select(entity.c.id).where(entity.c.id == service["id"]).with_for_update()).all()
        with pytest.raises(ServiceUnavailable) as refused:
            catalog.patch(DATABASE_SERVICE, service["id"], patch, ACTOR)
    assert refused.value.headers == {"Retry-After": "3"}
    assert "Send it again in 3 s" in refused.value.message
    # Nothing of the refused write remains; once the lock is gone it goes through.
    assert catalog.get(DATABASE_SERVICE, service["id"])["version"] == 0.1
    assert catalog.patch(DATABASE_SERVICE, service["id"], patch, ACTOR)["version"] == 0.2


# -- claim ----------------------------------------------------------------------------------------


def _row(key: Key) -> EntityRow:
    entity_id = str(uuid.uuid4())
    doc = {"id": entity_id, "name": key.name, "fullyQualifiedName": key.fqn, "version": 0.1}
    return EntityRow(
        entity_id, key.entity_type, key.name, key.fqn, key.fqn_hash, None, False, 1, 1, None, doc
    )


def _key(name: str) -> Key:
    return Key("probeKind", f"{name:0>64}", name, name)


def _create(engine: sa.Engine, key: Key) -> EntityRow:
    return unit_of_work.run(engine, lambda unit: unit.claim([key], lambda k: (_row(k), None))[key.fqn_hash])  # type: ignore[return-value]


def _stored(engine: sa.Engine) -> dict[str, tuple[str, int]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(entity.c.name, entity.c.id, entity.c.version)).all()
        versions = {row.entity_id for row in conn.execute(sa.select(entity_version.c.entity_id))}
    # A new entity's first version is its own row: entity_version keeps superseded ones only.
    assert versions == set()
    return {row.name: (row.id, row.version) for row in rows}


def test_claim_creates_free_keys_locks_taken_ones_and_skips_declined_ones(engine: sa.Engine) -> None:
    taken = _create(engine, _key("a"))
    offered: list[str] = []

    def new_row(key: Key) -> tuple[EntityRow, None] | None:
        offered.append(key.name)
        return (_row(key), None) if key.name != "c" else None

    def work(unit: UnitOfWork) -> dict[str, EntityRow | None]:
        found = unit.claim([_key("b"), _key("a"), _key("c")], new_row)
        assert unit.created(found[_key("b").fqn_hash].id)  # type: ignore[union-attr]
        assert not unit.created(taken.id)
        return found

    found = unit_of_work.run(engine, work)
    assert offered == ["b", "c"]  # only free keys are offered, in key order
    assert found[_key("a").fqn_hash].id == taken.id  # type: ignore[union-attr]
    assert _key("c").fqn_hash not in found
    assert set(_stored(engine)) == {"a", "b"}
    with engine.connect() as conn:
        assert repo.count(conn, "probeKind", parent_ids=None, include="non-deleted") == 2


@server_databases
def test_a_key_deleted_while_it_is_claimed_is_held_for_the_claimant(engine: sa.Engine) -> None:
    gone = _create(engine, _key("a"))

    def new_row(key: Key) -> tuple[EntityRow, None] | None:
        # Another process deletes "a" for good after the claim saw it and before it takes it.
        with engine.begin() as other:
            repo.delete(other, [gone.id])
        return None

    def work(unit: UnitOfWork) -> str:
        found = unit.claim([_key("a"), _key("b")], new_row)
        assert found == {_key("a").fqn_hash: None}  # free, and held by this transaction
        again = _row(_key("a"))
        unit.create(again, None)
        return again.id

    recreated = unit_of_work.run(engine, work)
    assert _stored(engine) == {"a": (recreated, 1)}  # no placeholder left behind
