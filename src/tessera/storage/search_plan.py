"""What a search reads before its own SQL: whether it takes whole kinds, what
``search_term_count`` answers for it without reading an index entry per match (its total, and
the share of a one-term filter), and whether its page walks one kind's sort index
(:func:`tessera.storage.search_walk.walk_page`) or merges several
(:func:`tessera.storage.search_walk.merged_page`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from tessera.errors import BadRequest
from tessera.storage import search_counts
from tessera.storage.search import sort_key
from tessera.storage.search_query import (
    COLUMN_FIELDS,
    UNCOUNTED_FIELDS,
    And,
    MatchAll,
    Query,
    Search,
    Term,
    field_kind,
    stored_field,
)
from tessera.storage.search_walk import Walk

# A one-term filter matching at least this share of its kinds' documents is dense: its page is
# found sooner by walking the sort order's index and testing each entity than by sorting every
# match. Sparser ones sort their matches.
_DENSE = 0.01
# The sort orders each kind has an index for (_score without a text is name order).
WALKED_SORTS = frozenset({"name", "fqn", "updated_at", "_score"})


def whole_kinds(query: Query) -> tuple[bool, bool | None]:
    """Whether the query takes whole kinds (match all, at most a condition on deleted), and
    the deleted flag it asks for."""
    items = query.items if isinstance(query, And) else (query,)
    deleted: bool | None = None
    for item in items:
        if isinstance(item, Term) and item.field == "deleted" and len(item.values) == 1:
            flag = column_value("deleted", item.values[0])
            if deleted is not None and flag != deleted:
                # Deleted and not: no whole kind, and nothing matches (the plain query says so).
                return False, None
            deleted = flag
        elif not isinstance(item, MatchAll):
            return False, None
    return True, deleted


def counted_matches(conn: Connection, search: Search) -> tuple[int | None, Walk | None]:
    """The exact number of matches of whole kinds or of a one-term query, read from
    search_term_count (None for any other query), and for a term dense enough, how its page
    walks the sort order's index."""
    whole, deleted = whole_kinds(search.query)
    if whole:
        return search_counts.documents(conn, search.entity_types, deleted), None
    term = _counted_term(search.query)
    if term is None:
        return None, None
    flags_alone, deleted = whole_kinds(_without_term(search.query))
    if not flags_alone:
        # Deleted and not at once: the query itself finds nothing.
        return None, None
    matches = search_counts.total(conn, term[0], term[1], search.entity_types, deleted)
    documents = search_counts.documents(conn, search.entity_types, deleted)
    # The walk reads one kind's index of the sort order (_score without a text is name order).
    kinds = search.entity_types
    if kinds is None or len(kinds) != 1 or deleted is None or search.sort not in WALKED_SORTS:
        return matches, None
    if matches == 0 or matches < _DENSE * documents:
        return matches, None
    return matches, Walk(term[0], term[1], kinds[0], deleted, matches / documents, documents)


def merged_arms(conn: Connection, search: Search) -> list[tuple[str, bool]] | None:
    """The (kind, deleted) pairs whose sort indexes a page of whole kinds merges, unless it is
    one kind with one deleted flag (one index walk) or a sort no index serves."""
    whole, deleted = whole_kinds(search.query)
    if not whole or search.size == 0 or search.sort not in WALKED_SORTS:
        return None
    kinds = search.entity_types
    if kinds is not None and len(kinds) == 1 and deleted is not None:
        return None
    return search_counts.arms(conn, kinds, deleted)


def _counted_term(query: Query) -> tuple[str, str] | None:
    """The stored field and value of a query that is one value of a field search_term_count
    counts, perhaps with a deleted flag."""
    items = query.items if isinstance(query, And) else (query,)
    found = [item for item in items if not isinstance(item, MatchAll) and not _is_deleted(item)]
    if len(found) != 1 or not isinstance(found[0], Term) or len(found[0].values) != 1:
        return None
    term = found[0]
    kind = field_kind(term.field)
    stored = stored_field(term.field)
    if kind not in ("keyword", "folded") or stored in UNCOUNTED_FIELDS:
        return None
    value = term.values[0]
    return stored, sort_key(value.lower() if kind == "folded" else value)


def _is_deleted(query: Query) -> bool:
    return isinstance(query, Term) and query.field == "deleted" and len(query.values) == 1


def _without_term(query: Query) -> Query:
    """The query's deleted flags alone (what is left of a counted term's query without it)."""
    items = query.items if isinstance(query, And) else (query,)
    kept = tuple(item for item in items if _is_deleted(item))
    return And(kept) if kept else MatchAll()


def column_value(name: str, value: str) -> Any:
    column = COLUMN_FIELDS[name]
    if column == "deleted":
        if value.lower() not in ("true", "false"):
            raise BadRequest(f"{name} is true or false, not {value!r}")
        return value.lower() == "true"
    if column == "updated_at":
        try:
            return int(float(value))
        except ValueError:
            raise BadRequest(f"{name} is a time in milliseconds, not {value!r}") from None
    return value
