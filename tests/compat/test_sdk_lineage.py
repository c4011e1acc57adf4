"""OpenMetadata's SDK (2.0.7.0, unchanged) on lineage and table data against ``tessera serve``:
add, read and delete lineage, sample data, profiles, profiler configuration, usage, joins and
queries. What comes back has been through the client's own models (``extra='forbid'``).

One server and one SDK worker serve the module; each test works in a service of its own.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.compat.client import Sdk
from tests.compat.test_sdk import make_schema, put_table

pytestmark = [pytest.mark.compat, pytest.mark.slow]

DAY = 86_400_000
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def tables(sdk: Sdk, service: str, *names: str) -> dict[str, dict[str, Any]]:
    schema = make_schema(sdk, service)["schema"]["fullyQualifiedName"]
    return {name: put_table(sdk, schema, name, "email", "amount") for name in names}


def edge(up: dict[str, Any], down: dict[str, Any], **details: Any) -> dict[str, Any]:
    return {
        "edge": {
            "fromEntity": {"id": up["id"], "type": "table"},
            "toEntity": {"id": down["id"], "type": "table"},
            **({"lineageDetails": details} if details else {}),
        }
    }


def test_add_lineage_returns_the_upstream_entitys_lineage(sdk: Sdk) -> None:
    t = tables(sdk, "sdk_lineage", "raw", "clean", "report")
    raw, clean, report = t["raw"], t["clean"], t["report"]
    column = f"{clean['fullyQualifiedName']}.amount"
    added = sdk.call(
        "add_lineage",
        request=edge(
            raw,
            clean,
            sqlQuery="INSERT INTO clean SELECT * FROM raw",
            source="QueryLineage",
            columnsLineage=[{"fromColumns": [f"{raw['fullyQualifiedName']}.amount"], "toColumn": column}],
        ),
    )
    assert "error" not in added, added
    assert added["entity"]["id"] == raw["id"]
    (down,) = added["downstreamEdges"]
    assert (down["fromEntity"], down["toEntity"]) == (raw["id"], clean["id"])
    assert down["lineageDetails"]["columnsLineage"][0]["toColumn"] == column
    assert "error" not in sdk.call("add_lineage", request=edge(clean, report))

    by_name = sdk.call(
        "get_lineage_by_name", entity="table", fqn=clean["fullyQualifiedName"], up_depth=1, down_depth=1
    )
    assert {n["fullyQualifiedName"] for n in by_name["nodes"]} == {
        raw["fullyQualifiedName"],
        report["fullyQualifiedName"],
    }
    assert [e["fromEntity"] for e in by_name["upstreamEdges"]] == [raw["id"]]
    assert [e["toEntity"] for e in by_name["downstreamEdges"]] == [report["id"]]
    deep = sdk.call("get_lineage_by_id", entity="table", entity_id=raw["id"], up_depth=0, down_depth=2)
    assert {n["name"] for n in deep["nodes"]} == {"clean", "report"}
    assert deep["upstreamEdges"] == []

    sdk.call("delete_lineage_edge", edge=edge(clean, report)["edge"])
    after = sdk.call("get_lineage_by_id", entity="table", entity_id=clean["id"])
    assert after["downstreamEdges"] == []
    assert [n["name"] for n in after["nodes"]] == ["raw"]


def test_a_refused_edge_comes_back_as_the_clients_error(sdk: Sdk) -> None:
    t = tables(sdk, "sdk_lineage_bad", "a", "b")
    bad = edge(t["a"], t["b"], columnsLineage=[{"fromColumns": ["nope.nope"], "toColumn": "x.y"}])
    answer = sdk.call("add_lineage", request=bad)
    assert "Error 400" in answer["error"]
    assert "fromColumns" in answer["error"]


def test_sample_data_round_trips_through_the_client(sdk: Sdk) -> None:
    table = tables(sdk, "sdk_sample", "people")["people"]
    sample = {"columns": ["id", "email"], "rows": [[1, "ann@example.com"], [2, "bob@example.com"]]}
    stored = sdk.call("ingest_table_sample_data", table_fqn=table["fullyQualifiedName"], sample=sample)
    assert stored == sample
    got = sdk.call("get_sample_data", table_fqn=table["fullyQualifiedName"])
    assert got["id"] == table["id"]
    assert got["sampleData"]["rows"] == [[1, "ann@example.com"], [2, "bob@example.com"]]


def test_profiles_profiler_config_usage_and_joins(sdk: Sdk) -> None:
    t = tables(sdk, "sdk_profile", "orders", "customers")
    orders = t["orders"]
    fqn = orders["fullyQualifiedName"]
    for day, rows in enumerate((100, 120)):
        at = T0 + day * DAY
        profiled = sdk.call(
            "ingest_profile_data",
            table_fqn=fqn,
            request={
                "tableProfile": {"timestamp": at, "rowCount": rows, "columnCount": 3},
                "columnProfile": [{"name": "amount", "timestamp": at, "min": 1.5, "max": float(rows)}],
                "systemProfile": [{"timestamp": at, "operation": "INSERT", "rowsAffected": rows}],
            },
        )
        assert profiled["profile"]["rowCount"] == rows
    history = sdk.call("get_profile_data", fqn=fqn, start_ts=T0, end_ts=T0 + DAY)
    assert history["total"] == 2
    assert [p["rowCount"] for p in history["entities"]] == [120, 100]
    columns = sdk.call(
        "get_profile_data", fqn=f"{fqn}.amount", start_ts=T0, end_ts=T0 + DAY, profile_type="ColumnProfile"
    )
    assert [p["max"] for p in columns["entities"]] == [120.0, 100.0]
    system = sdk.call("get_profile_data", fqn=fqn, start_ts=T0, end_ts=T0 + DAY, profile_type="SystemProfile")
    assert [p["rowsAffected"] for p in system["entities"]] == [120, 100]
    latest = sdk.call("get_latest_table_profile", fqn=fqn)
    assert latest["profile"]["rowCount"] == 120
    assert {c["name"]: c.get("profile", {}).get("max") for c in latest["columns"]}["amount"] == 120.0

    configured = sdk.call(
        "create_or_update_table_profiler_config",
        fqn=fqn,
        config={"sampleDataCount": 25, "excludeColumns": ["email"]},
    )
    assert configured["tableProfilerConfig"]["sampleDataCount"] == 25

    sdk.call("publish_table_usage", table_fqn=fqn, usage={"date": "2026-01-02", "count": 7})
    sdk.call(
        "publish_frequently_joined_with",
        table_fqn=fqn,
        joins={
            "startDate": "2026-01-02",
            "dayCount": 1,
            "columnJoins": [
                {
                    "columnName": "id",
                    "joinedWith": [
                        {"fullyQualifiedName": f"{t['customers']['fullyQualifiedName']}.id", "joinCount": 4}
                    ],
                }
            ],
        },
    )
    table = sdk.call(
        "get_by_name", entity="table", fqn=fqn, fields=["usageSummary", "joins", "tableProfilerConfig"]
    )
    assert table["usageSummary"]["dailyStats"]["count"] == 7
    assert table["usageSummary"]["date"] == "2026-01-02"
    assert table["joins"]["columnJoins"][0]["joinedWith"][0]["joinCount"] == 4
    assert table["tableProfilerConfig"]["excludeColumns"] == ["email"]


def test_queries_are_created_once_and_linked_to_the_table(sdk: Sdk) -> None:
    table = tables(sdk, "sdk_queries", "orders")["orders"]
    query = {
        "query": "SELECT id FROM orders WHERE amount > 10",
        "service": "sdk_queries",
        "dialect": "SQLite",
    }
    sdk.call("ingest_entity_queries_data", table_fqn=table["fullyQualifiedName"], queries=[query])
    sdk.call("ingest_entity_queries_data", table_fqn=table["fullyQualifiedName"], queries=[query])
    found = sdk.call("get_entity_queries", entity_id=table["id"], fields=["queryUsedIn"])
    assert found is not None
    (stored,) = found
    assert stored["service"]["name"] == "sdk_queries"
    assert [ref["id"] for ref in stored["queryUsedIn"]] == [table["id"]]
    assert stored["checksum"] == stored["name"]

    voted = sdk.call(
        "rest",
        method="put",
        path=f"/queries/{stored['id']}/vote",
        data=json.dumps({"updatedVoteType": "votedUp"}),
    )
    assert voted["changeDescription"]["fieldsUpdated"][0]["name"] == "votes"
    (read,) = sdk.call("get_entity_queries", entity_id=table["id"], fields=["votes"])
    assert (read["votes"]["upVotes"], read["votes"]["downVotes"]) == (1, 0)
    sdk.call(
        "rest",
        method="put",
        path=f"/queries/{stored['id']}/vote",
        data=json.dumps({"updatedVoteType": "unVoted"}),
    )
    (read,) = sdk.call("get_entity_queries", entity_id=table["id"], fields=["votes"])
    assert read["votes"] == {"upVotes": 0, "downVotes": 0, "upVoters": [], "downVoters": []}
