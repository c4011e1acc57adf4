"""The query language the search store answers: a small tree that both of OpenMetadata's ways of
asking (``q`` in Lucene's query-string syntax and ``query_filter`` in OpenSearch's query DSL) are
read into by :mod:`tessera.catalog.search_parser`, and that :mod:`tessera.storage.search`
turns into SQL.

Fields are named as OpenMetadata's search documents name them (``tags.tagFQN``,
``service.name.keyword``); :func:`field_kind` says how each is stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# Fields kept as columns of search_document, not as rows of search_term.
COLUMN_FIELDS: dict[str, str] = {
    "entityType": "entity_type",
    "entityType.keyword": "entity_type",
    "deleted": "deleted",
    "updatedAt": "updated_at",
    "_id": "entity_id",
    "id": "entity_id",
}
# Analysed text fields (as OpenMetadata maps them): ``name:Orders`` matches a word of the name,
# case-insensitively; ``name.keyword`` is the exact value. Values are stored lower-cased, word
# by word, under the bare name and whole under ``.keyword``.
TEXT_FIELDS = frozenset({"name", "displayName", "owners.displayName"})
# Keyword fields OpenMetadata normalises to lower case: stored and compared lower-cased.
FOLDED_FIELDS = frozenset({"fullyQualifiedName", "email"})
# Fields the UI's facets name that tessera's references answer under another: a reference's
# display name is its name unless it has one.
ALIASES: dict[str, str] = {
    "service.displayName": "service.name",
    "database.displayName": "database.name",
    "databaseSchema.displayName": "databaseSchema.name",
    "tags.name": "tags.tagFQN",
}
# Fields whose values are also kept reversed, under ``<field>.reversed``, so that a wildcard
# with a literal end (``*.orders``) is an index range too.
REVERSED_FIELDS = frozenset({"fullyQualifiedName"})
REVERSED = ".reversed"
# Stored fields search_term_count does not count: about one value per entity (a name, an FQN,
# an e-mail), so counting them would copy search_term. Their facets and totals count index
# entries, which for such fields are few per value.
UNCOUNTED_FIELDS = frozenset(
    {
        "name",
        "name.keyword",
        "displayName",
        "displayName.keyword",
        "fullyQualifiedName",
        "fullyQualifiedName" + REVERSED,
        "email",
    }
)
# The field of search_term_count that counts documents: its value is the document's kind.
DOCUMENTS = "entityType"


def stored_field(name: str) -> str:
    """The field a query names, as search_term stores it (``service.name.keyword`` and
    ``service.name`` are the same keyword field; ``name.keyword`` is not ``name``)."""
    base = name.removesuffix(".keyword")
    base = ALIASES.get(base, base)
    if base in TEXT_FIELDS and name.endswith(".keyword"):
        return f"{base}.keyword"
    return base


def whole_value_field(name: str) -> str:
    """The stored field holding a field's whole values: an analysed text field's ``.keyword``
    (facets and ``exists`` look at whole values, not words)."""
    stored = stored_field(name)
    if field_kind(name) == "text" and not stored.endswith(".keyword"):
        return f"{stored}.keyword"
    return stored


def field_kind(name: str) -> Literal["column", "text", "folded", "keyword"]:
    if name in COLUMN_FIELDS:
        return "column"
    stored = stored_field(name)
    if stored in TEXT_FIELDS:
        return "text"
    if stored in FOLDED_FIELDS:
        return "folded"
    return "keyword"


# -- the tree -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MatchAll:
    pass


@dataclass(frozen=True)
class MatchNone:
    pass


@dataclass(frozen=True)
class Text:
    """Free text over the entity's searchable words: every word must be there (``any_word``:
    one is enough); ``prefix`` lets the last word stand for any word it begins."""

    words: tuple[str, ...]
    prefix: bool = False
    any_word: bool = False


@dataclass(frozen=True)
class Term:
    """The field has one of these values (compared as the field is stored)."""

    field: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Wildcard:
    """The field's value matches the pattern: ``*`` any run of characters, ``?`` one."""

    field: str
    pattern: str


@dataclass(frozen=True)
class Range:
    field: str
    gt: str | None = None
    gte: str | None = None
    lt: str | None = None
    lte: str | None = None


@dataclass(frozen=True)
class Exists:
    field: str


@dataclass(frozen=True)
class And:
    items: tuple[Query, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Query, ...]
    # OpenSearch's minimum_should_match: how many of the items must match (1 = any).
    minimum: int = 1


@dataclass(frozen=True)
class Not:
    item: Query


Query = MatchAll | MatchNone | Text | Term | Wildcard | Range | Exists | And | Or | Not


def conjunction(items: list[Query]) -> Query:
    kept = [item for item in items if not isinstance(item, MatchAll)]
    if any(isinstance(item, MatchNone) for item in kept):
        return MatchNone()
    if not kept:
        return MatchAll()
    return kept[0] if len(kept) == 1 else And(tuple(kept))


def disjunction(items: list[Query]) -> Query:
    if any(isinstance(item, MatchAll) for item in items):
        return MatchAll()
    kept = [item for item in items if not isinstance(item, MatchNone)]
    if not kept:
        return MatchNone()
    return kept[0] if len(kept) == 1 else Or(tuple(kept))


# -- what is asked of the store -----------------------------------------------------------------

SortField = Literal["_score", "name", "fqn", "display_name", "updated_at", "entity_type"]
# The sort fields OpenMetadata's client and UI send, and the column each sorts on.
SORT_FIELDS: dict[str, SortField] = {
    "_score": "_score",
    "name": "name",
    "name.keyword": "name",
    "fullyQualifiedName": "fqn",
    "fullyQualifiedName.keyword": "fqn",
    "displayName": "display_name",
    "displayName.keyword": "display_name",
    "updatedAt": "updated_at",
    "entityType": "entity_type",
}


@dataclass(frozen=True)
class Aggregation:
    """A terms aggregation: the ``size`` most frequent values of ``field`` among the matches."""

    name: str
    field: str
    size: int = 10


@dataclass(frozen=True)
class Search:
    query: Query
    entity_types: tuple[str, ...] | None
    sort: SortField = "_score"
    descending: bool = True
    offset: int = 0
    size: int = 10
    # The last hit's sort values, as the client sends them back for the next page.
    search_after: tuple[str, ...] | None = None
    # Count matches exactly up to this many (OpenSearch's track_total_hits); None: all of them.
    count_up_to: int | None = 10_000
    aggregations: tuple[Aggregation, ...] = field(default_factory=tuple)
