"""/api/v1/search/query as OpenMetadata's client and UI use it, on SQLite, PostgreSQL and
MariaDB: query_filter in OpenSearch's DSL, q in Lucene's syntax, sorting, search_after paging,
facet counts and ranking."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tessera.storage.search_query import MatchAll, Search
from tests.integration.catalog.helpers import DATABASE, SCHEMA, SERVICE, make_hierarchy, ok, put_table

OTHER_SCHEMA = f"{DATABASE}.sales"


def tag(fqn: str) -> dict[str, Any]:
    return {"tagFQN": fqn, "source": "Classification", "labelType": "Manual", "state": "Confirmed"}


@pytest.fixture
def catalog(client: TestClient) -> dict[str, Any]:
    """Six tables in two schemas, with owners, tiers, tags and described columns."""
    make_hierarchy(client)
    ok(client.put("/api/v1/databaseSchemas", json={"name": "sales", "database": DATABASE}), 201)
    ada = ok(client.put("/api/v1/users", json={"name": "ada", "email": "ada@example.com"}), 201)
    bob = ok(client.put("/api/v1/users", json={"name": "bob", "email": "bob@example.com"}), 201)
    owner = {"ada": [{"id": ada["id"], "type": "user"}], "bob": [{"id": bob["id"], "type": "user"}]}
    tables = [
        (
            "customers",
            ("customer_id", "email"),
            "People who buy things",
            "ada",
            ["Tier.Tier1", "PII.Sensitive"],
        ),
        ("orders", ("order_id", "customer_id"), "Orders placed by customers", "bob", ["Tier.Tier2"]),
        (
            "order_items",
            ("order_id", "sku"),
            "Lines of orders: orders, orders, orders",
            "bob",
            ["Tier.Tier2"],
        ),
        ("products", ("sku", "title"), "What is sold", None, []),
        ("invoices", ("invoice_id",), "Money asked for orders", "ada", ["Tier.Tier1"]),
    ]
    for name, cols, description, who, tags in tables:
        extra: dict[str, Any] = {"description": description, "tags": [tag(t) for t in tags]}
        if who:
            extra["owners"] = owner[who]
        ok(put_table(client, name, *cols, **extra), 201)
    ok(put_table(client, "leads", "email", schema=OTHER_SCHEMA, description="Maybe customers"), 201)
    return {"ada": ada, "bob": bob}


def search(client: TestClient, **params: Any) -> dict[str, Any]:
    params.setdefault("index", "table_search_index")
    if isinstance(params.get("query_filter"), dict):
        params["query_filter"] = json.dumps(params["query_filter"])
    return ok(client.get("/api/v1/search/query", params={"size": 50, **params}))


def names(body: dict[str, Any]) -> list[str]:
    return [hit["_source"]["name"] for hit in body["hits"]["hits"]]


def found(client: TestClient, **params: Any) -> list[str]:
    return sorted(names(search(client, **params)))


def test_query_filter_reads_opensearch_bool_queries_on_the_documents_fields(
    client: TestClient, catalog: dict[str, Any]
) -> None:
    def where(query: dict[str, Any]) -> list[str]:
        return found(client, q="*", query_filter={"query": query})

    assert where({"term": {"tier.tagFQN": "Tier.Tier1"}}) == ["customers", "invoices"]
    assert where({"terms": {"tags.tagFQN": ["PII.Sensitive", "Tier.Tier2"]}}) == [
        "customers",
        "order_items",
        "orders",
    ]
    assert where({"term": {"owners.name": "bob"}}) == ["order_items", "orders"]
    assert where({"match": {"columns.name": "SKU"}}) == ["order_items", "products"]
    assert where({"term": {"databaseSchema.name": "sales"}}) == ["leads"]
    assert where({"term": {"service.name.keyword": SERVICE}}) == sorted(
        ["customers", "orders", "order_items", "products", "invoices", "leads"]
    )
    assert where({"term": {"database.name": "nope"}}) == []
    assert where(
        {
            "bool": {
                "must": [{"term": {"owners.name": "ada"}}],
                "must_not": [{"term": {"tags.tagFQN": "PII.Sensitive"}}],
            }
        }
    ) == ["invoices"]
    assert where(
        {
            "bool": {
                "should": [
                    {"term": {"tier.tagFQN": "Tier.Tier1"}},
                    {"term": {"owners.name": "ada"}},
                    {"term": {"columns.name": "sku"}},
                ],
                "minimum_should_match": 2,
            }
        }
    ) == ["customers", "invoices"]
    assert where({"bool": {"filter": [{"exists": {"field": "tier.tagFQN"}}]}}) == [
        "customers",
        "invoices",
        "order_items",
        "orders",
    ]
    assert where({"prefix": {"fullyQualifiedName": f"{SCHEMA}.order"}}) == ["order_items", "orders"]
    # A leading wildcard on the FQN reads the reversed values' index.
    assert where({"wildcard": {"fullyQualifiedName": "*.main.orders"}}) == ["orders"]
    assert where({"wildcard": {"fullyQualifiedName": f"{SERVICE}.*.sales.lead?"}}) == ["leads"]
    assert where({"match_phrase": {"description": "buy things"}}) == ["customers"]
    assert where({"ids": {"values": []}}) == []
    assert where({"range": {"updatedAt": {"gte": 0}}}) == where({"match_all": {}})
    assert where({"range": {"updatedAt": {"lt": 0}}}) == []


def test_q_reads_lucene_query_string_syntax(client: TestClient, catalog: dict[str, Any]) -> None:
    assert found(client, q="orders") == ["invoices", "order_items", "orders"]
    assert found(client, q="cust") == ["customers", "leads", "orders"]
    assert found(client, q="name:orders") == ["orders"]
    assert found(client, q="name.keyword:order_items") == ["order_items"]
    assert found(client, q="name:order*") == ["order_items", "orders"]
    assert found(client, q="name:?rders") == ["orders"]
    assert found(client, q='"buy things"') == ["customers"]
    assert found(client, q="orders AND NOT owners.name:bob") == ["invoices"]
    assert found(client, q="tier.tagFQN:Tier.Tier1 OR columns.name:sku") == [
        "customers",
        "invoices",
        "order_items",
        "products",
    ]
    assert found(client, q="-tier.tagFQN:Tier.Tier2 +owners.name:ada") == ["customers", "invoices"]
    assert found(client, q="_exists_:owners.name AND NOT _exists_:tier.tagFQN") == []
    assert found(client, q="fullyQualifiedName:*.sales.*") == ["leads"]


def test_query_string_with_fields_and_isbot_finds_people_by_name(
    client: TestClient, catalog: dict[str, Any]
) -> None:
    filters = {
        "query": {
            "query_string": {
                "query": "ada AND isBot:false",
                "fields": ["name", "displayName"],
                "default_operator": "AND",
            }
        }
    }
    body = search(client, index="user_search_index", query_filter=filters)
    assert names(body) == ["ada"]
    bots = search(client, index="user_search_index", q="isBot:true")
    assert names(bots)
    assert all(hit["_source"]["isBot"] for hit in bots["hits"]["hits"])
    by_email = search(client, index="user_search_index", q="email.keyword:bob@example.com")
    assert names(by_email) == ["bob"]


def test_sorting_and_search_after_walk_every_hit_once_in_order(
    client: TestClient, catalog: dict[str, Any]
) -> None:
    every = search(client, q="*", sort_field="fullyQualifiedName", sort_order="desc")
    fqns = [hit["_source"]["fullyQualifiedName"] for hit in every["hits"]["hits"]]
    assert fqns == sorted(fqns, reverse=True)
    assert len(fqns) == 6
    assert all(hit["sort"][0] == hit["_source"]["fullyQualifiedName"] for hit in every["hits"]["hits"])

    for sort_field, sort_order in (
        ("fullyQualifiedName", "desc"),
        ("name.keyword", "asc"),
        ("_score", "desc"),
    ):
        walked: list[str] = []
        after: list[str] | None = None
        for _ in range(10):
            params: dict[str, Any] = {"q": "*", "size": 2, "sort_field": sort_field, "sort_order": sort_order}
            if after:
                params["search_after"] = [str(v) for v in after]
            page = search(client, **params)
            if not page["hits"]["hits"]:
                break
            assert page["hits"]["total"]["value"] == 6
            walked += [hit["_source"]["fullyQualifiedName"] for hit in page["hits"]["hits"]]
            after = page["hits"]["hits"][-1]["sort"]
        assert sorted(walked) == sorted(fqns), sort_field
        assert len(walked) == 6, sort_field
        if sort_field == "fullyQualifiedName":
            assert walked == fqns
        if sort_field == "name.keyword":
            assert [fqn.rsplit(".", 1)[1] for fqn in walked] == sorted(fqn.rsplit(".", 1)[1] for fqn in fqns)

    # A ranked search pages by score as well.
    ranked = [hit["_id"] for hit in search(client, q="orders")["hits"]["hits"]]
    first = search(client, q="orders", size=1)["hits"]["hits"][0]
    rest = search(client, q="orders", size=10, search_after=[str(v) for v in first["sort"]])
    assert [first["_id"]] + [hit["_id"] for hit in rest["hits"]["hits"]] == ranked


def test_ranking_scores_the_best_match_first(client: TestClient, catalog: dict[str, Any]) -> None:
    body = search(client, q="orders")
    hits = body["hits"]["hits"]
    scores = [hit["_score"] for hit in hits]
    assert all(isinstance(score, float) for score in scores)
    assert scores == sorted(scores, reverse=True)
    assert body["hits"]["max_score"] == scores[0]
    # "orders" four times in its description and in its name: order_items ranks above the
    # tables that mention it once.
    assert names(body)[0] in ("order_items", "orders")
    assert names(body)[-1] in ("customers", "invoices")
    assert scores[0] > scores[-1]


def test_terms_aggregations_count_facets_of_the_matches(client: TestClient, catalog: dict[str, Any]) -> None:
    aggs = {
        "tier": {"terms": {"field": "tier.tagFQN"}},
        "tags": {"terms": {"field": "tags.tagFQN", "size": 2}},
        "owners": {"terms": {"field": "owners.displayName.keyword"}},
        "service": {"terms": {"field": "service.displayName.keyword"}},
        "schema": {"terms": {"field": "databaseSchema.displayName.keyword"}},
        "types": {"terms": {"field": "entityType"}},
    }
    body = search(client, q="*", index="all", query_filter={"query": {"match_all": {}}, "aggs": aggs}, size=0)
    facets = {
        name.split("#", 1)[1]: {b["key"]: b["doc_count"] for b in agg["buckets"]}
        for name, agg in body["aggregations"].items()
    }
    assert facets["tier"] == {"Tier.Tier1": 2, "Tier.Tier2": 2}
    assert facets["tags"] == {"Tier.Tier1": 2, "Tier.Tier2": 2}
    assert body["aggregations"]["sterms#tags"]["sum_other_doc_count"] == 1
    assert facets["schema"] == {"main": 5, "sales": 1}
    assert facets["types"]["table"] == 6
    assert facets["types"]["databaseSchema"] == 2
    assert facets["service"][SERVICE] >= 6 + 2 + 1
    assert facets["owners"] == {}  # users' display names: neither has one
    owners = {"owners": {"terms": {"field": "owners.name"}}}
    narrowed = search(client, q="orders", query_filter={"aggs": owners}, size=0)
    assert {b["key"]: b["doc_count"] for b in narrowed["aggregations"]["sterms#owners"]["buckets"]} == {
        "bob": 2,
        "ada": 1,
    }
    aggregate = ok(
        client.get("/api/v1/search/aggregate", params={"index": "table_search_index", "field": "tier.tagFQN"})
    )
    assert {b["key"]: b["doc_count"] for b in aggregate["aggregations"]["sterms#tier.tagFQN"]["buckets"]} == {
        "Tier.Tier1": 2,
        "Tier.Tier2": 2,
    }


def test_totals_are_counted_up_to_the_tracked_number(client: TestClient, catalog: dict[str, Any]) -> None:
    container = client.app.state.container  # type: ignore[attr-defined]
    capped, _ = container.catalog.search(Search(MatchAll(), ("table",), sort="name", count_up_to=3))
    assert (capped.total, capped.exact) == (3, False)
    exact, _ = container.catalog.search(Search(MatchAll(), ("table",), sort="name", count_up_to=None))
    assert (exact.total, exact.exact) == (6, True)
    body = search(client, q="*", track_total_hits="true")
    assert body["hits"]["total"] == {"value": 6, "relation": "eq"}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"query_filter": '{"term": {"nosuchfield": 1}}'}, "'nosuchfield'"),
        ({"query_filter": "{not json"}, "query_filter is not valid JSON"),
        ({"query_filter": '{"regexp": {"name": "x"}}'}, "'regexp' queries are not supported"),
        ({"q": "name:(a AND"}, "is not a valid query"),
        ({"q": "nofield:x"}, "'nofield'"),
        ({"sort_field": "rowCount"}, "sort_field 'rowCount'"),
        ({"sort_order": "up"}, "sort_order"),
        ({"sort_field": "name", "search_after": "x"}, "search_after has 1 values"),
        ({"from": 9_995, "size": 10}, "from + size"),
        ({"query_filter": '{"aggs": {"a": {"avg": {"field": "x"}}}}'}, "only terms aggregations"),
    ],
)
def test_bad_searches_are_a_400_naming_what_is_wrong(
    client: TestClient, params: dict[str, Any], message: str
) -> None:
    response = client.get("/api/v1/search/query", params={"q": "*", **params})
    assert response.status_code == 400, response.text
    assert message in response.json()["message"]


def test_hits_carry_owners_tags_and_tier_as_openmetadatas_table_index(
    client: TestClient, catalog: dict[str, Any]
) -> None:
    hits = {h["_source"]["name"]: h["_source"] for h in search(client, q="*")["hits"]["hits"]}
    customers = hits["customers"]
    assert [o["name"] for o in customers["owners"]] == ["ada"]
    assert sorted(t["tagFQN"] for t in customers["tags"]) == ["PII.Sensitive", "Tier.Tier1"]
    assert customers["tier"]["tagFQN"] == "Tier.Tier1"
    # Present and empty when there are none, as the entity itself answers with fields=owners,tags.
    assert hits["products"]["owners"] == []
    assert hits["products"]["tags"] == []
    assert "tier" not in hits["products"]
