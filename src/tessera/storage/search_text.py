"""The full-text expression of a :class:`~tessera.storage.search_query.Text` in each dialect:
an FTS5 MATCH (SQLite), a tsquery (PostgreSQL), InnoDB's boolean-mode MATCH with LIKE for the
words InnoDB does not index (MySQL/MariaDB)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from tessera.storage.schema import search_document as d
from tessera.storage.search_query import Text

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


def fts5(text: Text) -> str:
    # Only the last word may be a prefix: FTS5 reads a prefix's whole doclist, and a common
    # first word as a prefix ("table"* in "table_000042") made a rare name cost a full scan.
    words = [f'"{word}"' for word in text.words]
    if text.prefix:
        words[-1] += "*"
    return (" OR " if text.any_word else " AND ").join(words)


def ts_query(text: Text) -> str:
    words = list(text.words)
    if text.prefix:
        words[-1] += ":*"
    return (" | " if text.any_word else " & ").join(words)


def _indexed_by_innodb(word: str) -> bool:
    """Whether InnoDB's FULLTEXT index holds the word; the others are found with LIKE."""
    return len(word) >= _MYSQL_MIN_TOKEN and word.lower() not in _MYSQL_STOPWORDS


def mysql_text(text: Text) -> tuple[sa.ColumnElement[bool], sa.ColumnElement[Any]]:
    long_words = [w for w in text.words[:-1] if _indexed_by_innodb(w)]
    last = text.words[-1]
    short = [w for w in text.words[:-1] if not _indexed_by_innodb(w)]
    terms = [f"{'' if text.any_word else '+'}{w}" for w in long_words]
    if _indexed_by_innodb(last):
        terms.append(f"{'' if text.any_word else '+'}{last}{'*' if text.prefix else ''}")
    else:
        short.append(last)
    likes = [d.c.body.like(f"%{w}%") for w in short]
    if not terms:
        condition = sa.or_(*likes) if text.any_word else sa.and_(*likes)
        return condition, sa.literal(1.0)
    relevance = mysql.match(d.c.body, against=" ".join(terms)).in_boolean_mode()
    combine = sa.or_ if text.any_word else sa.and_
    return combine(relevance, *likes), relevance
