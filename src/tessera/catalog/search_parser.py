"""Reading OpenMetadata's search requests into :mod:`tessera.storage.search_query`'s tree.

Two languages, each with a real parser, never ``eval``:

- ``q`` and ``query_string`` queries are Lucene's query-string syntax (what OpenSearch's
  ``query_string`` accepts), parsed by `luqum <https://github.com/jurismarches/luqum>`_: fields
  (``name:orders``, ``service.name.keyword:prod``), ``AND``/``OR``/``NOT``, ``+``/``-``,
  groups, phrases, wildcards ``*`` and ``?``, ranges ``[a TO b]``, ``_exists_:field``.
  Free words (no field) search the entity's words, the last one as a prefix (as the UI's
  search box does); with ``fields`` given, they must match one of those fields.
- ``query_filter`` is OpenSearch's query DSL (``bool`` with must/should/must_not/filter;
  ``term``, ``terms``, ``match``, ``match_phrase``, ``prefix``, ``wildcard``, ``range``,
  ``exists``, ``ids``, ``query_string``, ``match_all``), optionally wrapped in ``{"query": ...}``
  with ``aggs`` beside it (OpenSearch's request body).

A field a search document does not carry is a 400 naming it, not a silent empty result.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from tessera.catalog.search_documents import INDEXED_PATHS
from tessera.errors import BadRequest
from tessera.storage.search import WORD
from tessera.storage.search_query import (
    ALIASES,
    COLUMN_FIELDS,
    Aggregation,
    Exists,
    MatchAll,
    MatchNone,
    Not,
    Or,
    Query,
    Range,
    Term,
    Text,
    Wildcard,
    conjunction,
    disjunction,
)

# Fields that are the entity's words rather than a value of their own: `description:x`
# searches the text. Column names are among the words (a table's twenty columns as rows of
# their own tripled what indexing a table cost).
FULL_TEXT_FIELDS = frozenset(
    {
        "description",
        "columns.name",
        "columns.description",
        "columns.displayName",
        "columns.children.name",
        "_all",
    }
)
_MAX_AGGREGATION_SIZE = 1_000


def searchable_fields() -> frozenset[str]:
    fields = set(INDEXED_PATHS) | set(COLUMN_FIELDS) | set(ALIASES) | FULL_TEXT_FIELDS
    return frozenset(fields | {f"{name}.keyword" for name in fields})


def _check_field(name: str, where: str) -> str:
    if name not in _known():
        raise BadRequest(
            f"{where}: field {name!r} is not in tessera's search documents; searchable fields are "
            f"{', '.join(sorted(f for f in _known() if not f.endswith('.keyword')))} "
            "(and their .keyword forms)"
        )
    return name


@functools.cache
def _known() -> frozenset[str]:
    return searchable_fields()


# -- Lucene query-string syntax -------------------------------------------------------------------


def parse_query_string(
    text: str,
    *,
    fields: Sequence[str] | None = None,
    default_operator: str = "AND",
    where: str = "q",
) -> Query:
    """A query in Lucene's syntax, as OpenSearch's ``query_string`` reads it."""
    if not text.strip() or text.strip() == "*":
        return MatchAll()
    # luqum builds its grammar tables when first imported: not at tessera's import.
    from luqum.exceptions import ParseError
    from luqum.parser import parser

    try:
        tree = parser.parse(text)
    except (ParseError, ValueError) as exc:
        raise BadRequest(f"{where}: {text!r} is not a valid query ({exc})") from None
    for name in fields or ():
        _check_field(name, where)
    reader = _LuceneReader(
        fields=tuple(fields or ()), conjunctive=default_operator.upper() != "OR", where=where
    )
    return reader.read(tree, None)


class _LuceneReader:
    def __init__(self, *, fields: tuple[str, ...], conjunctive: bool, where: str) -> None:
        self.fields = fields
        self.conjunctive = conjunctive
        self.where = where

    def read(self, node: Any, field: str | None) -> Query:
        from luqum import tree

        if isinstance(node, tree.SearchField):
            if node.name == "_exists_":
                name = _check_field(str(node.expr), self.where)
                return MatchAll() if name.removesuffix(".keyword") in FULL_TEXT_FIELDS else Exists(name)
            return self.read(node.expr, _check_field(node.name, self.where))
        if isinstance(node, tree.Group | tree.FieldGroup | tree.Boost):
            return self.read(node.expr, field)
        if isinstance(node, tree.AndOperation):
            return _and([self.read(child, field) for child in node.children])
        if isinstance(node, tree.OrOperation):
            return disjunction([self.read(child, field) for child in node.children])
        if isinstance(node, tree.UnknownOperation):
            return self._implicit(node.children, field)
        if isinstance(node, tree.Not | tree.Prohibit):
            return Not(self.read(node.a, field))
        if isinstance(node, tree.Plus):
            return self.read(node.a, field)
        if isinstance(node, tree.Fuzzy):
            return self.read(node.term, field)
        if isinstance(node, tree.Proximity | tree.Phrase):
            phrase = node.term if isinstance(node, tree.Proximity) else node
            return self._value(str(phrase.value).strip('"'), field, phrase=True)
        if isinstance(node, tree.Range):
            return self._range(node, field)
        if isinstance(node, tree.Word):
            return self._value(str(node.value), field, phrase=False)
        raise BadRequest(f"{self.where}: {str(node)!r} is not supported (regular expressions are not)")

    def _implicit(self, children: Sequence[Any], field: str | None) -> Query:
        """Terms side by side: each is required (default_operator AND) or any one is (OR);
        ``+x`` is always required and ``-x`` always excluded."""
        from luqum import tree

        required: list[Query] = []
        excluded: list[Query] = []
        optional: list[Query] = []
        for child in children:
            if isinstance(child, tree.Plus):
                required.append(self.read(child.a, field))
            elif isinstance(child, tree.Prohibit | tree.Not):
                excluded.append(Not(self.read(child.a, field)))
            elif self.conjunctive:
                required.append(self.read(child, field))
            else:
                optional.append(self.read(child, field))
        if optional and not required:
            required.append(disjunction(optional))
        return _and(required + excluded)

    def _value(self, value: str, field: str | None, *, phrase: bool) -> Query:
        if field is None and self.fields:
            return disjunction([self._value(value, name, phrase=phrase) for name in self.fields])
        wildcard = not phrase and ("*" in value or "?" in value)
        if field is None or field in FULL_TEXT_FIELDS:
            if value == "*":
                return MatchAll()
            words = tuple(w.lower() for w in WORD.findall(value))
            if not words:
                return MatchAll() if wildcard else MatchNone()
            return Text(words, prefix=not phrase)
        value = value.replace("\\", "")
        if wildcard:
            return Wildcard(field, value)
        return Term(field, (value,))

    def _range(self, node: Any, field: str | None) -> Query:
        if field is None:
            raise BadRequest(f"{self.where}: a range needs a field, as in updatedAt:[1700000000000 TO *]")
        low, high = str(node.low), str(node.high)
        return Range(
            field,
            gte=low if node.include_low and low != "*" else None,
            gt=low if not node.include_low and low != "*" else None,
            lte=high if node.include_high and high != "*" else None,
            lt=high if not node.include_high and high != "*" else None,
        )


def _and(items: list[Query]) -> Query:
    """A conjunction where side-by-side free words become one text (one full-text match)."""
    texts = [item for item in items if isinstance(item, Text) and not item.any_word]
    if len(texts) > 1:
        words = tuple(word for text in texts for word in text.words)
        merged = Text(words, prefix=texts[-1].prefix)
        items = [merged, *(item for item in items if item not in texts)]
    return conjunction(items)


def parse_field_query(name: str, value: str) -> Query:
    """``/search/fieldQuery``: the field has the value (``*`` and ``?`` wildcards allowed)."""
    return Wildcard(_check_field(name, "fieldName"), value)


# -- OpenSearch's query DSL -----------------------------------------------------------------------


def parse_filter(text: str | None) -> tuple[Query, list[Aggregation]]:
    """``query_filter``: a query (bare, or ``{"query": ...}`` with ``aggs`` beside it)."""
    if not text or not text.strip():
        return MatchAll(), []
    try:
        body = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"query_filter is not valid JSON ({exc})") from None
    if not isinstance(body, dict):
        raise BadRequest('query_filter must be a JSON object, such as {"query": {"bool": {...}}}')
    aggregations = parse_aggregations(body.get("aggs", body.get("aggregations")))
    if any(key in body for key in ("query", "aggs", "aggregations")):
        query = body.get("query")
        return (_dsl(query, "query_filter.query") if query is not None else MatchAll()), aggregations
    return _dsl(body, "query_filter"), aggregations


def parse_aggregations(aggs: Any) -> list[Aggregation]:
    if aggs is None:
        return []
    if not isinstance(aggs, dict):
        raise BadRequest("aggs must be an object of named aggregations")
    found = []
    for name, spec in aggs.items():
        terms = spec.get("terms") if isinstance(spec, dict) else None
        if not isinstance(terms, dict) or not isinstance(terms.get("field"), str):
            raise BadRequest(
                f'aggs.{name}: only terms aggregations are supported, as {{"terms": {{"field": ...}}}}'
            )
        size = terms.get("size", 10)
        if not isinstance(size, int) or not 0 < size <= _MAX_AGGREGATION_SIZE:
            raise BadRequest(f"aggs.{name}.terms.size must be between 1 and {_MAX_AGGREGATION_SIZE}")
        found.append(Aggregation(name, _check_field(terms["field"], f"aggs.{name}"), size))
    return found


def _dsl(node: Any, where: str) -> Query:
    if not isinstance(node, dict) or not node:
        raise BadRequest(f'{where} must be an object naming one query, such as {{"term": {{...}}}}')
    return conjunction([_clause(kind, body, f"{where}.{kind}") for kind, body in node.items()])


def _clause(kind: str, body: Any, where: str) -> Query:
    if kind in ("match_all", "match_none"):
        return MatchAll() if kind == "match_all" else MatchNone()
    if kind == "bool":
        return _bool(_object(body, where), where)
    if kind in ("nested", "constant_score", "function_score", "boosting"):
        inner = _object(body, where)
        key = "filter" if kind == "constant_score" else "positive" if kind == "boosting" else "query"
        return _dsl(inner.get(key, {"match_all": {}}), f"{where}.{key}")
    if kind == "ids":
        values = _object(body, where).get("values")
        if not isinstance(values, list):
            raise BadRequest(f"{where}.values must be a list of ids")
        return Term("_id", tuple(str(v) for v in values)) if values else MatchNone()
    if kind == "exists":
        name = _object(body, where).get("field")
        if not isinstance(name, str):
            raise BadRequest(f"{where}.field must name a field")
        if name.removesuffix(".keyword") in FULL_TEXT_FIELDS:
            return MatchAll()
        return Exists(_check_field(name, where))
    if kind in ("query_string", "simple_query_string", "multi_match"):
        spec = _object(body, where)
        if not isinstance(spec.get("query"), str):
            raise BadRequest(f"{where}.query must be a string")
        fields = [str(f).split("^", 1)[0] for f in spec.get("fields") or []]
        if kind == "multi_match":
            words = tuple(w.lower() for w in WORD.findall(spec["query"]))
            return Text(words, prefix=True) if words else MatchAll()
        return parse_query_string(
            spec["query"],
            fields=fields or None,
            default_operator=str(spec.get("default_operator", "OR")),
            where=where,
        )
    name, value = _single_field(body, where)
    if name.removesuffix(".keyword") in FULL_TEXT_FIELDS and kind != "range":
        return _full_text(kind, value, where)
    if kind == "term":
        return Term(name, (_scalar(_unwrap(value, "value"), where),))
    if kind == "terms":
        if not isinstance(value, list):
            raise BadRequest(f"{where}.{name} must be a list of values")
        return Term(name, tuple(_scalar(v, where) for v in value)) if value else MatchNone()
    if kind in ("match", "match_phrase", "match_phrase_prefix"):
        text = _scalar(_unwrap(value, "query"), where)
        operator = value.get("operator", "or") if isinstance(value, dict) else "or"
        split = WORD.findall(text)
        if kind == "match" and str(operator).lower() == "or" and len(split) > 1:
            return disjunction([Term(name, (word,)) for word in split])
        return Term(name, (text,))
    if kind in ("prefix", "wildcard"):
        pattern = _scalar(_unwrap(value, "value", "wildcard"), where)
        return Wildcard(name, pattern + "*" if kind == "prefix" else pattern)
    if kind == "range":
        if not isinstance(value, dict):
            raise BadRequest(f"{where}.{name} must be an object of gt/gte/lt/lte bounds")
        bounds = {
            op: _scalar(value[op], where) for op in ("gt", "gte", "lt", "lte") if value.get(op) is not None
        }
        return Range(name, **bounds)
    raise BadRequest(
        f"{where}: {kind!r} queries are not supported; use bool, term, terms, match, match_phrase, "
        "prefix, wildcard, range, exists, ids, query_string or match_all"
    )


def _full_text(kind: str, value: Any, where: str) -> Query:
    """A query on one of FULL_TEXT_FIELDS: its words among the entity's words."""
    if kind == "terms":
        if not isinstance(value, list):
            raise BadRequest(f"{where} must be a list of values")
        return disjunction([_full_text("term", v, where) for v in value])
    text = _scalar(_unwrap(value, "value", "query", "wildcard"), where)
    words = tuple(w.lower() for w in WORD.findall(text))
    if not words:
        return MatchNone()
    prefix = kind in ("prefix", "wildcard", "match_phrase_prefix")
    if kind == "match" and len(words) > 1:
        operator = value.get("operator", "or") if isinstance(value, dict) else "or"
        if str(operator).lower() == "or":
            return Text(words, any_word=True)
    return Text(words, prefix=prefix)


def _bool(spec: Mapping[str, Any], where: str) -> Query:
    def clauses(key: str) -> list[Query]:
        value = spec.get(key)
        if value is None:
            return []
        items = value if isinstance(value, list) else [value]
        return [_dsl(item, f"{where}.{key}[{i}]") for i, item in enumerate(items)]

    required = clauses("must") + clauses("filter")
    excluded: list[Query] = [Not(item) for item in clauses("must_not")]
    should = clauses("should")
    minimum = spec.get("minimum_should_match", 0 if required else 1)
    if isinstance(minimum, str):
        minimum = int(minimum.rstrip("%")) * len(should) // 100 if minimum.endswith("%") else int(minimum)
    if should and minimum > 0:
        required.append(disjunction(should) if minimum == 1 else Or(tuple(should), minimum))
    return conjunction(required + excluded)


def _object(body: Any, where: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise BadRequest(f"{where} must be an object")
    return body


def _single_field(body: Any, where: str) -> tuple[str, Any]:
    spec = {k: v for k, v in _object(body, where).items() if k not in ("boost", "_name", "case_insensitive")}
    if len(spec) != 1:
        raise BadRequest(f"{where} must name exactly one field")
    name, value = next(iter(spec.items()))
    return _check_field(name, where), value


def _unwrap(value: Any, *keys: str) -> Any:
    if isinstance(value, dict):
        for key in keys:
            if key in value:
                return value[key]
    return value


def _scalar(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise BadRequest(f"{where}: expected a string, number or boolean, not {orjson.dumps(value).decode()}")
