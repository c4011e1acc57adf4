"""Entity rows in and out of the database. No HTTP, no business rules: the catalog service
decides what to write; this module knows how, on every supported backend.
"""

from __future__ import annotations

import base64
import binascii
import collections
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.engine import Connection

from tessera.errors import BadRequest
from tessera.storage import relations
from tessera.storage import search as search_store
from tessera.storage.prepared import Prepared
from tessera.storage.schema import (
    entity,
    entity_count,
    entity_record,
    entity_version,
)
from tessera.storage.upserts import adding_upsert

Doc = dict[str, Any]


@dataclass
class EntityRow:
    id: str
    entity_type: str
    name: str
    fqn: str
    fqn_hash: str
    parent_id: str | None
    deleted: bool
    version: int
    updated_at: int
    source_hash: str | None
    doc: Doc
    alt_key: str | None = None
    subtype: str | None = None

    def values(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "entity_type": self.entity_type,
            "name": self.name,
            "fqn": self.fqn,
            "fqn_hash": self.fqn_hash,
            "parent_id": self.parent_id,
            "deleted": self.deleted,
            "version": self.version,
            "updated_at": self.updated_at,
            "source_hash": self.source_hash,
            "doc": orjson.dumps(self.doc).decode(),
            "alt_key": self.alt_key,
            "subtype": self.subtype,
        }


_COLUMNS = (
    entity.c.id,
    entity.c.entity_type,
    entity.c.name,
    entity.c.fqn,
    entity.c.fqn_hash,
    entity.c.parent_id,
    entity.c.deleted,
    entity.c.version,
    entity.c.updated_at,
    entity.c.source_hash,
    entity.c.doc,
    entity.c.alt_key,
    entity.c.subtype,
)


def _row(raw: Any) -> EntityRow:
    return EntityRow(
        id=raw.id,
        entity_type=raw.entity_type,
        name=raw.name,
        fqn=raw.fqn,
        fqn_hash=raw.fqn_hash,
        parent_id=raw.parent_id,
        deleted=bool(raw.deleted),
        version=raw.version,
        updated_at=raw.updated_at,
        source_hash=raw.source_hash,
        doc=orjson.loads(raw.doc),
        alt_key=raw.alt_key,
        subtype=raw.subtype,
    )


def _for_update(query: sa.Select[Any], conn: Connection) -> sa.Select[Any]:
    # SQLite has no row locks; its write transactions are already exclusive (BEGIN IMMEDIATE).
    return query if conn.dialect.name == "sqlite" else query.with_for_update()


# The lookups every request makes, built once with bound parameters. Building a SELECT and its
# cache key anew on each call cost several times what SQLite took to answer it.
_BY_ID = sa.select(*_COLUMNS).where(entity.c.id == sa.bindparam("entity_id"))
_BY_ID_OF_TYPE = _BY_ID.where(entity.c.entity_type == sa.bindparam("entity_type"))
_BY_FQN_HASH = sa.select(*_COLUMNS).where(
    entity.c.entity_type == sa.bindparam("entity_type"), entity.c.fqn_hash == sa.bindparam("fqn_hash")
)
_LOCKED = {query: query.with_for_update() for query in (_BY_ID, _BY_ID_OF_TYPE, _BY_FQN_HASH)}
_PREPARED = {query: Prepared(query) for query in (*_LOCKED, *_LOCKED.values())}


def _lookup(conn: Connection, query: sa.Select[Any], params: dict[str, str], lock: bool) -> EntityRow | None:
    # SQLite has no row locks; its write transactions are already exclusive (BEGIN IMMEDIATE).
    if lock and conn.dialect.name != "sqlite":
        query = _LOCKED[query]
    raw = _PREPARED[query].execute(conn, params).first()
    return _row(raw) if raw is not None else None


def get_by_id(
    conn: Connection, entity_id: str, *, entity_type: str | None = None, lock: bool = False
) -> EntityRow | None:
    if entity_type is None:
        return _lookup(conn, _BY_ID, {"entity_id": entity_id}, lock)
    return _lookup(conn, _BY_ID_OF_TYPE, {"entity_id": entity_id, "entity_type": entity_type}, lock)


def get_by_fqn_hash(
    conn: Connection, entity_type: str, fqn_hash: str, *, lock: bool = False
) -> EntityRow | None:
    return _lookup(conn, _BY_FQN_HASH, {"entity_type": entity_type, "fqn_hash": fqn_hash}, lock)


def get_by_alt_key(conn: Connection, entity_type: str, alt_key: str) -> list[EntityRow]:
    query = sa.select(*_COLUMNS).where(entity.c.entity_type == entity_type, entity.c.alt_key == alt_key)
    return [_row(raw) for raw in conn.execute(query)]


def get_many_by_fqn_hash(
    conn: Connection, entity_type: str, hashes: Sequence[str], *, lock: bool = False
) -> list[EntityRow]:
    """The rows with these keys. With ``lock``, each is locked in key order (see
    :mod:`tessera.storage.unit_of_work` for why the order matters)."""
    out: list[EntityRow] = []
    for chunk in _chunks(sorted(set(hashes)), 500):
        query = sa.select(*_COLUMNS).where(entity.c.entity_type == entity_type, entity.c.fqn_hash.in_(chunk))
        if lock:
            # PostgreSQL locks the rows as the sort returns them; MySQL as it reads them, which
            # for an IN list on the unique (entity_type, fqn_hash) index is the same order.
            query = _for_update(query.order_by(entity.c.fqn_hash), conn)
        out.extend(_row(raw) for raw in conn.execute(query))
    return out


_KEYS = sa.select(entity.c.fqn_hash, entity.c.id).where(
    entity.c.entity_type == sa.bindparam("entity_type"),
    entity.c.fqn_hash.in_(sa.bindparam("hashes", expanding=True)),
)


def ids_by_fqn_hash(conn: Connection, entity_type: str, hashes: Sequence[str]) -> dict[str, str]:
    """The ids of the rows with these keys, by key; a plain read, locking nothing."""
    found: dict[str, str] = {}
    for chunk in _chunks(sorted(set(hashes)), 500):
        rows = conn.execute(_KEYS, {"entity_type": entity_type, "hashes": list(chunk)})
        found.update((row.fqn_hash, row.id) for row in rows)
    return found


@functools.cache
def _docs_of(count: int) -> Prepared:
    """The documents of ``count`` ids (at most 500: one statement per number of ids)."""
    ids: list[sa.BindParameter[str]] = [sa.bindparam(f"id{i}") for i in range(count)]
    return Prepared(sa.select(entity.c.id, entity.c.doc).where(entity.c.id.in_(ids)))


def docs_by_id(conn: Connection, entity_ids: Sequence[str]) -> dict[str, Doc]:
    """The documents of these entities, by id (deleted ones included): one prepared statement
    per 500 ids, so that a small read does not pay for building a SELECT."""
    found: dict[str, Doc] = {}
    for chunk in _chunks(list(entity_ids), 500):
        rows = _docs_of(len(chunk)).execute(conn, {f"id{i}": entity_id for i, entity_id in enumerate(chunk)})
        found.update((row.id, orjson.loads(row.doc)) for row in rows)
    return found


def child_hashes(conn: Connection, entity_type: str, parent_ids: Sequence[str]) -> list[str]:
    """The keys of the children of one type of these parents; a plain read, locking nothing."""
    out: list[str] = []
    for chunk in _chunks(parent_ids, 500):
        query = sa.select(entity.c.fqn_hash).where(
            entity.c.entity_type == entity_type, entity.c.parent_id.in_(chunk)
        )
        out.extend(conn.execute(query).scalars())
    return out


def claim(conn: Connection, rows: Sequence[EntityRow]) -> None:
    """Insert each row whose key (entity_type, fqn_hash) is free, and lock the existing row of
    each key that is taken, one row after the other in the order given, in one statement.

    Which happened to which key is for the caller to read back (by id). A key another
    transaction is inserting waits for it to end: then it is free (rolled back) or taken.
    """
    if rows:
        conn.execute(_claim_statement(conn.dialect.name), [row.values() for row in rows])


@functools.cache
def _claim_statement(dialect: str) -> sa.Executable:
    key = [entity.c.entity_type, entity.c.fqn_hash]
    if dialect in ("mysql", "mariadb"):
        # A no-op update of a duplicate takes the same exclusive lock an update would.
        return mysql.insert(entity).on_duplicate_key_update(id=entity.c.id)
    if dialect == "postgresql":
        # DO UPDATE ... WHERE false locks the conflicting row without changing it (DO NOTHING
        # would not lock it).
        return postgresql.insert(entity).on_conflict_do_update(
            index_elements=key, set_={"version": entity.c.version}, where=sa.false()
        )
    # SQLite: the writer holds the database (BEGIN IMMEDIATE); there is nothing to lock.
    return sqlite.insert(entity).on_conflict_do_nothing(index_elements=key)


# Writes pass their values as parameters of one constant statement rather than building a
# statement around them (`.values(...)`): SQLAlchemy then compiles each statement once and
# reuses it, where a new statement per row cost more than the database's work for it.
_INSERT_ENTITY = sa.insert(entity)
_UPDATE_ENTITY = sa.update(entity).where(entity.c.id == sa.bindparam("row_id"))


def insert_many(conn: Connection, rows: Sequence[EntityRow]) -> None:
    """New rows in one executemany; the caller counts them and adds their versions."""
    if rows:
        conn.execute(_INSERT_ENTITY, [row.values() for row in rows])


def update(conn: Connection, row: EntityRow) -> None:
    """Write ``row`` over the stored one; the caller counts a change of its deleted flag."""
    values = row.values()
    values["row_id"] = values.pop("id")
    conn.execute(_UPDATE_ENTITY, values)


def delete(conn: Connection, ids: Sequence[str]) -> dict[CountKey, int]:
    """Delete these entities and all that hangs off them; returns the counters to change."""
    counts: collections.Counter[CountKey] = collections.Counter()
    for chunk in _chunks(ids, 500):
        key = (entity.c.entity_type, sa.func.coalesce(entity.c.parent_id, ""), entity.c.deleted)
        gone = conn.execute(sa.select(*key, sa.func.count()).where(entity.c.id.in_(chunk)).group_by(*key))
        for entity_type, parent, deleted, n in gone:
            counts[(entity_type, parent, bool(deleted))] -= n
        conn.execute(sa.delete(entity_version).where(entity_version.c.entity_id.in_(chunk)))
        conn.execute(sa.delete(entity_record).where(entity_record.c.entity_id.in_(chunk)))
        search_store.delete(conn, chunk)
        relations.forget(conn, chunk)
        conn.execute(sa.delete(entity).where(entity.c.id.in_(chunk)))
    return counts


def delete_rows(conn: Connection, ids: Sequence[str]) -> None:
    """Delete entity rows that nothing hangs off and no counter counts (a claim's placeholders)."""
    for chunk in _chunks(ids, 500):
        conn.execute(sa.delete(entity).where(entity.c.id.in_(chunk)))


# -- entity counts (paging totals) --------------------------------------------------------------

CountKey = tuple[str, str, bool]


def count_key(row: EntityRow, deleted: bool) -> CountKey:
    return (row.entity_type, row.parent_id or "", deleted)


def apply_counts(conn: Connection, deltas: Mapping[CountKey, int]) -> None:
    """Add ``deltas`` to entity_count, in key order (see :mod:`tessera.storage.unit_of_work`)."""
    params = [
        {"entity_type": kind, "parent_id": parent, "deleted": deleted, "n": n}
        for (kind, parent, deleted), n in sorted(deltas.items())
        if n
    ]
    if params:
        conn.execute(adding_upsert(entity_count, conn.dialect.name), params)


_COUNT = sa.select(sa.func.coalesce(sa.func.sum(entity_count.c.n), 0)).where(
    entity_count.c.entity_type == sa.bindparam("entity_type"),
    entity_count.c.deleted.in_(sa.bindparam("states", expanding=True)),
)
_COUNT_UNDER = _COUNT.where(entity_count.c.parent_id.in_(sa.bindparam("parents", expanding=True)))


def count(conn: Connection, entity_type: str, *, parent_ids: Sequence[str] | None, include: str) -> int:
    """Entities of a type (under the given parents), from entity_count instead of the rows."""
    params: dict[str, Any] = {
        "entity_type": entity_type,
        "states": {"non-deleted": [False], "deleted": [True]}.get(include, [False, True]),
    }
    if parent_ids is None:
        return int(conn.execute(_COUNT, params).scalar_one())
    return sum(
        int(conn.execute(_COUNT_UNDER, {**params, "parents": list(chunk)}).scalar_one())
        for chunk in _chunks(parent_ids, 500)
    )


def keep_superseded(conn: Connection, entity_id: str) -> None:
    """Copy the stored row of an entity that a write is about to replace into entity_version,
    as it is in the database (not as a document in memory that the write may share parts
    with). Catalogs from before superseded-only versions already hold it: then nothing."""
    conn.execute(_keep_superseded(conn.dialect.name), {"entity_id": entity_id})


@functools.cache
def _keep_superseded(dialect: str) -> sa.Executable:
    columns = ["entity_id", "version", "entity_type", "updated_at", "doc"]
    stored = sa.select(entity.c.id, entity.c.version, entity.c.entity_type, entity.c.updated_at, entity.c.doc)
    stored = stored.where(entity.c.id == sa.bindparam("entity_id"))
    if dialect in ("mysql", "mariadb"):
        statement = mysql.insert(entity_version).from_select(columns, stored)
        # A no-op update of the key rather than INSERT IGNORE, which would also turn errors
        # into warnings.
        return statement.on_duplicate_key_update(entity_id=entity_version.c.entity_id)
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(entity_version).from_select(columns, stored).on_conflict_do_nothing()


def versions(conn: Connection, current: EntityRow) -> list[Doc]:
    """Every version of an entity, newest first: its current document is its own row's, and
    entity_version holds the ones it superseded (catalogs written before that was so also
    hold the current one there; it is read from the entity all the same)."""
    query = (
        sa.select(entity_version.c.doc)
        .where(entity_version.c.entity_id == current.id, entity_version.c.version < current.version)
        .order_by(entity_version.c.version.desc())
    )
    return [current.doc, *(orjson.loads(raw.doc) for raw in conn.execute(query))]


def version(conn: Connection, current: EntityRow, tenths: int) -> Doc | None:
    if tenths == current.version:
        return current.doc
    if tenths > current.version:
        return None
    query = sa.select(entity_version.c.doc).where(
        entity_version.c.entity_id == current.id, entity_version.c.version == tenths
    )
    raw = conn.execute(query).first()
    return orjson.loads(raw.doc) if raw is not None else None


def child_ids(conn: Connection, entity_type: str, parent_ids: Sequence[str]) -> list[str]:
    out: list[str] = []
    for chunk in _chunks(parent_ids, 500):
        query = sa.select(entity.c.id).where(
            entity.c.entity_type == entity_type, entity.c.parent_id.in_(chunk)
        )
        out.extend(conn.execute(query).scalars())
    return out


# -- listing with cursors ---------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    rows: list[EntityRow]
    total: int
    before: str | None
    after: str | None


def encode_cursor(row: EntityRow) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([row.name, row.id])).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        name, entity_id = orjson.loads(base64.urlsafe_b64decode(padded))
    except (binascii.Error, ValueError, TypeError, orjson.JSONDecodeError):
        raise BadRequest(
            f"Invalid paging cursor {cursor!r}; use the after/before value of a previous page"
        ) from None
    if not isinstance(name, str) or not isinstance(entity_id, str):
        raise BadRequest(f"Invalid paging cursor {cursor!r}; use the after/before value of a previous page")
    return name, entity_id


def list_page(
    conn: Connection,
    entity_type: str,
    *,
    parent_ids: Sequence[str] | None,
    include: str,
    limit: int,
    after: str | None,
    before: str | None,
    subtype: str | None = None,
) -> Page:
    filters: list[sa.ColumnElement[bool]] = [entity.c.entity_type == entity_type]
    if subtype is not None:
        filters.append(entity.c.subtype == subtype)
    if parent_ids is not None and not parent_ids:
        return Page(rows=[], total=0, before=None, after=None)
    if include == "non-deleted":
        filters.append(entity.c.deleted == sa.false())
    elif include == "deleted":
        filters.append(entity.c.deleted == sa.true())
    if subtype is not None:
        # The counts are kept per type, parent and deleted only: a subtype's rows must be counted.
        where = [*filters, entity.c.parent_id.in_(parent_ids)] if parent_ids is not None else filters
        total = conn.execute(sa.select(sa.func.count()).select_from(entity).where(*where)).scalar_one()
    else:
        total = count(conn, entity_type, parent_ids=parent_ids, include=include)
    if before is not None:
        name, entity_id = decode_cursor(before)
        filters.append(_beyond(conn, name, entity_id, ascending=False))
        raws = _first_rows(conn, filters, parent_ids, limit + 1, descending=True, both_flags=include == "all")
        rows = [_row(raw) for raw in raws[:limit]][::-1]
        has_previous = len(raws) > limit
        return Page(
            rows=rows,
            total=total,
            before=encode_cursor(rows[0]) if rows and has_previous else None,
            after=encode_cursor(rows[-1]) if rows else None,
        )
    if after is not None:
        name, entity_id = decode_cursor(after)
        filters.append(_beyond(conn, name, entity_id, ascending=True))
    raws = _first_rows(conn, filters, parent_ids, limit + 1, descending=False, both_flags=include == "all")
    rows = [_row(raw) for raw in raws[:limit]]
    has_more = len(raws) > limit
    return Page(
        rows=rows,
        total=total,
        before=encode_cursor(rows[0]) if rows and after is not None else None,
        after=encode_cursor(rows[-1]) if rows and has_more else None,
    )


# Up to this many parents, a page under several parents is merged from each parent's first rows.
_MERGED_PARENTS = 200


def _first_rows(
    conn: Connection,
    filters: list[sa.ColumnElement[bool]],
    parent_ids: Sequence[str] | None,
    limit: int,
    *,
    descending: bool,
    both_flags: bool = False,
) -> Sequence[Any]:
    """The first ``limit`` rows in (name, id) order (or its reverse) under the parents.

    Each (parent, deleted flag) has its own run of the (type, [parent,] deleted, name, id)
    indexes; the first rows of each are read and merged. A database's or a service's tables cost
    what one schema's do, wherever their names sort (with ``parent_id IN (...)`` the database
    walked the whole type's name index when the parents' entities sorted last), and
    ``include=all`` (``both_flags``) needs no index of its own: migration 0020 dropped the two
    there were, written with every entity.
    """

    def ordered(query: sa.Select[Any], columns: Any) -> sa.Select[Any]:
        if descending:
            return query.order_by(columns.name.desc(), columns.id.desc()).limit(limit)
        return query.order_by(columns.name, columns.id).limit(limit)

    if parent_ids is None:
        parents: list[sa.ColumnElement[bool] | None] = [None]
    elif len(parent_ids) == 1 or len(parent_ids) > _MERGED_PARENTS:
        parents = [
            entity.c.parent_id == parent_ids[0]
            if len(parent_ids) == 1
            else entity.c.parent_id.in_(parent_ids)
        ]
    else:
        parents = [entity.c.parent_id == parent for parent in parent_ids]
    flags: list[sa.ColumnElement[bool] | None] = (
        [entity.c.deleted == sa.false(), entity.c.deleted == sa.true()] if both_flags else [None]
    )
    arms = [
        sa.select(*_COLUMNS).where(*filters, *(c for c in (parent, flag) if c is not None))
        for parent in parents
        for flag in flags
    ]
    if len(arms) == 1:
        return conn.execute(ordered(arms[0], entity.c)).all()
    parts = [ordered(arm, entity.c).subquery().select() for arm in arms]
    merged = sa.union_all(*parts).subquery()
    return conn.execute(ordered(sa.select(merged), merged.c)).all()


def _either_flag() -> sa.ColumnElement[bool]:
    """Deleted or not, written so that an index on (type, [parent,] deleted, ...) serves the
    columns after the flag: one seek per flag, not a walk of the whole type."""
    return entity.c.deleted.in_([False, True])


def _beyond(conn: Connection, name: str, entity_id: str, *, ascending: bool) -> sa.ColumnElement[bool]:
    """Rows strictly after (or before) the cursor in (name, id) order.

    Written so that the index on (..., name, id) seeks straight to the cursor: page 1,000 must
    cost what page 1 does. SQLite planned ``name > :n OR (name = :n AND id > :id)`` with bound
    parameters as a scan from the first row.
    """
    if conn.dialect.name in ("postgresql", "sqlite"):
        # Both turn a row-value comparison into one index range scan.
        left, right = (
            sa.tuple_(entity.c.name, entity.c.id),
            sa.tuple_(sa.literal(name), sa.literal(entity_id)),
        )
        return left > right if ascending else left < right
    # MySQL/MariaDB make a range scan of this form (and not of the row-value one).
    if ascending:
        return sa.or_(entity.c.name > name, sa.and_(entity.c.name == name, entity.c.id > entity_id))
    return sa.or_(entity.c.name < name, sa.and_(entity.c.name == name, entity.c.id < entity_id))


def ids_of_type(
    conn: Connection, entity_type: str, parent_ids: Sequence[str], *, deleted: bool | None
) -> list[EntityRow]:
    """Rows of a type under the given parents (used by deleteStale and recursive operations)."""
    out: list[EntityRow] = []
    for chunk in _chunks(parent_ids, 500):
        query = sa.select(*_COLUMNS).where(entity.c.entity_type == entity_type, entity.c.parent_id.in_(chunk))
        if deleted is not None:
            query = query.where(entity.c.deleted == (sa.true() if deleted else sa.false()))
        out.extend(_row(raw) for raw in conn.execute(query))
    return out


def _chunks(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def find_by_name(
    conn: Connection, entity_type: str, name: str, *, deleted: bool | None = False
) -> list[EntityRow]:
    query = sa.select(*_COLUMNS).where(entity.c.entity_type == entity_type, entity.c.name == name)
    if deleted is not None:
        query = query.where(entity.c.deleted == (sa.true() if deleted else sa.false()))
    else:
        query = query.where(_either_flag())
    return [_row(raw) for raw in conn.execute(query.limit(1000))]


def find_by_fqn_pattern(
    conn: Connection, entity_type: str, pattern: str, *, deleted: bool | None, limit: int
) -> list[EntityRow]:
    """Entities whose FQN matches ``pattern``, where ``*`` stands for any run of characters."""
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").replace("*", "%")
    query = sa.select(*_COLUMNS).where(
        entity.c.entity_type == entity_type, entity.c.fqn.like(escaped, escape="\\")
    )
    if deleted is not None:
        query = query.where(entity.c.deleted == (sa.true() if deleted else sa.false()))
    return [_row(raw) for raw in conn.execute(query.order_by(entity.c.name, entity.c.id).limit(limit))]


def referencing(
    conn: Connection, entity_type: str, target_id: str, *, limit: int = 10_000
) -> list[EntityRow]:
    """Live entities of a type whose document mentions ``target_id`` (reverse references:
    a team's users, a role's users). Ids are UUIDs, so a mention is a reference."""
    query = sa.select(*_COLUMNS).where(
        entity.c.entity_type == entity_type,
        entity.c.deleted == sa.false(),
        entity.c.doc.contains(f'"id":"{target_id}"'),
    )
    return [_row(raw) for raw in conn.execute(query.order_by(entity.c.name, entity.c.id).limit(limit))]
