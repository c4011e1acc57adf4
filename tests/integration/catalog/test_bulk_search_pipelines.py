from __future__ import annotations

from fastapi.testclient import TestClient

from tests.integration.catalog.helpers import SCHEMA, SERVICE, columns, make_hierarchy, ok, put_table


def test_bulk_writes_rows_and_reports_failures_per_row(client: TestClient) -> None:
    make_hierarchy(client)
    rows = [
        {"name": "good1", "databaseSchema": SCHEMA, "columns": columns("a")},
        {"name": "bad", "databaseSchema": SCHEMA, "columns": [{"name": "a", "dataType": "NOPE"}]},
        {"name": "orphan", "databaseSchema": "no.such.schema", "columns": columns("a")},
        {"name": "good2", "databaseSchema": SCHEMA, "columns": columns("a")},
    ]
    result = ok(client.put("/api/v1/tables/bulk?async=false&overrideMetadata=false", json=rows))
    assert result["numberOfRowsProcessed"] == 4
    assert result["numberOfRowsPassed"] == 2
    assert result["numberOfRowsFailed"] == 2
    assert result["status"] == "partialSuccess"
    failed = {f["request"]: f for f in result["failedRequest"]}
    assert "columns[0].dataType" in failed[f"{SCHEMA}.bad"]["message"]
    assert failed["no.such.schema.orphan"]["status"] == 404
    assert ok(client.get(f"/api/v1/tables?databaseSchema={SCHEMA}"))["paging"]["total"] == 2
    again = ok(client.put("/api/v1/tables/bulk", json=[rows[0], rows[3]]))
    assert [r["message"] for r in again["successRequest"]] == ["unchanged", "unchanged"]
    assert client.put("/api/v1/tables/bulk", json={"not": "a list"}).status_code == 400


def test_delete_stale_soft_deletes_what_was_not_seen(client: TestClient) -> None:
    make_hierarchy(client)
    for name in ("keep", "gone"):
        ok(put_table(client, name), 201)
    body = {
        "scopeFqn": SCHEMA,
        "scopeEntityType": "databaseSchema",
        "seenFqns": [f"{SCHEMA}.keep"],
        "recursive": True,
    }
    result = ok(client.request("DELETE", "/api/v1/tables/deleteStale", json=body))
    assert result["successRequest"] == [{"request": f"{SCHEMA}.gone", "message": "deleted", "status": 200}]
    assert client.get(f"/api/v1/tables/name/{SCHEMA}.gone").status_code == 404
    assert ok(client.get(f"/api/v1/tables/name/{SCHEMA}.keep"))["deleted"] is False
    none_left = ok(
        client.request("DELETE", "/api/v1/storedProcedures/deleteStale", json={**body, "seenFqns": []})
    )
    assert none_left["numberOfRowsProcessed"] == 0
    missing_scope = client.request("DELETE", "/api/v1/tables/deleteStale", json={**body, "scopeFqn": "x.y.z"})
    assert missing_scope.status_code == 404


def test_search_finds_tables_by_name_prefix_column_and_description(client: TestClient) -> None:
    make_hierarchy(client)
    ok(put_table(client, "customers", "customer_id", "email", description="People who buy things"), 201)
    ok(put_table(client, "orders", "order_id"), 201)

    def names(query: str) -> list[str]:
        body = ok(client.get(f"/api/v1/search/query?q={query}&index=table_search_index"))
        return sorted(hit["_source"]["name"] for hit in body["hits"]["hits"])

    assert names("customers") == ["customers"]
    assert names("cust") == ["customers"]
    assert names("email") == ["customers"]
    assert names("buy") == ["customers"]
    assert names("order") == ["orders"]
    assert names("*") == ["customers", "orders"]
    assets = ok(client.get("/api/v1/search/query?q=*&index=dataAsset&size=50"))
    types = {hit["_source"]["entityType"] for hit in assets["hits"]["hits"]}
    assert types == {"databaseService", "database", "databaseSchema", "table"}
    everything = ok(client.get("/api/v1/search/query?q=*&index=all&size=100"))
    # Every catalog has its bots (users), the Organization team and the built-in classifications.
    built_in = {"user", "team", "classification", "tag"}
    assert {hit["_source"]["entityType"] for hit in everything["hits"]["hits"]} == types | built_in
    filtered = ok(
        client.get(
            "/api/v1/search/query",
            params={
                "q": "*",
                "index": "all",
                "query_filter": '{"query":{"bool":{"must":[{"term":{"entityType":"table"}}]}}}',
            },
        )
    )
    assert filtered["hits"]["total"]["value"] == 2
    by_service = ok(
        client.get(
            "/api/v1/search/query",
            params={
                "q": "*",
                "index": "table",
                "query_filter": f'{{"term":{{"service.name.keyword":"{SERVICE}"}}}}',
            },
        )
    )
    assert by_service["hits"]["total"]["value"] == 2
    assert client.get("/api/v1/search/query?q=x&index=nope").status_code == 400


def test_field_query_by_fqn_as_the_client_uses_it(client: TestClient) -> None:
    make_hierarchy(client)
    ok(put_table(client, "orders"), 201)
    body = ok(
        client.get(
            "/api/v1/search/fieldQuery",
            params={
                "fieldName": "fullyQualifiedName",
                "fieldValue": f"{SCHEMA}.orders",
                "from": 0,
                "size": 10,
                "index": "table_search_index",
                "deleted": "false",
            },
        )
    )
    assert [hit["_source"]["fullyQualifiedName"] for hit in body["hits"]["hits"]] == [f"{SCHEMA}.orders"]


def test_pipeline_status_progress_and_logs(client: TestClient) -> None:
    hierarchy = make_hierarchy(client)
    pipeline = ok(
        client.put(
            "/api/v1/services/ingestionPipelines",
            json={
                "name": "sqlite_metadata_pipeline",
                "pipelineType": "metadata",
                "sourceConfig": {"config": {"type": "DatabaseMetadata"}},
                "airflowConfig": {},
                "service": {"id": hierarchy["service"]["id"], "type": "databaseService"},
            },
        ),
        201,
    )
    fqn = pipeline["fullyQualifiedName"]
    assert fqn == f"{SERVICE}.sqlite_metadata_pipeline"
    unknown = client.get(f"/api/v1/services/ingestionPipelines/{fqn}/pipelineStatus/run-1")
    assert unknown.status_code == 200
    assert unknown.content == b""
    status = {
        "runId": "run-1",
        "pipelineState": "running",
        "startDate": 1700000000000,
        "timestamp": 1700000000000,
    }
    ok(client.put(f"/api/v1/services/ingestionPipelines/{fqn}/pipelineStatus", json=status))
    assert (
        ok(client.get(f"/api/v1/services/ingestionPipelines/{fqn}/pipelineStatus/run-1"))["pipelineState"]
        == "running"
    )
    ok(
        client.put(
            f"/api/v1/services/ingestionPipelines/{fqn}/pipelineStatus",
            json={**status, "pipelineState": "success"},
        )
    )
    listed = ok(client.get(f"/api/v1/services/ingestionPipelines/{fqn}/pipelineStatus"))
    assert [s["pipelineState"] for s in listed["data"]] == ["success"]
    bad = client.put(
        f"/api/v1/services/ingestionPipelines/{fqn}/pipelineStatus", json={**status, "pipelineState": "?"}
    )
    assert bad.status_code == 400
    progress = {
        "runId": "run-1",
        "timestamp": 1700000000001,
        "updateType": "PIPELINE_COMPLETE",
        "totalAssetsIngested": 3,
    }
    ok(client.put(f"/api/v1/services/ingestionPipelines/progress/{fqn}/run-1", json=progress))
    log = {"logs": "line one\nline two", "timestamp": 1700000000002, "connectorId": "c", "compressed": False}
    ok(client.post(f"/api/v1/services/ingestionPipelines/logs/{fqn}/run-1", json=log))
    ok(client.post(f"/api/v1/services/ingestionPipelines/logs/{fqn}/run-1/close"))
    last = ok(client.get(f"/api/v1/services/ingestionPipelines/logs/{pipeline['id']}/last"))
    assert last["ingestion_task"] == "line one\nline two"
    trigger = client.post(f"/api/v1/services/ingestionPipelines/trigger/{pipeline['id']}")
    assert trigger.status_code == 400
    assert "tessera ingest" in trigger.json()["message"]


def test_a_large_bulk_write_is_searchable_row_by_row(client: TestClient) -> None:
    # 250 new tables: their search documents go in more than one statement on SQLite (111 rows
    # each), their words and terms must land on the right table whichever statement wrote them.
    make_hierarchy(client)
    rows = [
        {"name": f"wide{i:03d}", "databaseSchema": SCHEMA, "columns": columns(f"col{i:03d}x")}
        for i in range(250)
    ]
    result = ok(client.put("/api/v1/tables/bulk", json=rows))
    assert result["numberOfRowsPassed"] == 250

    def names(params: dict[str, str]) -> list[str]:
        body = ok(
            client.get(
                "/api/v1/search/query", params={"index": "table_search_index", "size": "300", **params}
            )
        )
        return sorted(hit["_source"]["name"] for hit in body["hits"]["hits"])

    for i in (0, 110, 111, 112, 222, 249):
        assert names({"q": f"col{i:03d}x"}) == [f"wide{i:03d}"]
        assert names({"q": f"name.keyword:wide{i:03d}"}) == [f"wide{i:03d}"]
    assert len(names({"q": "*"})) == 250
    assert len(names({"q": f"service.name:{SERVICE}"})) == 250
