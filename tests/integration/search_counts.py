"""search_term_count against what it counts: the invariant every write must keep."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from tessera.storage.search_query import DOCUMENTS, UNCOUNTED_FIELDS

Counts = dict[tuple[str, str, bool, str], int]


def stored_counts(conn: sa.Connection) -> Counts:
    """The table's counts, without the rows that fell to 0 (readers skip them)."""
    rows = conn.exec_driver_sql("SELECT field, entity_type, deleted, value, n FROM search_term_count")
    return {(r.field, r.entity_type, bool(r.deleted), r.value): int(r.n) for r in rows if r.n != 0}


def recounted(conn: sa.Connection) -> Counts:
    """The counts the table must hold: search_term's rows and search_document's, counted."""
    uncounted = sorted(UNCOUNTED_FIELDS)
    terms = conn.execute(
        sa.text(
            "SELECT field, entity_type, deleted, value, COUNT(*) AS n FROM search_term "
            "WHERE field NOT IN :uncounted GROUP BY field, entity_type, deleted, value"
        ).bindparams(sa.bindparam("uncounted", expanding=True)),
        {"uncounted": uncounted},
    )
    counts: Counts = {(r.field, r.entity_type, bool(r.deleted), r.value): int(r.n) for r in terms}
    # What documents take from their parent is counted per document, as if they were rows.
    inheriting = conn.exec_driver_sql(
        "SELECT entity_type, deleted, inherited FROM search_document WHERE inherited IS NOT NULL"
    )
    for r in inheriting:
        for field, value in json.loads(r.inherited):
            key = (field, r.entity_type, bool(r.deleted), value)
            counts[key] = counts.get(key, 0) + 1
    documents = conn.exec_driver_sql(
        "SELECT entity_type, deleted, COUNT(*) AS n FROM search_document GROUP BY entity_type, deleted"
    )
    for r in documents:
        counts[(DOCUMENTS, r.entity_type, bool(r.deleted), r.entity_type)] = int(r.n)
    return counts


def assert_counts_exact(url_or_engine: Any) -> Counts:
    engine = sa.create_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    try:
        with engine.connect() as conn:
            stored, expected = stored_counts(conn), recounted(conn)
    finally:
        if isinstance(url_or_engine, str):
            engine.dispose()
    missing = {k: v for k, v in expected.items() if stored.get(k) != v}
    extra = {k: v for k, v in stored.items() if k not in expected}
    assert (missing, extra) == ({}, {}), f"expected but not stored: {missing}; stored but not there: {extra}"
    assert all(n > 0 for n in stored.values())
    return stored
