"""The search request parser: Lucene query strings and OpenSearch's query DSL into one tree."""

from __future__ import annotations

import json

import pytest

from tessera.catalog.search_parser import parse_filter, parse_query_string
from tessera.errors import BadRequest
from tessera.storage.search_query import (
    Aggregation,
    And,
    Exists,
    MatchAll,
    MatchNone,
    Not,
    Or,
    Range,
    Term,
    Text,
    Wildcard,
    stored_field,
)


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("", MatchAll()),
        ("*", MatchAll()),
        ("orders", Text(("orders",), prefix=True)),
        # Side-by-side words are one text: one full-text match, the last word a prefix.
        ("fact orders", Text(("fact", "orders"), prefix=True)),
        ("table_000042", Text(("table", "000042"), prefix=True)),
        ('"buy things"', Text(("buy", "things"), prefix=False)),
        ("name:orders", Term("name", ("orders",))),
        ("name.keyword:Orders", Term("name.keyword", ("Orders",))),
        ('displayName:"Random User"', Term("displayName", ("Random User",))),
        ("name:ord*", Wildcard("name", "ord*")),
        ("fullyQualifiedName:svc.*.t?", Wildcard("fullyQualifiedName", "svc.*.t?")),
        (
            "ada AND isBot:false",
            And((Text(("ada",), prefix=True), Term("isBot", ("false",)))),
        ),
        (
            "name:a OR name:b",
            Or((Term("name", ("a",)), Term("name", ("b",)))),
        ),
        ("NOT deleted:true", Not(Term("deleted", ("true",)))),
        (
            "+owners.name:ada -tags.tagFQN:PII.Sensitive",
            And((Term("owners.name", ("ada",)), Not(Term("tags.tagFQN", ("PII.Sensitive",))))),
        ),
        ("_exists_:tier.tagFQN", Exists("tier.tagFQN")),
        ("updatedAt:[10 TO *]", Range("updatedAt", gte="10")),
        ("updatedAt:{10 TO 20}", Range("updatedAt", gt="10", lt="20")),
        ("description:buy", Text(("buy",), prefix=True)),
        ("name:(a OR b)", Or((Term("name", ("a",)), Term("name", ("b",))))),
    ],
)
def test_query_strings(q: str, expected: object) -> None:
    assert parse_query_string(q) == expected


def test_default_operator_or_makes_side_by_side_terms_alternatives() -> None:
    parsed = parse_query_string("name:a name:b", default_operator="OR")
    assert parsed == Or((Term("name", ("a",)), Term("name", ("b",))))
    assert parse_query_string("name:a name:b") == And((Term("name", ("a",)), Term("name", ("b",))))


def test_fields_make_free_words_match_one_of_them() -> None:
    parsed = parse_query_string("ada AND isBot:false", fields=["name", "displayName"])
    assert parsed == And(
        (Or((Term("name", ("ada",)), Term("displayName", ("ada",)))), Term("isBot", ("false",)))
    )


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ("name:(a AND", "is not a valid query"),
        ("nosuch:x", "field 'nosuch'"),
        ("/reg.*ex/", "not supported"),
        ("[1 TO 2]", "a range needs a field"),
    ],
)
def test_bad_query_strings_are_refused_with_the_reason(q: str, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        parse_query_string(q)


def dsl(body: object) -> object:
    return parse_filter(json.dumps(body))[0]


def test_bool_queries() -> None:
    parsed = dsl(
        {
            "query": {
                "bool": {
                    "must": [{"term": {"tier.tagFQN": "Tier.Tier1"}}],
                    "filter": {"terms": {"owners.name": ["ada", "bob"]}},
                    "must_not": [{"term": {"deleted": True}}],
                    "should": [{"match": {"name": "x"}}],
                }
            }
        }
    )
    # With a must, should clauses only score: they do not filter.
    assert parsed == And(
        (
            Term("tier.tagFQN", ("Tier.Tier1",)),
            Term("owners.name", ("ada", "bob")),
            Not(Term("deleted", ("true",))),
        )
    )
    only_should = dsl({"bool": {"should": [{"term": {"name": "a"}}, {"term": {"name": "b"}}]}})
    assert only_should == Or((Term("name", ("a",)), Term("name", ("b",))))
    two_of = dsl({"bool": {"should": [{"term": {"name": "a"}}] * 3, "minimum_should_match": 2}})
    assert two_of == Or((Term("name", ("a",)),) * 3, minimum=2)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"term": {"entityType": {"value": "table"}}}, Term("entityType", ("table",))),
        ({"terms": {"service.name.keyword": []}}, MatchNone()),
        (
            {"match": {"displayName": "Random User"}},
            Or((Term("displayName", ("Random",)), Term("displayName", ("User",)))),
        ),
        (
            {"match": {"displayName": {"query": "Random User", "operator": "and"}}},
            Term("displayName", ("Random User",)),
        ),
        ({"match_phrase": {"description": "buy things"}}, Text(("buy", "things"), prefix=False)),
        ({"prefix": {"fullyQualifiedName": "svc.db"}}, Wildcard("fullyQualifiedName", "svc.db*")),
        (
            {"wildcard": {"fullyQualifiedName": {"value": "*.orders"}}},
            Wildcard("fullyQualifiedName", "*.orders"),
        ),
        ({"range": {"updatedAt": {"gte": 5, "lt": 9}}}, Range("updatedAt", gte="5", lt="9")),
        ({"exists": {"field": "owners.name"}}, Exists("owners.name")),
        ({"ids": {"values": ["a"]}}, Term("_id", ("a",))),
        ({"match_all": {}}, MatchAll()),
        ({"query_string": {"query": "name:x"}}, Term("name", ("x",))),
        (
            {"nested": {"path": "columns", "query": {"term": {"columns.name": "id"}}}},
            Text(("id",), prefix=False),
        ),
    ],
)
def test_leaf_queries(body: object, expected: object) -> None:
    assert dsl({"query": body}) == expected


def test_aggregations_beside_the_query() -> None:
    query, aggregations = parse_filter(
        json.dumps(
            {"query": {"match_all": {}}, "aggs": {"tiers": {"terms": {"field": "tier.tagFQN", "size": 5}}}}
        )
    )
    assert query == MatchAll()
    assert aggregations == [Aggregation("tiers", "tier.tagFQN", 5)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not valid JSON"),
        ("[1]", "must be a JSON object"),
        ('{"query": {"term": {"nope": 1}}}', "field 'nope'"),
        ('{"query": {"term": {"name": 1, "displayName": 2}}}', "exactly one field"),
        ('{"query": {"fuzzy": {"name": "x"}}}', "'fuzzy' queries are not supported"),
        ('{"query": {"term": {"name": {"a": [1]}}}}', "expected a string"),
        ('{"aggs": {"a": {"terms": {"field": "tier.tagFQN", "size": 0}}}}', "size must be between"),
    ],
)
def test_bad_filters_are_refused_naming_the_problem(text: str, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        parse_filter(text)


def test_column_names_are_searched_among_the_words() -> None:
    assert dsl({"terms": {"columns.name": ["a", "b"]}}) == Or((Text(("a",)), Text(("b",))))
    assert dsl({"wildcard": {"columns.name": "cust*"}}) == Text(("cust",), prefix=True)
    assert dsl({"exists": {"field": "columns.name"}}) == MatchAll()
    assert parse_query_string("columns.name:customer_id") == Text(("customer", "id"), prefix=True)


def test_keyword_forms_name_the_stored_field() -> None:
    assert stored_field("service.name.keyword") == "service.name"
    assert stored_field("service.displayName.keyword") == "service.name"
    assert stored_field("name.keyword") == "name.keyword"
    assert stored_field("email.keyword") == "email"
