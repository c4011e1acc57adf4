"""OpenMetadata's SDK (2.0.7.0, unchanged) with classifications, tags, glossaries and tag labels:
its own create requests, lookups by name, listing by parent, and its tag patch helpers.

Everything below came back through the SDK's pydantic models (``extra='forbid'``). One server and
one SDK worker serve the module.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.compat.client import Sdk, SdkError
from tests.compat.test_sdk import make_schema

pytestmark = [pytest.mark.compat, pytest.mark.slow]


def label(tag_fqn: str, source: str = "Classification") -> dict[str, Any]:
    return {"tagFQN": tag_fqn, "source": source, "labelType": "Manual", "state": "Confirmed"}


def test_the_built_in_tags_are_found_by_name_and_listed_by_parent(sdk: Sdk) -> None:
    tier1 = sdk.call("get_by_name", entity="tag", fqn="Tier.Tier1")
    assert tier1["fullyQualifiedName"] == "Tier.Tier1"
    assert tier1["classification"]["name"] == "Tier"
    page = sdk.call("list_entities", entity="tag", params={"parent": "Tier"}, limit=10)
    assert [t["name"] for t in page["entities"]] == ["Tier1", "Tier2", "Tier3", "Tier4", "Tier5"]
    assert page["total"] == 5
    pii = sdk.call("get_by_name", entity="classification", fqn="PII", fields=["*"])
    assert pii["mutuallyExclusive"] is True
    assert pii["provider"] == "system"


def test_create_or_update_makes_classifications_nested_tags_glossaries_and_terms(sdk: Sdk) -> None:
    classification = sdk.call(
        "create_or_update",
        entity="classification",
        request={"name": "Quality", "description": "How good it is", "mutuallyExclusive": True},
    )
    assert classification["fullyQualifiedName"] == "Quality"
    good = sdk.call(
        "create_or_update",
        entity="tag",
        request={"name": "Good", "description": "Fine", "classification": "Quality"},
    )
    assert good["fullyQualifiedName"] == "Quality.Good"
    best = sdk.call(
        "create_or_update",
        entity="tag",
        request={
            "name": "Best",
            "description": "Finer",
            "classification": "Quality",
            "parent": "Quality.Good",
        },
    )
    assert best["fullyQualifiedName"] == "Quality.Good.Best"
    assert best["parent"]["id"] == good["id"]
    assert sdk.call("get_by_name", entity="tag", fqn="Quality.Good.Best")["id"] == best["id"]
    listed = sdk.call("list_entities", entity="tag", params={"parent": "Quality"})["entities"]
    assert {t["fullyQualifiedName"] for t in listed} == {"Quality.Good", "Quality.Good.Best"}
    again = sdk.call(
        "create_or_update",
        entity="tag",
        request={"name": "Good", "description": "Fine", "classification": "Quality"},
    )
    assert (again["id"], again["version"]) == (good["id"], good["version"])

    glossary = sdk.call(
        "create_or_update", entity="glossary", request={"name": "Sales", "description": "Sales words"}
    )
    assert glossary["fullyQualifiedName"] == "Sales"
    deal = sdk.call(
        "create_or_update",
        entity="glossaryTerm",
        request={
            "name": "Deal",
            "glossary": "Sales",
            "description": "An agreement",
            "synonyms": ["Contract"],
        },
    )
    assert deal["fullyQualifiedName"] == "Sales.Deal"
    assert deal["entityStatus"] == "Approved"
    closed = sdk.call(
        "create_or_update",
        entity="glossaryTerm",
        request={
            "name": "Closed.Won",
            "glossary": "Sales",
            "parent": "Sales.Deal",
            "description": "Signed",
            "relatedTerms": ["Sales.Deal"],
        },
    )
    assert closed["fullyQualifiedName"] == 'Sales.Deal."Closed.Won"'
    assert closed["relatedTerms"][0]["term"]["id"] == deal["id"]
    found = sdk.call("get_by_name", entity="glossaryTerm", fqn='Sales.Deal."Closed.Won"')
    assert found["id"] == closed["id"]


def test_tags_on_tables_and_columns_through_the_patch_helpers(sdk: Sdk) -> None:
    schema_fqn = make_schema(sdk, "sdk_tags")["schema"]["fullyQualifiedName"]
    # The patch helpers diff against what they read: the table starts with one label, and its
    # column with an empty list of them (until empty lists are always served).
    email_column = {"name": "email", "dataType": "VARCHAR", "dataLength": 80, "tags": []}
    table = sdk.call(
        "create_or_update",
        entity="table",
        request={
            "name": "people",
            "databaseSchema": schema_fqn,
            "columns": [{"name": "id", "dataType": "BIGINT"}, email_column],
            "tags": [label("Tier.Tier3")],
        },
    )
    assert [t["tagFQN"] for t in table["tags"]] == ["Tier.Tier3"]
    assert table["tags"][0]["name"] == "Tier3"

    patched = sdk.call(
        "patch_tag", entity="table", entity_id=table["id"], label=label("PersonalData.Personal")
    )
    assert [t["tagFQN"] for t in patched["tags"]] == ["Tier.Tier3", "PersonalData.Personal"]
    assert patched["tags"][1]["description"].startswith("Data that can be used to directly")
    removed = sdk.call(
        "patch_tag", entity="table", entity_id=table["id"], label=label("Tier.Tier3"), remove=True
    )
    assert [t["tagFQN"] for t in removed["tags"]] == ["PersonalData.Personal"]
    with pytest.raises(SdkError) as exclusive:
        sdk.call(
            "patch_tag", entity="table", entity_id=table["id"], label=label("PersonalData.SpecialCategory")
        )
    # The client wraps the 400 in a RuntimeError that carries the server's message.
    assert exclusive.value.kind == "RuntimeError"
    assert (
        "Tag labels PersonalData.SpecialCategory and PersonalData.Personal are mutually exclusive"
        in exclusive.value.detail
    )

    column_fqn = f"{table['fullyQualifiedName']}.email"
    tagged = sdk.call(
        "patch_column_tag", table_id=table["id"], column_fqn=column_fqn, label=label("PII.Sensitive")
    )
    email = next(c for c in tagged["columns"] if c["name"] == "email")
    assert [(t["tagFQN"], t["name"]) for t in email["tags"]] == [("PII.Sensitive", "Sensitive")]
    used = sdk.call("get_by_name", entity="tag", fqn="PII.Sensitive", fields=["usageCount"])
    assert used["usageCount"] == 1

    term_label = label("Sales.Deal", "Glossary")
    sdk.call("create_or_update", entity="glossary", request={"name": "Sales", "description": "Sales words"})
    sdk.call(
        "create_or_update",
        entity="glossaryTerm",
        request={"name": "Deal", "glossary": "Sales", "description": "An agreement"},
    )
    with_term = sdk.call("patch_tag", entity="table", entity_id=table["id"], label=term_label)
    assert with_term["tags"][-1]["source"] == "Glossary"
    assert with_term["tags"][-1]["name"] == "Deal"
