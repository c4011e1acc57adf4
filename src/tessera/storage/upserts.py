"""Counter rows added to in one statement, whether or not the row exists yet: two writers
creating the first row under a key must not race on inserting it. Rows that fall to 0 stay
(readers skip them): deleting one could race with a writer adding to it."""

from __future__ import annotations

import functools

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql, sqlite


@functools.cache
def adding_upsert(table: sa.Table, dialect: str) -> sa.Executable:
    """INSERT of ``table``'s key and ``n`` that, on a row with that key, adds ``n`` to it."""
    n = table.c.n
    if dialect in ("mysql", "mariadb"):
        statement = mysql.insert(table)
        return statement.on_duplicate_key_update(n=n + statement.inserted.n)
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    upsert = insert(table)
    return upsert.on_conflict_do_update(
        index_elements=list(table.primary_key.columns), set_={"n": n + upsert.excluded.n}
    )
