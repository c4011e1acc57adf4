"""Search through OpenMetadata's own SDK (2.0.7.0, unchanged): ``paginate_es`` sorted by FQN
and paged with ``search_after``, ``es_search_from_fqn`` with wildcards, a ``query_filter`` on
``tier.tagFQN``, and the person lookup by name with ``AND isBot:false``.

Every response went through the client's own ESResponse model. One server and one SDK worker
serve the module.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest

from tests.compat.client import Sdk
from tests.compat.test_sdk import make_schema, put_table

pytestmark = [pytest.mark.compat, pytest.mark.slow]

TIER1 = {"tagFQN": "Tier.Tier1", "source": "Classification", "labelType": "Manual", "state": "Confirmed"}


@pytest.fixture(scope="module")
def shop(sdk: Sdk) -> dict[str, Any]:
    """Ten tables in one schema; two of them Tier 1."""
    schema_fqn = make_schema(sdk, "search_shop")["schema"]["fullyQualifiedName"]
    tables = [
        put_table(sdk, schema_fqn, f"table_{i:02d}", tags=[TIER1] if i in (3, 7) else []) for i in range(10)
    ]
    return {"schema": schema_fqn, "tables": tables}


def test_paginate_es_pages_through_every_table_in_fqn_order(sdk: Sdk, shop: dict[str, Any]) -> None:
    service_filter = json.dumps({"query": {"term": {"service.name.keyword": "search_shop"}}})
    wanted = sorted((t["fullyQualifiedName"] for t in shop["tables"]), reverse=True)
    pages = sdk.call(
        "paginate_es_pages",
        entity="table",
        query_filter=service_filter,
        size=2,
        sort_field="fullyQualifiedName",
        sort_order="desc",
    )
    # Five full pages, then the empty one that tells the client it is done.
    assert [len(page) for page in pages] == [2, 2, 2, 2, 2, 0]
    assert [fqn for page in pages for fqn in page] == wanted
    tables = sdk.call("paginate_es", entity="table", query_filter=service_filter, size=2)
    assert [t["fullyQualifiedName"] for t in tables] == wanted


def test_es_search_from_fqn_finds_exact_and_wildcard_fqns(sdk: Sdk, shop: dict[str, Any]) -> None:
    table = shop["tables"][4]
    exact = sdk.call("es_search_from_fqn", entity="table", fqn_search_string=table["fullyQualifiedName"])
    assert [t["id"] for t in exact] == [table["id"]]
    wildcard = sdk.call("es_search_from_fqn", entity="table", fqn_search_string="search_shop.*.main.table_04")
    assert [t["id"] for t in wildcard] == [table["id"]]
    suffix = sdk.call("es_search_from_fqn", entity="table", fqn_search_string="*.table_0?")
    assert len(suffix) == 10


def test_query_filter_on_tier_finds_the_tier_1_tables(sdk: Sdk, shop: dict[str, Any]) -> None:
    query_filter = {
        "query": {
            "bool": {
                "must": [
                    {"term": {"tier.tagFQN": "Tier.Tier1"}},
                    {"term": {"service.name.keyword": "search_shop"}},
                ]
            }
        }
    }
    path = (
        "/search/query?q=&index=table_search_index&size=10&sort_field=name.keyword&sort_order=asc"
        f"&query_filter={quote(json.dumps(query_filter))}"
    )
    response = sdk.call("es_response", path=path)
    hits = response["hits"]["hits"]
    assert [hit["_source"]["name"] for hit in hits] == ["table_03", "table_07"]
    assert response["hits"]["total"] == {"relation": "eq", "value": 2}
    assert all(hit["_source"]["tier"]["tagFQN"] == "Tier.Tier1" for hit in hits)
    assert all(hit["sort"] for hit in hits)
    tables = sdk.call("paginate_es", entity="table", query_filter=json.dumps(query_filter), size=1)
    assert sorted(t["name"] for t in tables) == ["table_03", "table_07"]


def test_a_ranked_search_carries_scores(sdk: Sdk, shop: dict[str, Any]) -> None:
    response = sdk.call("es_response", path="/search/query?q=table_05&index=table_search_index&size=5")
    hits = response["hits"]["hits"]
    assert hits[0]["_source"]["name"] == "table_05"
    assert all(isinstance(hit["_score"], float) for hit in hits)


def test_a_person_is_found_by_name_and_not_a_bot(sdk: Sdk) -> None:
    person = sdk.call(
        "create_or_update",
        entity="user",
        request={"name": "random.user", "email": "random.user@example.com", "displayName": "Random User"},
    )
    assert sdk.call("search_user_by_name", name="random.user")["id"] == person["id"]
    assert sdk.call("search_user_by_name", name="Random User")["id"] == person["id"]
    # The ingestion bot is a user too, and isBot:false leaves it out.
    assert sdk.call("search_user_by_name", name="ingestion-bot") is None
