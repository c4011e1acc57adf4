"""Classifications, tags and tag labels on all three backends: the built-in ones, nesting and
listing by parent, labels validated and filled in, mutual exclusion, certification dates, usage
counts, and labels following a tag that is renamed or deleted."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.integration.catalog.helpers import (
    SCHEMA,
    assert_valid_entity,
    make_hierarchy,
    ok,
    put_table,
)


def label(tag_fqn: str, source: str = "Classification") -> dict[str, Any]:
    return {"tagFQN": tag_fqn, "source": source, "labelType": "Manual", "state": "Confirmed"}


def tagged_table(client: TestClient, name: str, tags: list[dict[str, Any]], column_tags: Any = None) -> Any:
    body = {
        "name": name,
        "databaseSchema": SCHEMA,
        "columns": [{"name": "email", "dataType": "VARCHAR", "dataLength": 64, "tags": column_tags or []}],
        "tags": tags,
    }
    return client.put("/api/v1/tables", json=body)


def test_the_built_in_classifications_and_tags_exist(client: TestClient) -> None:
    tier = ok(client.get("/api/v1/classifications/name/Tier", params={"fields": "*"}))
    assert tier["provider"] == "system"
    assert tier["mutuallyExclusive"] is True
    assert_valid_entity("classification", tier)
    listed = ok(client.get("/api/v1/tags", params={"parent": "Tier", "limit": 50}))
    assert [t["fullyQualifiedName"] for t in listed["data"]] == [f"Tier.Tier{i}" for i in range(1, 6)]
    assert listed["paging"]["total"] == 5
    tier1 = ok(client.get("/api/v1/tags/name/Tier.Tier1"))
    assert tier1["description"].startswith("**Critical Source of Truth business data assets")
    assert tier1["classification"]["name"] == "Tier"
    assert_valid_entity("tag", tier1)
    gold = ok(client.get("/api/v1/tags/name/Certification.Gold"))
    assert gold["style"] == {"color": "#FFD700"}
    names = {t["name"] for t in ok(client.get("/api/v1/tags", params={"parent": "PII"}))["data"]}
    assert {"Sensitive", "NonSensitive"} <= names
    assert ok(client.get("/api/v1/tags/name/PersonalData.SpecialCategory"))["name"] == "SpecialCategory"


def test_nested_tags_have_the_fqn_of_their_parent_and_list_under_it(client: TestClient) -> None:
    ok(client.put("/api/v1/classifications", json={"name": "Area", "description": "Business areas"}), 201)
    sales = ok(
        client.put("/api/v1/tags", json={"name": "Sales", "description": "s", "classification": "Area"}), 201
    )
    emea = ok(
        client.put(
            "/api/v1/tags",
            json={"name": "EMEA", "description": "e", "classification": "Area", "parent": "Area.Sales"},
        ),
        201,
    )
    assert emea["fullyQualifiedName"] == "Area.Sales.EMEA"
    assert emea["parent"]["id"] == sales["id"]
    assert emea["classification"]["name"] == "Area"
    # parent= lists everything below, at any depth; directChildrenOf= only the first level.
    below_area = ok(client.get("/api/v1/tags", params={"parent": "Area"}))["data"]
    assert [t["fullyQualifiedName"] for t in below_area] == ["Area.Sales.EMEA", "Area.Sales"]
    below_sales = ok(client.get("/api/v1/tags", params={"parent": "Area.Sales"}))["data"]
    assert [t["name"] for t in below_sales] == ["EMEA"]
    assert ok(client.get("/api/v1/tags", params={"parent": "Nope"}))["data"] == []
    children = ok(client.get(f"/api/v1/tags/{sales['id']}", params={"fields": "children"}))["children"]
    assert [c["fullyQualifiedName"] for c in children] == ["Area.Sales.EMEA"]
    # A parent from another classification is refused.
    wrong = client.put(
        "/api/v1/tags",
        json={"name": "X", "description": "x", "classification": "PII", "parent": "Area.Sales"},
    )
    assert wrong.status_code == 400
    assert "Area.Sales" in wrong.json()["message"]
    # Deleting the classification takes its tags with it; restoring brings them back.
    area = ok(client.get("/api/v1/classifications/name/Area"))
    refused = client.delete(f"/api/v1/classifications/{area['id']}")
    assert refused.status_code == 400
    ok(client.delete(f"/api/v1/classifications/{area['id']}", params={"recursive": "true"}))
    assert client.get("/api/v1/tags/name/Area.Sales.EMEA").status_code == 404
    ok(client.put("/api/v1/classifications/restore", json={"id": area["id"]}))
    assert ok(client.get("/api/v1/tags/name/Area.Sales.EMEA"))["id"] == emea["id"]


def test_labels_are_validated_and_filled_in_from_the_tag(client: TestClient) -> None:
    make_hierarchy(client)
    table = ok(
        tagged_table(
            client,
            "people",
            [label("Tier.Tier2"), label("PersonalData.Personal"), label("Tier.Tier2")],
            [label("PII.Sensitive")],
        ),
        201,
    )
    tags = ok(client.get(f"/api/v1/tables/{table['id']}", params={"fields": "tags"}))["tags"]
    assert [t["tagFQN"] for t in tags] == ["Tier.Tier2", "PersonalData.Personal"]
    assert tags[0]["name"] == "Tier2"
    assert tags[0]["description"].startswith("**Important business datasets")
    assert table["columns"][0]["tags"][0]["name"] == "Sensitive"
    assert_valid_entity("table", table)

    unknown = tagged_table(client, "bad", [label("PII.Secret")])
    assert unknown.status_code == 400
    assert "PII.Secret" in unknown.json()["message"]
    glossary_source = tagged_table(client, "bad", [label("PII.Sensitive", "Glossary")])
    assert glossary_source.status_code == 400
    # Two tags of a mutually exclusive classification, in OpenMetadata's words.
    both = tagged_table(client, "bad", [], [label("PII.Sensitive"), label("PII.NonSensitive")])
    assert both.status_code == 400
    assert both.json()["message"] == (
        "Tag labels PII.NonSensitive and PII.Sensitive are mutually exclusive and can't be assigned together"
    )
    tiers = tagged_table(client, "bad", [label("Tier.Tier1"), label("Tier.Tier3")])
    assert tiers.status_code == 400
    assert "mutually exclusive" in tiers.json()["message"]
    # A classification that is not mutually exclusive allows several of its tags.
    ok(client.put("/api/v1/classifications", json={"name": "Topic", "description": "t"}), 201)
    for name in ("Sales", "Finance"):
        ok(
            client.put("/api/v1/tags", json={"name": name, "description": name, "classification": "Topic"}),
            201,
        )
    ok(tagged_table(client, "multi", [label("Topic.Sales"), label("Topic.Finance")]), 201)
    # A disabled tag cannot be put on an entity; a table that already carries it keeps it.
    sales = ok(client.get("/api/v1/tags/name/Topic.Sales"))
    ok(client.patch(f"/api/v1/tags/{sales['id']}", json=[{"op": "add", "path": "/disabled", "value": True}]))
    disabled = tagged_table(client, "other", [label("Topic.Sales")])
    assert disabled.status_code == 400
    assert (
        disabled.json()["message"]
        == "Tag label Topic.Sales is disabled and can't be assigned to a data asset."
    )
    ok(tagged_table(client, "multi", [label("Topic.Sales"), label("Topic.Finance")]))


def test_usage_counts_and_search_follow_the_labels(client: TestClient) -> None:
    make_hierarchy(client)
    ok(tagged_table(client, "a", [label("Tier.Tier1")], [label("PII.Sensitive")]), 201)
    ok(tagged_table(client, "b", [label("Tier.Tier1")]), 201)
    tier1 = ok(client.get("/api/v1/tags/name/Tier.Tier1", params={"fields": "usageCount"}))
    assert tier1["usageCount"] == 2
    tier = ok(client.get("/api/v1/classifications/name/Tier", params={"fields": "usageCount,termCount"}))
    assert (tier["usageCount"], tier["termCount"]) == (2, 5)
    found = ok(
        client.get("/api/v1/search/query", params={"q": "PII.Sensitive", "index": "table_search_index"})
    )
    assert [hit["_source"]["name"] for hit in found["hits"]["hits"]] == ["a"]
    b = ok(client.get(f"/api/v1/tables/name/{SCHEMA}.b"))
    ok(client.delete(f"/api/v1/tables/{b['id']}"))
    assert ok(client.get("/api/v1/tags/name/Tier.Tier1", params={"fields": "usageCount"}))["usageCount"] == 1


def test_renaming_and_deleting_a_tag_updates_the_labels_that_carry_it(client: TestClient) -> None:
    make_hierarchy(client)
    ok(client.put("/api/v1/classifications", json={"name": "Domain", "description": "d"}), 201)
    ok(client.put("/api/v1/tags", json={"name": "Ops", "description": "o", "classification": "Domain"}), 201)
    ok(
        client.put(
            "/api/v1/tags",
            json={"name": "Infra", "description": "i", "classification": "Domain", "parent": "Domain.Ops"},
        ),
        201,
    )
    table = ok(tagged_table(client, "hosts", [label("Domain.Ops")], [label("Domain.Ops.Infra")]), 201)
    ops = ok(client.get("/api/v1/tags/name/Domain.Ops"))
    renamed = ok(
        client.patch(f"/api/v1/tags/{ops['id']}", json=[{"op": "replace", "path": "/name", "value": "Run"}])
    )
    assert renamed["fullyQualifiedName"] == "Domain.Run"
    assert (
        ok(client.get("/api/v1/tags/name/Domain.Run.Infra"))["parent"]["fullyQualifiedName"] == "Domain.Run"
    )
    assert client.get("/api/v1/tags/name/Domain.Ops").status_code == 404
    after = ok(client.get(f"/api/v1/tables/{table['id']}", params={"fields": "tags"}))
    assert [t["tagFQN"] for t in after["tags"]] == ["Domain.Run"]
    assert [t["tagFQN"] for t in after["columns"][0]["tags"]] == ["Domain.Run.Infra"]
    assert after["version"] == table["version"]
    # Renaming the classification moves every tag below it, and the labels with them.
    domain = ok(client.get("/api/v1/classifications/name/Domain"))
    ok(
        client.patch(
            f"/api/v1/classifications/{domain['id']}",
            json=[{"op": "replace", "path": "/name", "value": "Area"}],
        )
    )
    assert ok(client.get("/api/v1/tags/name/Area.Run.Infra"))["classification"]["name"] == "Area"
    after = ok(client.get(f"/api/v1/tables/{table['id']}", params={"fields": "tags"}))
    assert [t["tagFQN"] for t in after["tags"]] == ["Area.Run"]
    assert [t["tagFQN"] for t in after["columns"][0]["tags"]] == ["Area.Run.Infra"]
    assert (
        ok(client.get("/api/v1/tags/name/Area.Run.Infra", params={"fields": "usageCount"}))["usageCount"] == 1
    )
    # A taken name is a conflict.
    run = ok(client.get("/api/v1/tags/name/Area.Run"))
    ok(client.put("/api/v1/tags", json={"name": "Taken", "description": "t", "classification": "Area"}), 201)
    clash = client.patch(
        f"/api/v1/tags/{run['id']}", json=[{"op": "replace", "path": "/name", "value": "Taken"}]
    )
    assert clash.status_code == 409
    # Deleted for good, a tag leaves the entities that carried it.
    ok(client.delete(f"/api/v1/tags/{run['id']}", params={"recursive": "true", "hardDelete": "true"}))
    after = ok(client.get(f"/api/v1/tables/{table['id']}", params={"fields": "tags"}))
    assert after["tags"] == []
    assert after["columns"][0]["tags"] == []


def test_certification_is_dated_by_the_server(client: TestClient) -> None:
    make_hierarchy(client)
    table = ok(put_table(client, "certified"), 201)
    sent = {"tagLabel": label("Certification.Gold"), "appliedDate": 1, "expiryDate": 2}
    patched = ok(
        client.patch(
            f"/api/v1/tables/{table['id']}", json=[{"op": "add", "path": "/certification", "value": sent}]
        )
    )
    certification = patched["certification"]
    assert certification["tagLabel"]["name"] == "Gold"
    assert certification["appliedDate"] > 1_000_000_000_000
    assert certification["expiryDate"] - certification["appliedDate"] == 30 * 24 * 3600 * 1000
    wrong = {"tagLabel": label("Tier.Tier1"), "appliedDate": 1, "expiryDate": 2}
    refused = client.patch(
        f"/api/v1/tables/{table['id']}", json=[{"op": "replace", "path": "/certification", "value": wrong}]
    )
    assert refused.status_code == 400
    assert "Certification" in refused.json()["message"]
