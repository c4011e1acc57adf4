"""On SQLite, the fields with about one value per document (a name, its words, the FQN and its
reversal) as tokens of an FTS5 index instead of rows of ``search_term``.

Their rows landed all over search_term's b-tree: four to seven leaves written per new table, the
largest cost of a bulk PUT of new tables once a table's service, database and schema came from
its parent (search_inherited). FTS5 keeps a transaction's tokens in memory and writes them as
one segment at commit. ``search_document.key_tokens`` holds a document's tokens, and ``search_key``
(an external-content FTS5 table over it, ``detail=none``, kept by triggers; migration 0018)
indexes them.

A token is a field code and the value's UTF-8 bytes in hex: one token whatever the value holds
(FTS5's tokenizer splits on anything but letters and digits), and a value's beginning is its
token's beginning, so a prefix query on the token (``fq6f72*``) finds the values that begin with
a prefix. What a token cannot tell (the rest of a wildcard, a range) is checked on the
document's own ``name`` and ``fqn`` columns, with the same folding the terms had
(:func:`register_functions`). PostgreSQL and MariaDB keep these fields as rows.
"""

from __future__ import annotations

import functools
import re
import sqlite3
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from tessera.storage.schema import search_document as d

# The fields kept as tokens on SQLite, and each one's code (the first letters of its tokens).
KEY_CODES = {
    "name": "na",
    "name.keyword": "nk",
    "fullyQualifiedName": "fq",
    "fullyQualifiedName.reversed": "fr",
}
KEY_FIELDS = frozenset(KEY_CODES)

_WORD = re.compile(r"[0-9A-Za-z\u00C0-\uFFFF]+")
_FTS = sa.table("search_key", sa.column("rowid"))
_DOC_ROWID: sa.ColumnElement[Any] = sa.column("rowid", sa.Integer, _selectable=d)


def token(field: str, value: str) -> str:
    return KEY_CODES[field] + value.encode().hex()


def keys_of(terms: Sequence[dict[str, Any]]) -> str:
    """The ``key_tokens`` column of a document whose terms (of KEY_FIELDS) these are."""
    return " ".join(token(term["field"], term["value"]) for term in terms)


# -- conditions on search_document ------------------------------------------------------------


def matching(expression: str) -> sa.ColumnElement[bool]:
    """Documents whose tokens match an FTS5 query of tokens."""
    found = sa.select(_FTS.c.rowid).where(sa.literal_column("search_key").op("MATCH")(sa.literal(expression)))
    return _DOC_ROWID.in_(found)


def any_of(field: str, values: Sequence[str]) -> sa.ColumnElement[bool]:
    """The field has one of these (stored) values."""
    return matching(" OR ".join(f'"{token(field, value)}"' for value in values))


def all_words(alternatives: Sequence[Sequence[str]]) -> sa.ColumnElement[bool]:
    """For ``name``: every word of one of the alternatives is a word of the name."""
    groups = [" AND ".join(f'"{token("name", word)}"' for word in words) for words in alternatives]
    return matching(" OR ".join(f"({group})" for group in groups))


def beginning(field: str, prefix: str) -> sa.ColumnElement[bool]:
    """The field has a value that begins with ``prefix`` (every value if it is empty)."""
    return matching(f"{token(field, prefix)}*")


def has_field(field: str) -> sa.ColumnElement[bool]:
    """The document has a value of the field: a token with its code."""
    code = " " + KEY_CODES[field]
    return sa.func.instr(" " + sa.func.coalesce(d.c.key_tokens, ""), code) > 0


def value_column(field: str) -> sa.ColumnElement[Any]:
    """The document's value of a KEY_FIELDS field as its terms held it (``name``: the whole
    name, whose words :func:`word_matches` and :func:`word_between` look at)."""
    if field == "fullyQualifiedName":
        return sa.func.tessera_fold(d.c.fqn)
    if field == "fullyQualifiedName.reversed":
        return sa.func.tessera_reverse(sa.func.tessera_fold(d.c.fqn))
    return d.c.name


def word_matches(pattern: str) -> sa.ColumnElement[bool]:
    """For ``name``: a word of the name matches the (lower-cased) GLOB pattern."""
    return sa.func.tessera_word_glob(d.c.name, pattern) == 1


def word_between(bounds: Sequence[tuple[str | None, str]]) -> sa.ColumnElement[bool]:
    """For ``name``: a word of the name is within the bounds, each (value, ``__gt__``...)."""
    given = {op: value for value, op in bounds if value is not None}
    return (
        sa.func.tessera_word_between(
            d.c.name, given.get("__gt__"), given.get("__ge__"), given.get("__lt__"), given.get("__le__")
        )
        == 1
    )


# -- functions on SQLite connections ------------------------------------------------------------


def register_functions(connection: sqlite3.Connection) -> None:
    """What the conditions above call: Python's own lower-casing and word splitting, the ones
    the terms were made with (SQLite's lower() folds ASCII only)."""
    connection.create_function("tessera_fold", 1, _fold, deterministic=True)
    connection.create_function("tessera_reverse", 1, _reverse, deterministic=True)
    connection.create_function("tessera_word_glob", 2, _word_glob, deterministic=True)
    connection.create_function("tessera_word_between", 5, _word_between, deterministic=True)


def _fold(value: str | None) -> str | None:
    return value.lower() if value is not None else None


def _reverse(value: str | None) -> str | None:
    return value[::-1] if value is not None else None


def _words(value: str | None) -> list[str]:
    return _WORD.findall(value.lower()) if value else []


@functools.lru_cache(maxsize=256)
def _glob(pattern: str) -> re.Pattern[str]:
    """SQLite's GLOB as Lucene's wildcards have it: ``*`` any run, ``?`` one character."""
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.S)


def _word_glob(value: str | None, pattern: str) -> int:
    compiled = _glob(pattern)
    return int(any(compiled.fullmatch(word) for word in _words(value)))


def _word_between(value: str | None, gt: str | None, gte: str | None, lt: str | None, lte: str | None) -> int:
    for word in _words(value):
        if gt is not None and not word > gt:
            continue
        if gte is not None and not word >= gte:
            continue
        if lt is not None and not word < lt:
            continue
        if lte is not None and not word <= lte:
            continue
        return 1
    return 0
