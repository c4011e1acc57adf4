"""Search shows only what the caller may view: deny wins there as on GET /tables.

The audit: a user denied ViewAll on ``table`` got 403 on GET /tables, but
/api/v1/search/query?q=salary&index=table_search_index returned the table's full _source.
"""

from __future__ import annotations

import json
from typing import Any

from tests.integration.catalog.helpers import DATABASE, SCHEMA, SERVICE, columns
from tests.integration.security.conftest import Session

STRONG = "Str0ng!Passw0rd-for-tests"


def _catalog(session: Session, headers: dict[str, str], owner: dict[str, Any] | None = None) -> None:
    client = session.client
    assert (
        client.put(
            "/api/v1/services/databaseServices",
            json={"name": SERVICE, "serviceType": "SQLite"},
            headers=headers,
        ).status_code
        == 201
    )
    assert (
        client.put(
            "/api/v1/databases", json={"name": "testdb", "service": SERVICE}, headers=headers
        ).status_code
        == 201
    )
    assert (
        client.put(
            "/api/v1/databaseSchemas", json={"name": "main", "database": DATABASE}, headers=headers
        ).status_code
        == 201
    )
    for name, extra in (
        ("salary", {"description": "Every salary, by person"}),
        ("salary_bands", {}),
        ("orders", {}),
    ):
        if owner is not None and name == "salary_bands":
            extra = {"owners": [{"id": owner["id"], "type": "user"}]}
        response = client.put(
            "/api/v1/tables",
            json={"name": name, "databaseSchema": SCHEMA, "columns": columns("id"), **extra},
            headers=headers,
        )
        assert response.status_code == 201, response.text


def _restricted_user(
    session: Session, admin: str, rule: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    a = session.as_(admin)
    policy = session.client.put("/api/v1/policies", json={"name": "Restriction", "rules": [rule]}, headers=a)
    assert policy.status_code == 201, policy.text
    role = session.client.put(
        "/api/v1/roles", json={"name": "Restricted", "policies": ["Restriction"]}, headers=a
    )
    assert role.status_code == 201, role.text
    consumer = session.client.get("/api/v1/roles/name/DataConsumer", headers=a).json()
    user = session.create_user(admin, "heidi", password=STRONG, roles=[consumer["id"], role.json()["id"]])
    return user, session.as_(session.token_for("heidi", STRONG))


def _search(session: Session, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = session.client.get("/api/v1/search/query", params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()["hits"]
    return body


def _names(hits: dict[str, Any]) -> list[str]:
    return sorted(hit["_source"]["name"] for hit in hits["hits"])


def test_search_hides_what_a_deny_rule_hides(session: Session) -> None:
    admin = session.admin_token()
    a = session.as_(admin)
    _catalog(session, a)
    _, h = _restricted_user(
        session, admin, {"name": "deny", "resources": ["table"], "operations": ["ViewAll"], "effect": "deny"}
    )
    assert session.client.get("/api/v1/tables", headers=h).status_code == 403
    assert _search(session, a, q="salary", index="table_search_index")["total"]["value"] == 2

    hidden = _search(session, h, q="salary", index="table_search_index")
    assert hidden == {"total": {"value": 0, "relation": "eq"}, "max_score": None, "hits": []}
    everything = _search(session, h, q="*", index="all", size=50)
    assert "table" not in {hit["_source"]["entityType"] for hit in everything["hits"]}
    assert everything["total"]["value"] == len(everything["hits"])
    assets = _search(session, h, q="*", index="dataAsset", size=50)
    assert _names(assets) == ["local_sqlite", "main", "testdb"]
    assert assets["total"]["value"] == 3
    # The exact paths: field queries, query_filter, fieldQuery.
    assert _search(session, h, q="name.keyword:salary", index="table_search_index")["hits"] == []
    query_filter = json.dumps({"query": {"bool": {"must": [{"query_string": {"query": "salary"}}]}}})
    assert _search(session, h, q="*", index="all", query_filter=query_filter)["hits"] == []
    field = session.client.get(
        "/api/v1/search/fieldQuery",
        params={"fieldName": "fullyQualifiedName", "fieldValue": f"{SCHEMA}.salary"},
        headers=h,
    )
    assert field.status_code == 200
    assert field.json()["hits"]["hits"] == []
    assert field.json()["hits"]["total"]["value"] == 0


def test_search_decides_per_document_where_a_condition_does(session: Session) -> None:
    admin = session.admin_token()
    a = session.as_(admin)
    heidi, h = _restricted_user(
        session,
        admin,
        {
            "name": "others",
            "resources": ["table"],
            "operations": ["ViewAll"],
            "effect": "deny",
            "condition": "!isOwner()",
        },
    )
    _catalog(session, a, owner=heidi)
    mine = _search(session, h, q="*", index="table_search_index")
    assert _names(mine) == ["salary_bands"]
    assert mine["total"] == {"value": 1, "relation": "eq"}
    assert _search(session, h, q="salary", index="table_search_index", **{"from": 1})["hits"] == []
    assert _names(_search(session, h, q="name.keyword:salary_bands", index="table_search_index")) == [
        "salary_bands"
    ]
    assert _search(session, h, q="name.keyword:salary", index="table_search_index")["hits"] == []
    everything = _search(session, h, q="*", index="all", size=50)
    assert [
        hit["_source"]["name"] for hit in everything["hits"] if hit["_index"] == "table_search_index"
    ] == ["salary_bands"]
    assert everything["total"]["value"] == len(everything["hits"])


def test_facets_count_only_what_the_caller_may_see(session: Session) -> None:
    admin = session.admin_token()
    a = session.as_(admin)
    heidi, h = _restricted_user(
        session,
        admin,
        {
            "name": "others",
            "resources": ["table"],
            "operations": ["ViewAll"],
            "effect": "deny",
            "condition": "!isOwner()",
        },
    )
    _catalog(session, a, owner=heidi)
    aggs = {
        "aggs": {
            "schemas": {"terms": {"field": "databaseSchema.name"}},
            "types": {"terms": {"field": "entityType"}},
        }
    }
    response = session.client.get(
        "/api/v1/search/query",
        params={"q": "*", "index": "table_search_index", "size": 0, "query_filter": json.dumps(aggs)},
        headers=h,
    )
    assert response.status_code == 200, response.text
    facets = response.json()["aggregations"]
    # Three tables in the schema; heidi may see the one she owns, and the facets say one.
    assert facets["sterms#schemas"]["buckets"] == [{"key": "main", "doc_count": 1}]
    assert facets["sterms#types"]["buckets"] == [{"key": "table", "doc_count": 1}]
