"""Full-text search with the database's own engine: SQLite FTS5, PostgreSQL tsvector,
MySQL/MariaDB FULLTEXT. No search server to run.

Each entity has one row in ``search_document`` whose ``body`` holds its searchable words;
identifiers are indexed whole and split at ``_``, ``.`` and case changes so that
``customer_id`` is found by "customer", and every term is matched as a prefix.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Connection

from tessera.storage.schema import entity, search_document

_WORD = re.compile(r"[0-9A-Za-z\u00C0-\uFFFF]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
# InnoDB's FULLTEXT ignores words shorter than innodb_ft_min_token_size (3 by default).
_MYSQL_MIN_TOKEN = 3
# InnoDB's default stopwords (INFORMATION_SCHEMA.INNODB_FT_DEFAULT_STOPWORD) are never indexed, so
# a required "+com*" matches nothing: an e-mail's "com" is looked for like a short word.
# fmt: off
_MYSQL_STOPWORDS = frozenset({
    "a", "about", "an", "are", "as", "at", "be", "by", "com", "de", "en", "for", "from", "how",
    "i", "in", "is", "it", "la", "of", "on", "or", "that", "the", "this", "to", "was", "what",
    "when", "where", "who", "will", "with", "und", "www",
})
# fmt: on


def searchable_words(*texts: str | None) -> str:
    words: list[str] = []
    for text in texts:
        if not text:
            continue
        for token in re.split(r"\s+", text):
            if not token:
                continue
            words.append(token)
            words.extend(_WORD.findall(_CAMEL.sub(" ", token)))
    # Order keeps the original text first; duplicates add nothing to matching.
    return " ".join(dict.fromkeys(words))


# Constant statements with their values as parameters: compiled once, not once per entity.
_UPDATE = sa.update(search_document).where(search_document.c.entity_id == sa.bindparam("doc_id"))
_INSERT = sa.insert(search_document)


def put(
    conn: Connection,
    *,
    entity_id: str,
    entity_type: str,
    service: str | None,
    deleted: bool,
    name: str,
    body: str,
) -> None:
    values = {"entity_type": entity_type, "service": service, "deleted": deleted, "name": name, "body": body}
    updated = conn.execute(_UPDATE, {"doc_id": entity_id, **values})
    if updated.rowcount == 0:
        conn.execute(_INSERT, {"entity_id": entity_id, **values})


def insert_many(conn: Connection, documents: Sequence[dict[str, Any]]) -> None:
    """Search documents of new entities (which have none yet), in one executemany.

    Each is a mapping of ``search_document``'s columns: entity_id, entity_type, service, deleted,
    name, body.
    """
    if documents:
        conn.execute(_INSERT, list(documents))


def set_deleted(conn: Connection, entity_ids: Sequence[str], deleted: bool) -> None:
    for start in range(0, len(entity_ids), 500):
        chunk = entity_ids[start : start + 500]
        conn.execute(
            sa.update(search_document).where(search_document.c.entity_id.in_(chunk)).values(deleted=deleted)
        )


@dataclass(frozen=True)
class Hits:
    total: int
    ids: list[str]


def query(
    conn: Connection,
    text: str,
    *,
    entity_types: Sequence[str] | None,
    services: Sequence[str] | None,
    deleted: bool | None,
    offset: int,
    size: int,
) -> Hits:
    terms = _terms(text)
    filters: list[sa.ColumnElement[bool]] = []
    if entity_types:
        filters.append(search_document.c.entity_type.in_(entity_types))
    if services:
        filters.append(search_document.c.service.in_(services))
    if deleted is not None:
        filters.append(search_document.c.deleted == (sa.true() if deleted else sa.false()))
    dialect = conn.dialect.name
    order: list[sa.ColumnElement[object]] = []
    if terms:
        match, rank = _match(dialect, terms)
        filters.append(match)
        if rank is not None:
            order.append(rank)
    order.extend([search_document.c.name, search_document.c.entity_id])
    total = conn.execute(sa.select(sa.func.count()).select_from(search_document).where(*filters)).scalar_one()
    rows = conn.execute(
        sa.select(search_document.c.entity_id).where(*filters).order_by(*order).offset(offset).limit(size)
    )
    return Hits(total=total, ids=list(rows.scalars()))


def documents(conn: Connection, entity_ids: Sequence[str]) -> dict[str, tuple[str, dict[str, Any]]]:
    """The stored type and document of each hit, by id: one query per 500 hits, not one per hit."""
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for start in range(0, len(entity_ids), 500):
        chunk = entity_ids[start : start + 500]
        query = sa.select(entity.c.id, entity.c.entity_type, entity.c.doc).where(entity.c.id.in_(chunk))
        for row in conn.execute(query):
            found[row.id] = (row.entity_type, orjson.loads(row.doc))
    return found


def _terms(text: str) -> list[str]:
    if text.strip() in ("", "*"):
        return []
    return [word.lower() for word in _WORD.findall(text)]


def _match(dialect: str, terms: list[str]) -> tuple[sa.ColumnElement[bool], sa.ColumnElement[object] | None]:
    if dialect == "sqlite":
        expression = " AND ".join(f'"{term}"*' for term in terms)
        match = sa.literal_column("search_document.rowid").in_(
            sa.select(sa.literal_column("rowid"))
            .select_from(sa.table("search_fts"))
            .where(sa.literal_column("search_fts").op("MATCH")(expression))
        )
        return match, None
    if dialect == "postgresql":
        expression = " & ".join(f"{term}:*" for term in terms)
        tsquery = sa.func.to_tsquery(sa.literal_column("'simple'"), expression)
        tsv: sa.ColumnElement[object] = sa.literal_column("search_document.tsv")
        return tsv.op("@@")(tsquery), sa.func.ts_rank(tsv, tsquery).desc()
    indexed = [term for term in terms if len(term) >= _MYSQL_MIN_TOKEN and term not in _MYSQL_STOPWORDS]
    long_terms = indexed
    conditions: list[sa.ColumnElement[bool]] = [
        search_document.c.body.like(f"%{term}%") for term in terms if term not in indexed
    ]
    if long_terms:
        expression = " ".join(f"+{term}*" for term in long_terms)
        conditions.append(mysql.match(search_document.c.body, against=expression).in_boolean_mode())
    return sa.and_(*conditions), None
