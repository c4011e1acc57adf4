"""Full-text search with the database's own engine: SQLite FTS5, PostgreSQL tsvector,
MySQL/MariaDB FULLTEXT. No search server to run.

Each entity has one row in ``search_document`` whose ``body`` holds its searchable words;
identifiers are indexed whole and split at ``_``, ``.`` and case changes so that
``customer_id`` is found by "customer". Its field values (owners, tags, service, columns...)
are rows of ``search_term``, so that filters and facets are index lookups, except those it takes
from its parent (:mod:`tessera.storage.search_inherited`). Queries are answered by
:mod:`tessera.storage.search_engine`.
"""

from __future__ import annotations

import collections
import functools
import re
import weakref
from collections.abc import Iterable, Sequence
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tessera.storage.prepared import PreparedInsert
from tessera.storage.schema import entity, search_document, search_term, search_term_count
from tessera.storage.search_inherited import INHERITED_FIELDS
from tessera.storage.search_keys import KEY_FIELDS, keys_of
from tessera.storage.search_query import DOCUMENTS, REVERSED, REVERSED_FIELDS, UNCOUNTED_FIELDS, field_kind
from tessera.storage.upserts import adding_upsert

WORD = re.compile(r"[0-9A-Za-z\u00C0-\uFFFF]+")

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_KEY_LENGTH = 512


def searchable_words(*texts: str | None) -> str:
    words: list[str] = []
    for text in texts:
        if text:
            for token in text.split():
                words.extend(_token_words(token))
    # Order keeps the original text first; duplicates add nothing to matching.
    return " ".join(dict.fromkeys(words))


@functools.lru_cache(maxsize=65_536)
def _token_words(token: str) -> tuple[str, ...]:
    # Catalogs repeat their words (column names, types, descriptions' words): splitting each
    # distinct token once was most of the cost of indexing a table. A token with no capitals
    # has no case changes to split at (the usual snake_case name): one regular expression less.
    spaced = token if token.lower() == token else _CAMEL.sub(" ", token)
    return (token, *WORD.findall(spaced))


def sort_key(text: str) -> str:
    """A value as the sort columns keep it (cut to what MySQL can index)."""
    return text[:_KEY_LENGTH]


def term_rows(fields: Iterable[tuple[str, Any]]) -> list[dict[str, Any]]:
    """The search_term rows (without entity_id) of a document's ``(field, value)`` pairs,
    each stored as :func:`tessera.storage.search_query.field_kind` says."""
    rows: dict[tuple[str, str], None] = {}
    for field, raw in fields:
        value = _text(raw)
        kind = _kind(field)
        if kind == "text":
            for word in _lower_words(value):
                rows[(field, sort_key(word))] = None
            rows[(f"{field}.keyword", sort_key(value))] = None
        elif kind == "folded":
            rows[(field, sort_key(value.lower()))] = None
            if field in REVERSED_FIELDS:
                rows[(f"{field}{REVERSED}", sort_key(value.lower()[::-1]))] = None
        elif kind == "keyword":
            rows[(field, sort_key(value))] = None
    return [{"field": f, "value": v} for f, v in rows]


_kind = functools.cache(field_kind)


@functools.lru_cache(maxsize=65_536)
def _lower_words(value: str) -> tuple[str, ...]:
    return tuple(WORD.findall(value.lower()))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# Constant statements with their values as parameters: compiled once, not once per entity.
_UPDATE = sa.update(search_document).where(search_document.c.entity_id == sa.bindparam("doc_id"))
_INSERT = sa.insert(search_document)
_INSERT_TERMS = sa.insert(search_term)
# The same, their rows handed to the driver as they are (see PreparedInsert): for new entities.
_INSERT_NEW = PreparedInsert(sa.insert(search_document), multi_row=True)
_INSERT_NEW_TERMS = PreparedInsert(sa.insert(search_term))
_DELETE_TERMS = sa.delete(search_term).where(search_term.c.entity_id == sa.bindparam("doc_id"))
_STORED = sa.select(
    search_document.c.entity_type, search_document.c.deleted, search_document.c.inherited
).where(search_document.c.entity_id == sa.bindparam("doc_id"))
_STORED_TERMS = sa.select(
    search_term.c.field, search_term.c.value, search_term.c.entity_type, search_term.c.deleted
).where(search_term.c.entity_id == sa.bindparam("doc_id"))

# search_term_count's key: (field, entity_type, deleted, value).
TermCountKey = tuple[str, str, bool, str]
# The count deltas of each open write transaction, applied by apply_counts just before commit.
# Kept by transaction rather than passed along: the writes that reindex documents include the
# label listeners', which see only the connection. A transaction rolled back takes its deltas
# with it.
_pending: weakref.WeakKeyDictionary[Any, collections.Counter[TermCountKey]] = weakref.WeakKeyDictionary()


def put(conn: Connection, *, entity_id: str, terms: Sequence[dict[str, Any]] = (), **values: Any) -> None:
    """Index one entity anew: its search_document row (the columns in ``values``) and terms."""
    stored = conn.execute(_STORED, {"doc_id": entity_id}).first()
    counts = _counts(conn)
    own, values["inherited"], values["key_tokens"] = _split(conn, values["entity_type"], terms)
    if stored is None:
        conn.execute(_INSERT, {"entity_id": entity_id, **values})
    else:
        counts[(DOCUMENTS, stored.entity_type, bool(stored.deleted), stored.entity_type)] -= 1
        for row in conn.execute(_STORED_TERMS, {"doc_id": entity_id}):
            if row.field not in UNCOUNTED_FIELDS:
                counts[(row.field, row.entity_type, bool(row.deleted), row.value)] -= 1
        for field, value in _inherited(stored.inherited):
            counts[(field, stored.entity_type, bool(stored.deleted), value)] -= 1
        conn.execute(_UPDATE, {"doc_id": entity_id, **values})
        conn.execute(_DELETE_TERMS, {"doc_id": entity_id})
    _count_new(counts, values["entity_type"], values["deleted"], terms)
    if own:
        owner = {"entity_id": entity_id, "entity_type": values["entity_type"], "deleted": values["deleted"]}
        conn.execute(_INSERT_TERMS, [{**term, **owner} for term in own])


def insert_many(conn: Connection, documents: Sequence[dict[str, Any]]) -> None:
    """Search documents of new entities (which have none yet), in one executemany each for the
    documents and their terms.

    Each is a mapping of ``search_document``'s columns (entity_id, entity_type, service,
    deleted, name, body, fqn, display_name, updated_at) and ``terms`` (see :func:`term_rows`).
    """
    if not documents:
        return
    rows: list[dict[str, Any]] = []
    terms: list[dict[str, Any]] = []
    counts = _counts(conn)
    for document in documents:
        row = dict(document)
        every = row.pop("terms", ())
        own, row["inherited"], row["key_tokens"] = _split(conn, row["entity_type"], every)
        _count_new(counts, row["entity_type"], row["deleted"], every)
        owner = {"entity_id": row["entity_id"], "entity_type": row["entity_type"], "deleted": row["deleted"]}
        terms.extend({**term, **owner} for term in own)
        rows.append(row)
    _INSERT_NEW.insert(conn, rows)
    if terms:
        _INSERT_NEW_TERMS.insert(conn, terms)


def _split(
    conn: Connection, entity_type: str, terms: Sequence[dict[str, Any]]
) -> tuple[Sequence[dict[str, Any]], str | None, str | None]:
    """The terms kept as search_term rows; the ones the document takes from its parent, as the
    ``inherited`` column holds them (tessera.storage.search_inherited); and on SQLite the
    ``key_tokens`` column's tokens (tessera.storage.search_keys)."""
    own: Sequence[dict[str, Any]] = terms
    inherited = keys = None
    inherited_fields = INHERITED_FIELDS.get(entity_type)
    if inherited_fields is not None:
        taken = [[term["field"], term["value"]] for term in own if term["field"] in inherited_fields]
        inherited = orjson.dumps(taken).decode()
        own = [term for term in own if term["field"] not in inherited_fields]
    if conn.dialect.name == "sqlite":
        keys = keys_of([term for term in own if term["field"] in KEY_FIELDS])
        own = [term for term in own if term["field"] not in KEY_FIELDS]
    return own, inherited, keys


def _inherited(stored: str | None) -> list[tuple[str, str]]:
    return [(field, value) for field, value in orjson.loads(stored)] if stored else []


def delete(conn: Connection, entity_ids: Sequence[str]) -> None:
    """Forget the search documents of these entities (at most 500 at a time)."""
    counts = _counts(conn)
    term = search_term.c
    gone = sa.select(term.field, term.entity_type, term.deleted, term.value, sa.func.count())
    gone = gone.where(term.entity_id.in_(entity_ids), term.field.not_in(UNCOUNTED_FIELDS))
    for field, entity_type, deleted, value, n in conn.execute(
        gone.group_by(term.field, term.entity_type, term.deleted, term.value)
    ):
        counts[(field, entity_type, bool(deleted), value)] -= n
    doc = search_document.c
    kinds = sa.select(doc.entity_type, doc.deleted, sa.func.count()).where(doc.entity_id.in_(entity_ids))
    for entity_type, deleted, n in conn.execute(kinds.group_by(doc.entity_type, doc.deleted)):
        counts[(DOCUMENTS, entity_type, bool(deleted), entity_type)] -= n
    inheriting = sa.select(doc.entity_type, doc.deleted, doc.inherited).where(
        doc.entity_id.in_(entity_ids), doc.inherited.is_not(None)
    )
    for entity_type, deleted, inherited in conn.execute(inheriting):
        for field, value in _inherited(inherited):
            counts[(field, entity_type, bool(deleted), value)] -= 1
    conn.execute(sa.delete(search_term).where(term.entity_id.in_(entity_ids)))
    conn.execute(sa.delete(search_document).where(doc.entity_id.in_(entity_ids)))


def apply_counts(conn: Connection) -> None:
    """Add this transaction's deltas to search_term_count, in key order: the last statement
    before commit, as for entity_count (see :mod:`tessera.storage.unit_of_work`)."""
    transaction = conn.get_transaction()
    deltas = _pending.pop(transaction, None) if transaction is not None else None
    if not deltas:
        return
    params = [
        {"field": field, "entity_type": kind, "deleted": deleted, "value": value, "n": n}
        for (field, kind, deleted, value), n in sorted(deltas.items())
        if n
    ]
    if params:
        conn.execute(adding_upsert(search_term_count, conn.dialect.name), params)


def _counts(conn: Connection) -> collections.Counter[TermCountKey]:
    transaction = conn.get_transaction()
    if transaction is None:
        raise RuntimeError("search documents are written within a transaction")
    counts = _pending.get(transaction)
    if counts is None:
        counts = _pending[transaction] = collections.Counter()
    return counts


def _count_new(
    counts: collections.Counter[TermCountKey],
    entity_type: str,
    deleted: bool,
    terms: Iterable[dict[str, Any]],
) -> None:
    counts[(DOCUMENTS, entity_type, deleted, entity_type)] += 1
    for term in terms:
        if term["field"] not in UNCOUNTED_FIELDS:
            counts[(term["field"], entity_type, deleted, term["value"])] += 1


def documents(conn: Connection, entity_ids: Sequence[str]) -> dict[str, tuple[str, dict[str, Any]]]:
    """The stored type and document of each hit, by id: one query per 500 hits, not one per hit."""
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for start in range(0, len(entity_ids), 500):
        chunk = entity_ids[start : start + 500]
        query = sa.select(entity.c.id, entity.c.entity_type, entity.c.doc).where(entity.c.id.in_(chunk))
        for row in conn.execute(query):
            found[row.id] = (row.entity_type, orjson.loads(row.doc))
    return found
