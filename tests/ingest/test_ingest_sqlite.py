"""`tessera ingest` from a real SQLite file into a real `tessera serve`."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from typer.testing import Result

from tests.ingest.conftest import sqlite_workflow

Ingest = Callable[..., Result]


def ok(result: Result, code: int = 0) -> str:
    assert result.exit_code == code, result.output
    return result.output


def table(api: httpx.Client, fqn: str, **params: str) -> dict[str, Any]:
    response = api.get(
        f"/tables/name/{fqn}", params={"fields": "tableConstraints,schemaDefinition", **params}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def summary_row(output: str, label: str) -> list[str]:
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("│").split("│")]
        if line.lstrip().startswith("│") and cells[0] == label:
            return cells[1:]
    raise AssertionError(f"no summary row {label!r} in:\n{output}")


def test_ingests_tables_columns_keys_and_views(
    ingest: Ingest, api: httpx.Client, catalog: str, sqlite_db: Path, service_name: str
) -> None:
    output = ok(ingest(sqlite_workflow(service_name, sqlite_db, catalog)))
    assert summary_row(output, "Tables") == ["5", "0", "0", "0", "0"]
    assert summary_row(output, "Schemas") == ["1", "0", "0", "0", "0"]

    service = api.get(f"/services/databaseServices/name/{service_name}").json()
    assert service["serviceType"] == "SQLite"
    schema = f"{service_name}.testdb.main"
    customers = table(api, f"{schema}.customers")
    columns = {c["name"]: c for c in customers["columns"]}
    assert [c["name"] for c in customers["columns"]] == ["id", "email", "name", "created_at", "balance"]
    assert columns["id"]["constraint"] == "PRIMARY_KEY"
    assert columns["email"]["constraint"] == "UNIQUE"
    assert (columns["email"]["dataType"], columns["email"]["dataLength"]) == ("VARCHAR", 120)
    assert (columns["balance"]["dataType"], columns["balance"]["precision"], columns["balance"]["scale"]) == (
        "NUMERIC",
        10,
        2,
    )
    assert columns["created_at"]["dataTypeDisplay"] == "datetime default CURRENT_TIMESTAMP"
    assert columns["email"]["fullyQualifiedName"] == f"{schema}.customers.email"

    items = table(api, f"{schema}.order_items")
    assert items["tableConstraints"] == [
        {"constraintType": "PRIMARY_KEY", "columns": ["order_id", "line"]},
        {
            "constraintType": "FOREIGN_KEY",
            "columns": ["order_id"],
            "referredColumns": [f"{schema}.orders.id"],
            "relationshipType": "MANY_TO_ONE",
        },
    ]
    view = table(api, f"{schema}.big_orders")
    assert view["tableType"] == "View"
    assert "WHERE total > 100" in view["schemaDefinition"]


def test_rerun_changes_nothing_and_dropped_table_is_marked_deleted(
    ingest: Ingest, api: httpx.Client, catalog: str, sqlite_db: Path, service_name: str
) -> None:
    config = sqlite_workflow(service_name, sqlite_db, catalog)
    ok(ingest(config))
    schema = f"{service_name}.testdb.main"
    before = {
        name: table(api, f"{schema}.{name}")["version"] for name in ("customers", "orders", "big_orders")
    }

    output = ok(ingest(config))
    assert summary_row(output, "Tables") == ["0", "0", "5", "0", "0"]
    after = {name: table(api, f"{schema}.{name}")["version"] for name in before}
    assert after == before

    with sqlite3.connect(sqlite_db) as conn:
        conn.execute("DROP TABLE tmp_scratch")
    conn.close()
    output = ok(ingest(config))
    assert summary_row(output, "Tables") == ["0", "0", "4", "1", "0"]
    assert api.get(f"/tables/name/{schema}.tmp_scratch").status_code == 404
    assert table(api, f"{schema}.tmp_scratch", include="deleted")["deleted"] is True


def test_mark_deleted_tables_off_leaves_a_dropped_table_alone(
    ingest: Ingest, api: httpx.Client, catalog: str, sqlite_db: Path, service_name: str
) -> None:
    config = sqlite_workflow(service_name, sqlite_db, catalog, source_config={"markDeletedTables": False})
    ok(ingest(config))
    with sqlite3.connect(sqlite_db) as conn:
        conn.execute("DROP TABLE tmp_scratch")
    conn.close()
    output = ok(ingest(config))
    assert summary_row(output, "Tables") == ["0", "0", "4", "0", "0"]
    assert table(api, f"{service_name}.testdb.main.tmp_scratch")["deleted"] is False


def test_filters_include_and_exclude(
    ingest: Ingest, api: httpx.Client, catalog: str, sqlite_db: Path, service_name: str
) -> None:
    filters = {"tableFilterPattern": {"includes": ["^ORD", "^customers$"], "excludes": [".*_items$"]}}
    output = ok(ingest(sqlite_workflow(service_name, sqlite_db, catalog, source_config=filters)))
    assert "3 filtered out" in output
    listed = api.get("/tables", params={"databaseSchema": f"{service_name}.testdb.main", "limit": 50}).json()
    assert sorted(t["name"] for t in listed["data"]) == ["customers", "orders"]

    other = f"{service_name}_x"
    no_schema = {"schemaFilterPattern": {"excludes": ["^main$"]}}
    output = ok(ingest(sqlite_workflow(other, sqlite_db, catalog, source_config=no_schema)))
    assert summary_row(output, "Tables") == ["0", "0", "0", "0", "0"]


def test_dry_run_writes_nothing(
    ingest: Ingest, api: httpx.Client, catalog: str, sqlite_db: Path, service_name: str
) -> None:
    output = ok(ingest(sqlite_workflow(service_name, sqlite_db, catalog), "--dry-run"))
    assert "Dry run: nothing was written" in output
    assert summary_row(output, "Tables") == ["5", "0"]
    assert api.get(f"/services/databaseServices/name/{service_name}").status_code == 404


def test_views_can_be_left_out(
    ingest: Ingest, api: httpx.Client, catalog: str, sqlite_db: Path, service_name: str
) -> None:
    ok(ingest(sqlite_workflow(service_name, sqlite_db, catalog, source_config={"includeViews": False})))
    assert api.get(f"/tables/name/{service_name}.testdb.main.big_orders").status_code == 404


def test_pipeline_mode_reports_status_and_progress(
    ingest: Ingest, api: httpx.Client, catalog: str, sqlite_db: Path, service_name: str
) -> None:
    run_id = str(uuid.uuid4())
    fqn = f"{service_name}.{service_name}_metadata"
    config = sqlite_workflow(service_name, sqlite_db, catalog, ingestionPipelineFQN=fqn, pipelineRunId=run_id)
    ok(ingest(config))
    status = api.get(f"/services/ingestionPipelines/{fqn}/pipelineStatus/{run_id}").json()
    assert status["pipelineState"] == "success"
    assert status["runId"] == run_id
    assert status["endDate"] >= status["startDate"]
    sink = next(step for step in status["status"] if step["name"] == "metadata-rest sink")
    assert sink["records"] == 7
    assert sink["errors"] == 0
    progress = api.get(f"/services/ingestionPipelines/progress/{fqn}/{run_id}").json()
    assert progress["updateType"] == "PIPELINE_COMPLETE"
    assert progress["totalAssetsIngested"] == 5


def test_failures_past_the_threshold_exit_1_and_mark_the_pipeline_failed(
    ingest: Ingest, api: httpx.Client, catalog: str, tmp_path: Path, service_name: str
) -> None:
    db = tmp_path / "bad.db"
    with sqlite3.connect(db) as conn:
        conn.executescript('CREATE TABLE good (x INTEGER); CREATE TABLE "bad""name" (x INTEGER);')
    conn.close()
    run_id = str(uuid.uuid4())
    fqn = f"{service_name}.{service_name}_metadata"
    config = sqlite_workflow(service_name, db, catalog, ingestionPipelineFQN=fqn, pipelineRunId=run_id)
    config["workflowConfig"]["successThreshold"] = 100
    result = ingest(config)
    assert result.exit_code == 1, result.output
    assert 'table bad"name' in result.output or "bad" in result.output
    assert "below successThreshold 100%" in result.output
    status = api.get(f"/services/ingestionPipelines/{fqn}/pipelineStatus/{run_id}").json()
    assert status["pipelineState"] == "failed"

    config["workflowConfig"]["successThreshold"] = 50
    again = ingest(config)
    assert again.exit_code == 0, again.output
    assert summary_row(again.output, "Tables")[-1] == "1"
