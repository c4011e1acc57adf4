"""Glossaries and glossary terms on all three backends: FQNs (quoted names with dots), the
hierarchy, synonyms, related terms, reviewers and status, terms applied as labels."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.integration.catalog.helpers import SCHEMA, assert_valid_entity, make_hierarchy, ok


def term(client: TestClient, name: str, glossary: str, status: int = 201, **extra: Any) -> dict[str, Any]:
    body = {"name": name, "glossary": glossary, "description": f"About {name}", **extra}
    return ok(client.put("/api/v1/glossaryTerms", json=body), status)


def test_terms_nest_relate_and_start_approved_unless_reviewed(client: TestClient) -> None:
    user = ok(client.put("/api/v1/users", json={"name": "rita", "email": "rita@example.com"}), 201)
    ok(client.put("/api/v1/glossaries", json={"name": "Business", "description": "Words we use"}), 201)
    revenue = term(client, "Revenue", "Business", synonyms=["Income", "Turnover"])
    assert revenue["fullyQualifiedName"] == "Business.Revenue"
    assert revenue["entityStatus"] == "Approved"
    assert revenue["synonyms"] == ["Income", "Turnover"]
    net = term(client, "v1.0 Net", "Business", parent="Business.Revenue", relatedTerms=["Business.Revenue"])
    assert net["fullyQualifiedName"] == 'Business.Revenue."v1.0 Net"'
    assert net["parent"]["id"] == revenue["id"]
    assert net["glossary"]["name"] == "Business"
    assert [r["term"]["fullyQualifiedName"] for r in net["relatedTerms"]] == ["Business.Revenue"]
    assert_valid_entity("glossaryTerm", net)
    found = ok(client.get('/api/v1/glossaryTerms/name/Business.Revenue."v1.0 Net"'))
    assert found["id"] == net["id"]
    listed = ok(client.get("/api/v1/glossaryTerms", params={"glossary": "Business"}))["data"]
    assert {t["name"] for t in listed} == {"Revenue", "v1.0 Net"}
    direct = ok(client.get("/api/v1/glossaryTerms", params={"directChildrenOf": "Business"}))["data"]
    assert [t["name"] for t in direct] == ["Revenue"]
    unknown = client.put(
        "/api/v1/glossaryTerms",
        json={"name": "X", "glossary": "Business", "description": "x", "relatedTerms": ["Business.Nope"]},
    )
    assert unknown.status_code == 404
    assert "Business.Nope" in unknown.json()["message"]
    # Reviewed glossaries start their terms as Draft, their own reviewers or inherited.
    reviewers = [{"id": user["id"], "type": "user"}]
    reviewed = ok(
        client.put("/api/v1/glossaries", json={"name": "Legal", "description": "d", "reviewers": reviewers}),
        201,
    )
    assert reviewed["reviewers"][0]["name"] == "rita"
    assert term(client, "Contract", "Legal")["entityStatus"] == "Draft"
    assert term(client, "Clause", "Legal", parent="Legal.Contract")["entityStatus"] == "Draft"
    approved = ok(
        client.patch(
            f"/api/v1/glossaryTerms/{revenue['id']}",
            json=[{"op": "replace", "path": "/entityStatus", "value": "Deprecated"}],
        )
    )
    assert approved["entityStatus"] == "Deprecated"


def test_terms_are_labels_and_mutually_exclusive_glossaries_hold(client: TestClient) -> None:
    make_hierarchy(client)
    ok(
        client.put(
            "/api/v1/glossaries", json={"name": "Size", "description": "d", "mutuallyExclusive": True}
        ),
        201,
    )
    term(client, "Small", "Size")
    term(client, "Large", "Size")

    def label(name: str) -> dict[str, Any]:
        return {"tagFQN": name, "source": "Glossary", "labelType": "Manual", "state": "Confirmed"}

    body = {
        "name": "orders",
        "databaseSchema": SCHEMA,
        "columns": [{"name": "id", "dataType": "INT"}],
        "tags": [label("Size.Small")],
    }
    table = ok(client.put("/api/v1/tables", json=body), 201)
    assert table["tags"] == [
        {**label("Size.Small"), "name": "Small", "description": "About Small"},
    ]
    refused = client.put("/api/v1/tables", json={**body, "tags": [label("Size.Small"), label("Size.Large")]})
    assert refused.status_code == 400
    assert refused.json()["message"] == (
        "Tag labels Size.Large and Size.Small are mutually exclusive and can't be assigned together"
    )
    small = ok(client.get("/api/v1/glossaryTerms/name/Size.Small", params={"fields": "usageCount"}))
    assert small["usageCount"] == 1
    # Renaming the term renames the label.
    ok(
        client.patch(
            f"/api/v1/glossaryTerms/{small['id']}", json=[{"op": "replace", "path": "/name", "value": "Tiny"}]
        )
    )
    tags = ok(client.get(f"/api/v1/tables/{table['id']}", params={"fields": "tags"}))["tags"]
    assert [(t["tagFQN"], t["name"]) for t in tags] == [("Size.Tiny", "Tiny")]


def test_related_terms_are_related_both_ways(client: TestClient) -> None:
    ok(client.put("/api/v1/glossaries", json={"name": "Sales", "description": "d"}), 201)
    revenue = term(client, "Revenue", "Sales")
    income = term(client, "Income", "Sales", relatedTerms=["Sales.Revenue"])
    margin = term(client, "Margin", "Sales", relatedTerms=["Sales.Revenue", "Sales.Income"])

    def related(entity_id: str) -> list[str]:
        doc = ok(client.get(f"/api/v1/glossaryTerms/{entity_id}", params={"fields": "relatedTerms"}))
        return sorted(r["term"]["name"] for r in doc["relatedTerms"])

    # Relating Income to Revenue shows Income on Revenue too, without a new version of Revenue.
    assert related(revenue["id"]) == ["Income", "Margin"]
    assert related(income["id"]) == ["Margin", "Revenue"]
    assert ok(client.get(f"/api/v1/glossaryTerms/{revenue['id']}"))["version"] == revenue["version"]
    # Dropping the relation from one side drops it from the other.
    ok(
        client.put(
            "/api/v1/glossaryTerms",
            json={
                "name": "Margin",
                "glossary": "Sales",
                "description": "About Margin",
                "relatedTerms": ["Sales.Income"],
            },
        )
    )
    assert related(revenue["id"]) == ["Income"]
    assert related(margin["id"]) == ["Income"]
    # A term deleted for good leaves the terms it was related to.
    ok(client.delete(f"/api/v1/glossaryTerms/{income['id']}", params={"hardDelete": "true"}))
    assert related(revenue["id"]) == []
    assert related(margin["id"]) == []


def test_a_patch_of_related_terms_stores_whole_references_and_refuses_unknown_ones(
    client: TestClient,
) -> None:
    ok(client.put("/api/v1/glossaries", json={"name": "Finance", "description": "d"}), 201)
    revenue = term(client, "Revenue", "Finance", displayName="Revenue (gross)")
    margin = term(client, "Margin", "Finance")
    path = f"/api/v1/glossaryTerms/{margin['id']}"
    # OpenMetadata's UI sends the reference it has, often only {id, type}.
    patched = ok(
        client.patch(
            path,
            json=[
                {
                    "op": "add",
                    "path": "/relatedTerms",
                    "value": [{"term": {"id": revenue["id"], "type": "glossaryTerm"}}],
                }
            ],
            headers={"Content-Type": "application/json-patch+json"},
        )
    )
    (relation,) = patched["relatedTerms"]
    assert relation["relationType"] == "relatedTo"
    assert relation["term"]["name"] == "Revenue"
    assert relation["term"]["fullyQualifiedName"] == "Finance.Revenue"
    assert relation["term"]["displayName"] == "Revenue (gross)"
    assert_valid_entity("glossaryTerm", patched)
    # The other side lists it, with its whole reference too.
    other = ok(client.get(f"/api/v1/glossaryTerms/{revenue['id']}", params={"fields": "relatedTerms"}))
    assert [r["term"]["fullyQualifiedName"] for r in other["relatedTerms"]] == ["Finance.Margin"]

    def refused(value: list[dict[str, Any]]) -> dict[str, Any]:
        response = client.patch(
            path,
            json=[{"op": "add", "path": "/relatedTerms", "value": value}],
            headers={"Content-Type": "application/json-patch+json"},
        )
        assert response.status_code in (400, 404), response.text
        return {"status": response.status_code, "message": response.json()["message"]}

    missing = "7c0a4a52-2a4e-4bcb-8f1b-0f4f8f7a1c11"
    assert refused([{"term": {"id": missing, "type": "glossaryTerm"}}]) == {
        "status": 404,
        "message": f"relatedTerms: glossaryTerm instance for {missing} not found",
    }
    assert refused([{"term": {"id": margin["id"], "type": "glossaryTerm"}}])["message"] == (
        "relatedTerms: glossary term Finance.Margin cannot be related to itself"
    )
    user = ok(client.put("/api/v1/users", json={"name": "ulla", "email": "ulla@example.com"}), 201)
    assert refused([{"term": {"id": user["id"], "type": "user"}}])["status"] == 400
    # Nothing refused was stored.
    stored = ok(client.get(path, params={"fields": "relatedTerms"}))
    assert [r["term"]["name"] for r in stored["relatedTerms"]] == ["Revenue"]
    assert stored["version"] == patched["version"]


def test_a_patch_of_reviewers_and_status_names_live_users(client: TestClient) -> None:
    ok(client.put("/api/v1/glossaries", json={"name": "Risk", "description": "d"}), 201)
    exposure = term(client, "Exposure", "Risk")
    rita = ok(client.put("/api/v1/users", json={"name": "rita", "email": "rita@example.com"}), 201)
    path = f"/api/v1/glossaryTerms/{exposure['id']}"
    patched = ok(
        client.patch(
            path,
            json=[
                {"op": "add", "path": "/reviewers", "value": [{"id": rita["id"], "type": "user"}]},
                {"op": "replace", "path": "/entityStatus", "value": "In Review"},
            ],
        )
    )
    assert [(r["name"], r["fullyQualifiedName"], r["type"]) for r in patched["reviewers"]] == [
        ("rita", "rita", "user")
    ]
    assert patched["entityStatus"] == "In Review"
    assert_valid_entity("glossaryTerm", patched)
    missing = "7c0a4a52-2a4e-4bcb-8f1b-0f4f8f7a1c11"
    refused = client.patch(
        path, json=[{"op": "add", "path": "/reviewers/-", "value": {"id": missing, "type": "user"}}]
    )
    assert refused.status_code == 404
    assert refused.json()["message"] == f"reviewers: user {missing} not found"
    assert [r["name"] for r in ok(client.get(path, params={"fields": "reviewers"}))["reviewers"]] == ["rita"]
