"""``metadata ingest`` (OpenMetadata's CLI, unchanged) catalogs a SQLite database into tessera.

Three runs against one server, on every storage backend:

1. a first run, as Airflow would start it (``ingestionPipelineFQN``, ``pipelineRunId``,
   streamable logs): the client creates the service, database, schema, tables and the
   ingestion pipeline, and reports the run's status, progress and logs;
2. the same workflow again with a new run id: nothing changed, so nothing gets a new version;
3. after a table was dropped and another added in the source, a plain workflow without a
   ``serviceConnection`` (the client reads the connection back from tessera): the new table
   appears and the dropped one is soft-deleted.

The runs happen once per backend in the ``ingested`` fixture; each test checks one promise.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.compat import sources
from tests.compat.client import CompatServer, IngestRun, metadata_ingest, sqlite_workflow

# Three client runs per backend happen in one fixture setup: give it room on a busy machine.
pytestmark = [pytest.mark.compat, pytest.mark.slow, pytest.mark.timeout(900)]

SERVICE = "shop_sqlite"
DATABASE = "shop"
SCHEMA = f"{SERVICE}.{DATABASE}.main"
PIPELINE = f"{SERVICE}.nightly_metadata"
# Single-column UNIQUE constraints the client reports on the column. (An inline `UNIQUE` on a
# column definition, customers.email, is not reported by the client at all.)
UNIQUE_COLUMNS = {("products", "title")}


@dataclass(frozen=True)
class Snapshot:
    """The catalog after a run: every entity of the service (deleted ones too), by type and FQN."""

    entities: dict[tuple[str, str], dict[str, Any]]
    history: dict[str, int]  # entity id -> number of stored versions

    def tables(self) -> dict[str, dict[str, Any]]:
        return {e["name"]: e for (kind, _), e in self.entities.items() if kind == "tables"}

    def one(self, kind: str, fqn: str) -> dict[str, Any]:
        return self.entities[(kind, fqn)]


@dataclass(frozen=True)
class Ingested:
    base_url: str
    headers: dict[str, str]
    runs: list[IngestRun]
    snapshots: list[Snapshot]
    run_ids: list[str]
    source_before: dict[str, sources.SourceTable]
    source_after: dict[str, sources.SourceTable]
    source_sql: dict[str, str]


@pytest.fixture(scope="module")
def ingested(
    compat_server: Callable[[Path, str], AbstractContextManager[CompatServer]],
    database_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Ingested]:
    work = tmp_path_factory.mktemp("ingest")
    source = sources.create(work / "shop.db")
    source_before = sources.introspect(source)
    source_sql = sources.object_sql(source)
    run_ids = [str(uuid.uuid4()), str(uuid.uuid4())]
    runs: list[IngestRun] = []
    snapshots: list[Snapshot] = []
    with compat_server(work / "home", database_url) as server:
        base = server.base_url

        def ingest(label: str, **options: Any) -> None:
            workflow = sqlite_workflow(base, server.token, service=SERVICE, database=DATABASE, **options)
            runs.append(metadata_ingest(workflow, work, label))
            snapshots.append(snapshot(base, server.admin_headers))

        for number, run_id in enumerate(run_ids, start=1):
            ingest(f"run{number}", source_file=source, pipeline_fqn=PIPELINE, run_id=run_id)
        sources.execute(source, sources.CHANGE)
        ingest("run3", source_file=None)
        yield Ingested(
            base,
            server.admin_headers,
            runs,
            snapshots,
            run_ids,
            source_before,
            sources.introspect(source),
            source_sql,
        )


def test_first_run_catalogs_every_table_and_column(ingested: Ingested) -> None:
    run, state = ingested.runs[0], ingested.snapshots[0]
    assert run.returncode == 0, run.explain()
    service = state.one("services/databaseServices", SERVICE)
    assert service["serviceType"] == "SQLite"
    # The connection comes back unmasked: a later run without serviceConnection depends on it.
    assert (
        service["connection"]["config"]["databaseMode"]
        == run.workflow["source"]["serviceConnection"]["config"]["databaseMode"]
    )
    database = state.one("databases", f"{SERVICE}.{DATABASE}")
    assert database["service"]["id"] == service["id"]
    schema = state.one("databaseSchemas", SCHEMA)
    assert (schema["database"]["id"], schema["service"]["id"]) == (database["id"], service["id"])

    tables = state.tables()
    assert sorted(tables) == sorted(ingested.source_before)
    for name, source_table in ingested.source_before.items():
        table = tables[name]
        assert_table_matches_source(table, source_table, ingested.source_before)
        assert table["databaseSchema"]["id"] == schema["id"]
        assert table["deleted"] is False
        if source_table.is_view:
            assert table["schemaDefinition"] == ingested.source_sql[name]


def test_tables_are_found_by_their_quoted_fqn(ingested: Ingested) -> None:
    tables = ingested.snapshots[0].tables()
    assert tables["audit.log"]["fullyQualifiedName"] == f'{SCHEMA}."audit.log"'
    with httpx.Client(base_url=ingested.base_url, headers=ingested.headers, timeout=30) as api:
        for table in tables.values():
            # As the client quotes it: requests.utils.quote(fqn, safe="") (`"` -> %22).
            fqn = quote(table["fullyQualifiedName"], safe="")
            found = ok(api.get(f"/api/v1/tables/name/{fqn}", params={"include": "all"}))
            assert found["id"] == table["id"]


def test_second_run_creates_no_new_versions(ingested: Ingested) -> None:
    run = ingested.runs[1]
    assert run.returncode == 0, run.explain()
    before, after = ingested.snapshots[0], ingested.snapshots[1]
    assert sorted(after.entities) == sorted(before.entities)
    changed = {
        key: (before.entities[key]["version"], after.entities[key]["version"])
        for key in before.entities
        if after.entities[key]["version"] != before.entities[key]["version"]
    }
    assert not changed, f"entities re-versioned by an identical run: {changed}"
    assert after.history == before.history
    # Nor is anything else different, but the fingerprint of the client's request: a table
    # whose foreign key was patched in after the first run is sent with it the second time.
    for key, entity in before.entities.items():
        assert without_source_hash(after.entities[key]) == without_source_hash(entity), key


def test_third_run_adds_the_new_table_and_soft_deletes_the_dropped_one(ingested: Ingested) -> None:
    run = ingested.runs[2]
    assert run.returncode == 0, run.explain()
    assert "serviceConnection" not in run.workflow["source"]
    before, after = ingested.snapshots[1].tables(), ingested.snapshots[2].tables()
    assert sorted(after) == sorted({*ingested.source_after, sources.DROPPED})

    added = after[sources.ADDED]
    assert added["deleted"] is False
    assert_table_matches_source(added, ingested.source_after[sources.ADDED], ingested.source_after)

    dropped = after[sources.DROPPED]
    assert dropped["deleted"] is True
    assert dropped["id"] == before[sources.DROPPED]["id"]
    assert dropped["columns"] == before[sources.DROPPED]["columns"]
    with httpx.Client(base_url=ingested.base_url, headers=ingested.headers, timeout=30) as api:
        fqn = dropped["fullyQualifiedName"]
        missing = api.get(f"/api/v1/tables/name/{fqn}")
        assert missing.status_code == 404
        assert missing.json()["code"] == 404
        assert ok(api.get(f"/api/v1/tables/name/{fqn}", params={"include": "deleted"}))["deleted"] is True
        listed = ok(api.get("/api/v1/tables", params={"databaseSchema": SCHEMA, "limit": 100}))
        assert sorted(t["name"] for t in listed["data"]) == sorted(ingested.source_after)
        assert listed["paging"]["total"] == len(ingested.source_after)

    # Tables that did not change kept their version.
    for name in ingested.source_after.keys() & before.keys():
        assert after[name]["version"] == before[name]["version"], name


def test_pipeline_runs_report_status_progress_and_logs(ingested: Ingested) -> None:
    state = ingested.snapshots[1]
    service = state.one("services/databaseServices", SERVICE)
    pipeline = state.one("services/ingestionPipelines", PIPELINE)
    assert pipeline["name"] == PIPELINE.rsplit(".", 1)[1]
    assert pipeline["service"]["id"] == service["id"]
    assert pipeline["pipelineType"] == "metadata"
    assert pipeline["sourceConfig"]["config"]["type"] == "DatabaseMetadata"
    assert pipeline["enableStreamableLogs"] is True

    base = "/api/v1/services/ingestionPipelines"
    with httpx.Client(base_url=ingested.base_url, headers=ingested.headers, timeout=30) as api:
        for run_id in ingested.run_ids:
            status = ok(api.get(f"{base}/{quote(PIPELINE, safe='')}/pipelineStatus/{run_id}"))
            assert status["runId"] == run_id
            assert status["pipelineState"] == "success"
            if run_id != ingested.run_ids[0]:
                # The pipeline existed when this run started: its "running" status was read
                # back at the end and completed (the first run could only report at the end).
                assert status["startDate"] <= status["endDate"]
            steps = {step["name"]: step for step in status["status"]}
            assert steps["SQLite"]["errors"] == 0
            assert steps["SQLite"]["records"] >= len(ingested.source_before)
            progress = ok(api.get(f"{base}/progress/{PIPELINE}/{run_id}"))
            assert progress["runId"] == run_id
            assert progress["updateType"] == "PIPELINE_COMPLETE"
        listed = ok(api.get(f"{base}/{PIPELINE}/pipelineStatus"))
        assert {s["runId"] for s in listed["data"]} == set(ingested.run_ids)
        # The logs of the latest run are the client's own log lines.
        logs = ok(api.get(f"{base}/logs/{pipeline['id']}/last"))["ingestion_task"]
    shipped = [line for line in logs.splitlines() if line.strip()]
    assert shipped
    printed = set(ingested.runs[1].output.splitlines())
    assert [line for line in shipped if line not in printed] == []


# -- helpers ------------------------------------------------------------------------------


def assert_table_matches_source(
    table: dict[str, Any], source: sources.SourceTable, schema: dict[str, sources.SourceTable]
) -> None:
    name = source.name
    fqn = table_fqn(name)
    assert table["fullyQualifiedName"] == fqn
    assert table["tableType"] == ("View" if source.is_view else "Regular")
    assert [c["name"] for c in table["columns"]] == [c.name for c in source.columns]
    for position, (column, source_column) in enumerate(zip(table["columns"], source.columns, strict=True), 1):
        where = f"{name}.{source_column.name}"
        assert column["fullyQualifiedName"] == f"{fqn}.{source_column.name}", where
        assert column["ordinalPosition"] == position, where
        wanted = sources.CLIENT_TYPES[source_column.declared_type]
        assert {key: column.get(key) for key in wanted} == wanted, where
        assert column.get("constraint") == expected_constraint(source, source_column), where
    assert canonical(table.get("tableConstraints") or []) == canonical(
        expected_table_constraints(source, schema)
    ), name


def expected_constraint(table: sources.SourceTable, column: sources.SourceColumn) -> str | None:
    if column.primary_key_position:
        # A composite primary key is a table constraint, not a column one.
        return "PRIMARY_KEY" if table.primary_key == (column.name,) else None
    if (table.name, column.name) in UNIQUE_COLUMNS:
        return "UNIQUE"
    return "NOT_NULL" if column.not_null else "NULL"


def expected_table_constraints(
    table: sources.SourceTable, schema: dict[str, sources.SourceTable]
) -> list[dict[str, Any]]:
    expected: list[dict[str, Any]] = []
    if len(table.primary_key) > 1:
        expected.append({"constraintType": "PRIMARY_KEY", "columns": list(table.primary_key)})
    expected += [{"constraintType": "UNIQUE", "columns": list(c)} for c in table.composite_unique]
    for key in table.foreign_keys:
        target = schema[key.table]
        expected.append(
            {
                "constraintType": "FOREIGN_KEY",
                "columns": [key.column],
                "referredColumns": [f"{table_fqn(target.name)}.{key.referred_column}"],
                # No foreign-key column here is unique on its own: many rows point at one.
                "relationshipType": "MANY_TO_ONE",
            }
        )
    return expected


def without_source_hash(entity: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in entity.items() if key != "sourceHash"}


def table_fqn(name: str) -> str:
    # OpenMetadata quotes an FQN part that contains a dot.
    return f'{SCHEMA}."{name}"' if "." in name else f"{SCHEMA}.{name}"


def canonical(constraints: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps(c, sort_keys=True) for c in constraints)


def snapshot(base: str, headers: dict[str, str]) -> Snapshot:
    """Every entity of the service, deleted ones included, with all fields and its history size."""
    entities: dict[tuple[str, str], dict[str, Any]] = {}
    with httpx.Client(base_url=f"{base}/api/v1", headers=headers, timeout=30) as api:
        service = api.get(f"/services/databaseServices/name/{SERVICE}", params={"fields": "*"})
        if service.status_code == 404:
            return Snapshot({}, {})
        entities[("services/databaseServices", SERVICE)] = ok(service)
        for collection, scope in (
            ("databases", {"service": SERVICE}),
            ("databaseSchemas", {"service": SERVICE}),
            ("tables", {"service": SERVICE}),
            ("services/ingestionPipelines", {"service": SERVICE}),
        ):
            page = ok(
                api.get(f"/{collection}", params={**scope, "fields": "*", "include": "all", "limit": 1000})
            )
            assert "after" not in page["paging"]
            for entity in page["data"]:
                entities[(collection, entity["fullyQualifiedName"])] = entity
        history = {
            entity["id"]: len(ok(api.get(f"/{kind}/{entity['id']}/versions"))["versions"])
            for (kind, _), entity in entities.items()
        }
    return Snapshot(entities, history)


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, f"{response.request.method} {response.url}: {response.text}"
    body: dict[str, Any] = response.json()
    return body
