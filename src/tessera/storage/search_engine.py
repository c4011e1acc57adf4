"""Answering a :class:`~tessera.storage.search_query.Search` with SQL, on SQLite (FTS5),
PostgreSQL (tsvector + GIN) and MySQL/MariaDB (FULLTEXT) alike.

- Free text is the database's full-text index over ``search_document.body``; the first text
  of the query also ranks the hits (``_score``: FTS5's bm25, ``ts_rank``, InnoDB's relevance).
- Field filters are index lookups on ``search_term`` (field, value); a wildcard with a literal
  beginning or (for FQNs) a literal end is an index range, not a scan.
- Sorting by name, FQN or update time walks a kind's index of ``search_document`` (several
  kinds: the first rows of each merged), and ``search_after`` seeks into it: page 1,000 costs
  what page 1 does.
- Totals are counted exactly up to ``count_up_to`` matches (OpenSearch's ``track_total_hits``,
  10,000 by default) and beyond that reported as "at least". Those of whole kinds and of one
  term are read from ``search_term_count`` instead, as are facets of whole kinds
  (:mod:`tessera.storage.search_counts`); a dense term's page walks the sort order's index
  (:mod:`tessera.storage.search_plan`, :mod:`tessera.storage.search_walk`).
- Relevance is computed for at most :data:`RANK_WINDOW` matches of a text, taken in index
  order: with more matches than that, the best of the first 10,000 come first (see
  docs/design/search.md). With fewer, the order is exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles

from tessera.errors import BadRequest
from tessera.storage import search_facets, search_inherited, search_keys
from tessera.storage.schema import search_document as d
from tessera.storage.schema import search_term as t
from tessera.storage.search import WORD, sort_key
from tessera.storage.search_facets import Buckets
from tessera.storage.search_plan import column_value, counted_matches, merged_arms, whole_kinds
from tessera.storage.search_query import (
    COLUMN_FIELDS,
    REVERSED,
    REVERSED_FIELDS,
    And,
    Exists,
    MatchAll,
    MatchNone,
    Or,
    Query,
    Range,
    Search,
    Term,
    Text,
    Wildcard,
    field_kind,
    stored_field,
    whole_value_field,
)
from tessera.storage.search_text import fts5, mysql_text, ts_query
from tessera.storage.search_walk import Walk, beyond, merged_page, walk_page

RANK_WINDOW = 10_000
# A literal FQN ending at least this long is taken to be more selective than its beginning.
_SELECTIVE_SUFFIX = 3
# Above every character: `value < prefix + _TOP` bounds a prefix range.
_TOP = "\U0010ffff"
_FTS = sa.table("search_fts", sa.column("rowid"), sa.column("rank"))
# SQLite's rowid of search_document, which its FTS5 index is keyed on.
_DOC_ROWID: sa.ColumnElement[Any] = sa.column("rowid", sa.Integer, _selectable=d)
_SORT_COLUMNS = {
    "name": d.c.name,
    "fqn": d.c.fqn,
    "display_name": d.c.display_name,
    "updated_at": d.c.updated_at,
    "entity_type": d.c.entity_type,
}


class _CrossJoin(sa.Join):
    """``a CROSS JOIN b``: SQLite keeps the left table as the outer loop of a CROSS JOIN
    (https://www.sqlite.org/optoverview.html#manual_control_of_query_plans_using_cross_join)."""

    inherit_cache = True


@compiles(_CrossJoin)
def _cross_join(element: _CrossJoin, compiler: Any, **kw: Any) -> str:
    kw["asfrom"] = True
    left = compiler.process(element.left, **kw)
    right = compiler.process(element.right, **kw)
    on = compiler.process(element.onclause, **{k: v for k, v in kw.items() if k != "asfrom"})
    return f"{left} CROSS JOIN {right} ON {on}"


@dataclass(frozen=True)
class Hit:
    entity_id: str
    score: float
    sort: list[Any]


@dataclass(frozen=True)
class Result:
    total: int
    # False when there were more matches than were counted (the total is a lower bound).
    exact: bool
    hits: list[Hit]
    aggregations: dict[str, Buckets] = field(default_factory=dict)


def run(conn: Connection, search: Search) -> Result:
    counted, walk = counted_matches(conn, search)
    plan = _Plan(conn.dialect.name, search)
    plan.walk = walk
    plan.arms = merged_arms(conn, search)
    if counted is None:
        total, exact = _count(conn, plan, search.count_up_to)
    elif search.count_up_to is not None and counted > search.count_up_to:
        total, exact = search.count_up_to, False
    else:
        total, exact = counted, True
    hits = _page(conn, plan, search) if search.size > 0 else []
    aggregations = {
        agg.name: search_facets.aggregate(conn, plan, agg.field, agg.size) for agg in search.aggregations
    }
    return Result(total=total, exact=exact, hits=hits, aggregations=aggregations)


class _Plan:
    """The FROM and WHERE of one search, and what ranks it."""

    def __init__(self, dialect: str, search: Search) -> None:
        self.dialect = dialect
        # A dense one-term filter's page walks the sort order's index instead (search_walk).
        self.walk: Walk | None = None
        # A page of several whole kinds merges each kind's sort index instead (search_walk).
        self.arms: list[tuple[str, bool]] | None = None
        self.source: sa.FromClause = d
        self.filters: list[sa.ColumnElement[bool]] = []
        self.score: sa.ColumnElement[Any] | None = None
        query = search.query
        # A query of whole kinds (match all, perhaps deleted or not): its facets are counted on
        # search_term's own columns.
        self.whole_kinds, self.deleted = whole_kinds(query)
        self.entity_types = search.entity_types
        if search.entity_types is not None:
            types = list(search.entity_types)
            kind = self.column("entity_type")
            self.filters.append(kind == types[0] if len(types) == 1 else kind.in_(types))
        driver = _driver(query)
        if driver is not None:
            query = _without(query, driver)
            self._rank_by(driver)
        self.filters.append(self.condition(query))

    def _rank_by(self, text: Text) -> None:
        if self.dialect == "sqlite":
            # The FTS table drives the join: its MATCH finds the rows, its rank scores them. A
            # plain join let SQLite walk search_document and run the MATCH once per row.
            self.source = _CrossJoin(_FTS, d, _FTS.c.rowid == _DOC_ROWID)
            self.filters.append(sa.literal_column("search_fts").op("MATCH")(sa.literal(fts5(text))))
            self.score = -_FTS.c.rank
        elif self.dialect == "postgresql":
            tsquery = sa.func.to_tsquery(sa.literal_column("'simple'"), sa.literal(ts_query(text)))
            tsv: sa.ColumnElement[Any] = sa.literal_column("search_document.tsv")
            self.filters.append(tsv.op("@@")(tsquery))
            self.score = sa.func.ts_rank(tsv, tsquery)
        else:
            condition, relevance = mysql_text(text)
            self.filters.append(condition)
            self.score = relevance

    def column(self, name: str) -> sa.ColumnElement[Any]:
        """A search_document column to filter on. A narrowed query on SQLite names its kind and
        deleted flag as ``+column``, which no index serves: SQLite is left to find the matches
        from the narrowing filter (a name, an FQN, a tag) rather than walk every entity of the
        kind and test each, the plan it took without statistics (ANALYZE)."""
        if self.dialect == "sqlite" and not self.whole_kinds and name in ("entity_type", "deleted"):
            return sa.literal_column(f"+search_document.{name}", d.c[name].type)
        return d.c[name]

    # -- conditions -----------------------------------------------------------------------------

    def condition(self, query: Query) -> sa.ColumnElement[bool]:
        if isinstance(query, MatchAll):
            return sa.true()
        if isinstance(query, MatchNone):
            return sa.false()
        if isinstance(query, Text):
            return self._text(query)
        if isinstance(query, Term):
            return self._term(query.field, query.values)
        if isinstance(query, Wildcard):
            return self._wildcard(query.field, query.pattern)
        if isinstance(query, Range):
            return self._range(query)
        if isinstance(query, Exists):
            return self._exists(query.field)
        if isinstance(query, And):
            return sa.and_(*(self.condition(item) for item in query.items))
        if isinstance(query, Or):
            conditions = [self.condition(item) for item in query.items]
            if query.minimum <= 1:
                return sa.or_(*conditions)
            matched = sum((sa.case((c, 1), else_=0) for c in conditions), sa.literal(0))
            return matched >= query.minimum
        return sa.not_(self.condition(query.item))

    def _text(self, text: Text) -> sa.ColumnElement[bool]:
        if self.dialect == "sqlite":
            return _DOC_ROWID.in_(
                sa.select(_FTS.c.rowid).where(
                    sa.literal_column("search_fts").op("MATCH")(sa.literal(fts5(text)))
                )
            )
        if self.dialect == "postgresql":
            tsquery = sa.func.to_tsquery(sa.literal_column("'simple'"), sa.literal(ts_query(text)))
            return sa.literal_column("search_document.tsv").op("@@")(tsquery)
        return mysql_text(text)[0]

    def _term(self, name: str, values: Sequence[str]) -> sa.ColumnElement[bool]:
        kind = field_kind(name)
        if kind == "column":
            column = self.column(COLUMN_FIELDS[name])
            typed = [column_value(name, value) for value in values]
            return column == typed[0] if len(typed) == 1 else column.in_(typed)
        stored = stored_field(name)
        if self.keyed(stored):
            return self._key_term(stored, kind, values)
        if kind == "text":
            alternatives = []
            for value in values:
                words = WORD.findall(value.lower())
                if not words:
                    continue
                alternatives.append(
                    sa.and_(*(_has(stored, [sort_key(word)]) for word in dict.fromkeys(words)))
                )
            return sa.or_(*alternatives) if alternatives else sa.false()
        keys = [sort_key(v.lower() if kind == "folded" else v) for v in values]
        return _has(stored, keys)

    def _wildcard(self, name: str, pattern: str) -> sa.ColumnElement[bool]:
        if "*" not in pattern and "?" not in pattern:
            return self._term(name, [pattern])
        if pattern.strip("*") == "":
            return self._exists(name)
        kind = field_kind(name)
        if kind == "column":
            return self._matches(d.c[COLUMN_FIELDS[name]], pattern)
        stored = stored_field(name)
        if kind in ("text", "folded"):
            pattern = pattern.lower()
        prefix = pattern[: _first_wildcard(pattern)]
        suffix = pattern[_last_wildcard(pattern) + 1 :]
        # One index range: on an FQN's end when it has one (the entity's own name, where an
        # FQN's beginning names a whole service), read from the reversed values, else on the
        # literal beginning. A range on both let the database pick the beginning
        # ("service.*.orders" read the whole service).
        if stored in REVERSED_FIELDS and (len(suffix) >= _SELECTIVE_SUFFIX or len(suffix) > len(prefix)):
            stored, pattern, prefix = stored + REVERSED, pattern[::-1], suffix[::-1]

        if self.keyed(stored):
            return self._key_wildcard(stored, pattern, prefix)

        def matched(column: sa.ColumnElement[Any]) -> list[sa.ColumnElement[bool]]:
            conditions = [self._matches(column, pattern)]
            if prefix:
                conditions += [column >= prefix, column < prefix + _TOP]
            return conditions

        return _stored_match(stored, matched)

    def _matches(self, column: sa.ColumnElement[Any], pattern: str) -> sa.ColumnElement[bool]:
        # Matched on an expression of the column, which no index serves: the database must not
        # turn the pattern's beginning into a range of its own and prefer it to the one chosen.
        column = sa.func.coalesce(column, "")
        if self.dialect == "sqlite":
            # GLOB is SQLite's case-sensitive LIKE, with * and ? as Lucene has them.
            return column.op("GLOB")(pattern.replace("[", "[[]"))
        like = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return column.like(like.replace("*", "%").replace("?", "_"), escape="\\")

    def _range(self, query: Range) -> sa.ColumnElement[bool]:
        bounds = [(query.gt, "__gt__"), (query.gte, "__ge__"), (query.lt, "__lt__"), (query.lte, "__le__")]
        if field_kind(query.field) == "column":
            column: sa.ColumnElement[Any] = d.c[COLUMN_FIELDS[query.field]]
            return sa.and_(
                sa.true(),
                *(
                    getattr(column, op)(column_value(query.field, bound))
                    for bound, op in bounds
                    if bound is not None
                ),
            )

        def within(column: sa.ColumnElement[Any]) -> list[sa.ColumnElement[bool]]:
            return [getattr(column, op)(bound) for bound, op in bounds if bound is not None]

        stored = stored_field(query.field)
        if self.keyed(stored):
            # Values compared on the document's own columns, as the terms held them.
            if stored == "name":
                return search_keys.word_between(bounds)
            return sa.and_(search_keys.has_field(stored), *within(search_keys.value_column(stored)))
        return _stored_match(stored, within)

    # -- on SQLite, the fields kept as tokens (tessera.storage.search_keys) ---------------------

    def keyed(self, stored: str) -> bool:
        return self.dialect == "sqlite" and stored in search_keys.KEY_FIELDS

    def _key_term(self, stored: str, kind: str, values: Sequence[str]) -> sa.ColumnElement[bool]:
        if kind == "text":
            found = [WORD.findall(value.lower()) for value in values]
            alternatives = [list(dict.fromkeys(sort_key(word) for word in words)) for words in found if words]
            return search_keys.all_words(alternatives) if alternatives else sa.false()
        return search_keys.any_of(stored, [sort_key(v.lower() if kind == "folded" else v) for v in values])

    def _key_wildcard(self, stored: str, pattern: str, prefix: str) -> sa.ColumnElement[bool]:
        """A token prefix query finds the values with the pattern's literal beginning; the
        rest of the pattern, if any, is checked on the value."""
        if stored == "name":
            check = search_keys.word_matches(pattern)
        else:
            check = self._matches(search_keys.value_column(stored), pattern)
        if not prefix:
            return sa.and_(search_keys.has_field(stored), check)
        found = search_keys.beginning(stored, prefix)
        return found if pattern == prefix + "*" else sa.and_(found, check)

    def _exists(self, name: str) -> sa.ColumnElement[bool]:
        if field_kind(name) == "column":
            return sa.true()
        stored = whole_value_field(name)
        if self.keyed(stored):
            return search_keys.has_field(stored)
        return _stored_match(stored, lambda _column: [])


def _has(stored: str, keys: list[str]) -> sa.ColumnElement[bool]:
    def equal(column: sa.ColumnElement[Any]) -> list[sa.ColumnElement[bool]]:
        return [column == keys[0] if len(keys) == 1 else column.in_(keys)]

    return _stored_match(stored, equal)


def _stored_match(stored: str, conditions: search_inherited.ValueConditions) -> sa.ColumnElement[bool]:
    """Documents with a value of ``stored`` that meets ``conditions``: among their own
    search_term rows, or taken from their parent (tessera.storage.search_inherited)."""
    own = d.c.entity_id.in_(sa.select(t.c.entity_id).where(t.c.field == stored, *conditions(t.c.value)))
    inherited = search_inherited.matching(stored, conditions)
    return sa.or_(own, *inherited) if inherited else own


def _first_wildcard(pattern: str) -> int:
    found = [i for i in (pattern.find("*"), pattern.find("?")) if i >= 0]
    return min(found) if found else len(pattern)


def _last_wildcard(pattern: str) -> int:
    return max(pattern.rfind("*"), pattern.rfind("?"))


def _driver(query: Query) -> Text | None:
    if isinstance(query, Text):
        return query
    if isinstance(query, And):
        return next((item for item in query.items if isinstance(item, Text)), None)
    return None


def _without(query: Query, driver: Text) -> Query:
    if query is driver:
        return MatchAll()
    assert isinstance(query, And)
    rest = [item for item in query.items if item is not driver]
    return rest[0] if len(rest) == 1 else And(tuple(rest))


# -- counting, paging, facets ---------------------------------------------------------------------


def _count(conn: Connection, plan: _Plan, up_to: int | None) -> tuple[int, bool]:
    matches = sa.select(sa.literal(1)).select_from(plan.source).where(*plan.filters)
    if up_to is not None:
        matches = matches.limit(up_to + 1)
    total = int(conn.execute(sa.select(sa.func.count()).select_from(matches.subquery())).scalar_one())
    if up_to is not None and total > up_to:
        return up_to, False
    return total, True


def _page(conn: Connection, plan: _Plan, search: Search) -> list[Hit]:
    if search.sort == "_score":
        return _page_by_score(conn, plan, search)
    column = _SORT_COLUMNS[search.sort]
    if plan.walk is not None or plan.arms is not None:
        after = None
        if search.search_after is not None:
            last, entity_id = _after(search.search_after, 2)
            after = (_sort_value(search.sort, last), entity_id)
        found = _index_page(conn, plan, column, search, after)
        return [Hit(entity_id, 1.0, [key, entity_id]) for entity_id, key in found]
    ordering = _sort_key(plan, column)
    score = plan.score if plan.score is not None else sa.literal(1.0)
    query = sa.select(d.c.entity_id, column.label("key"), score.label("score")).select_from(plan.source)
    query = query.where(*plan.filters)
    if search.search_after is not None:
        last, entity_id = _after(search.search_after, 2)
        query = query.where(
            beyond(conn, column, _sort_value(search.sort, last), entity_id, search.descending)
        )
    order = (ordering.desc(), d.c.entity_id.desc()) if search.descending else (ordering, d.c.entity_id)
    rows = conn.execute(query.order_by(*order).offset(search.offset).limit(search.size))
    return [Hit(row.entity_id, float(row.score), [row.key, row.entity_id]) for row in rows]


def _index_page(
    conn: Connection,
    plan: _Plan,
    column: sa.ColumnElement[Any],
    search: Search,
    after: tuple[Any, str] | None,
) -> list[tuple[str, Any]]:
    """The page a dense term's walk or a merge of whole kinds' indexes reads (search_walk)."""
    if plan.walk is not None:
        return walk_page(conn, plan.walk, column, search, after)
    return merged_page(conn, plan.arms or [], column, search, after)


def _page_by_score(conn: Connection, plan: _Plan, search: Search) -> list[Hit]:
    if plan.walk is not None or plan.arms is not None:
        after = None
        if search.search_after is not None:
            _score, name, entity_id = _after(search.search_after, 3)
            after = (name, entity_id)
        found = _index_page(conn, plan, d.c.name, replace(search, descending=False), after)
        return [Hit(entity_id, 1.0, [1.0, key, entity_id]) for entity_id, key in found]
    if plan.score is None:
        # Every match scores alike: relevance order is name order, an index walk.
        by_name = sa.select(d.c.entity_id, d.c.name).select_from(plan.source).where(*plan.filters)
        if search.search_after is not None:
            _score, name, entity_id = _after(search.search_after, 3)
            by_name = by_name.where(beyond(conn, d.c.name, name, entity_id, descending=False))
        name_key = _sort_key(plan, d.c.name)
        rows = conn.execute(
            by_name.order_by(name_key, d.c.entity_id).offset(search.offset).limit(search.size)
        )
        return [Hit(row.entity_id, 1.0, [1.0, row.name, row.entity_id]) for row in rows]
    window = (
        sa.select(d.c.entity_id, d.c.name, plan.score.label("score"))
        .select_from(plan.source)
        .where(*plan.filters)
        .limit(RANK_WINDOW)
        .subquery()
    )
    query: sa.Select[Any] = sa.select(window.c.entity_id, window.c.name, window.c.score)
    if search.search_after is not None:
        score_text, name, entity_id = _after(search.search_after, 3)
        score = _float(score_text)
        worse = window.c.score < score if search.descending else window.c.score > score
        query = query.where(
            sa.or_(
                worse,
                sa.and_(
                    window.c.score == score,
                    sa.or_(
                        window.c.name > name, sa.and_(window.c.name == name, window.c.entity_id > entity_id)
                    ),
                ),
            )
        )
    first = window.c.score.desc() if search.descending else window.c.score
    rows = conn.execute(
        query.order_by(first, window.c.name, window.c.entity_id).offset(search.offset).limit(search.size)
    )
    return [Hit(row.entity_id, float(row.score), [float(row.score), row.name, row.entity_id]) for row in rows]


def _sort_key(plan: _Plan, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """What to ORDER BY. A narrowed query on SQLite sorts its matches: ``+column`` keeps SQLite
    from walking the sort order's index and testing every entity of the kind against the
    filter, which it chose for a rare FQN when the database had no statistics (ANALYZE)."""
    if plan.dialect == "sqlite" and not plan.whole_kinds:
        return sa.literal_column(f"+search_document.{column.name}")
    return column


def _after(values: Sequence[str], count: int) -> list[str]:
    if len(values) != count:
        raise BadRequest(
            f"search_after has {len(values)} values; give the {count} sort values of the last hit of "
            "the previous page, in order"
        )
    return list(values)


def _sort_value(sort: str, value: str) -> Any:
    if sort == "updated_at":
        try:
            return int(value)
        except ValueError:
            raise BadRequest(f"search_after: {value!r} is not an updatedAt value") from None
    return value


def _float(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise BadRequest(f"search_after: {value!r} is not a score") from None
