"""One ingestion run: source -> OpenMetadata create requests -> the catalog's bulk endpoints.

The order is OpenMetadata's: check the server, test the source connection, create the service
if it is missing, then write the database, its schemas and each schema's tables through
``PUT /{collection}/bulk`` in batches of ``BATCH_SIZE``, parents first, and after each schema
mark the tables the source no longer has as deleted (``DELETE /tables/deleteStale``). The
server answers each bulk row with ``created``, ``updated`` or ``unchanged`` (it compares
``sourceHash``), which is what the summary counts.

While one batch is on its way to the server the next one is read and built: the server's
answer, not our extraction, should be what a run waits for. Sends stay strictly ordered (one
sender thread), so a schema's tables are never sent before the schema.

With ``ingestionPipelineFQN`` and ``pipelineRunId`` the run also reports itself as
OpenMetadata's client does: the pipeline status (running, then success, partialSuccess or
failed, with per-step counts) and progress updates. Failures of these reports are warnings,
as in OpenMetadata: they never fail the ingestion.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from tessera.ingest import requests as om
from tessera.ingest.client import ApiError, CatalogClient, quote_fqn
from tessera.ingest.errors import ConfigError, IngestError, ServerError, ThresholdError
from tessera.ingest.sources.base import Source, TableKind, TableMeta
from tessera.ingest.workflow import FilterPattern, Workflow

log = logging.getLogger("tessera.ingest")

BATCH_SIZE = 100
# The OpenMetadata API version whose schemas tessera vendors (major.minor, as its client checks).
SUPPORTED_API = "2.0."
MAX_IN_FLIGHT = 3
ENTITY_TYPES = ("database", "databaseSchema", "table")
COLLECTIONS = {"database": "databases", "databaseSchema": "databaseSchemas", "table": "tables"}
Outcome = Literal["created", "updated", "unchanged"]
PipelineState = Literal["success", "partialSuccess", "failed"]


class Observer(Protocol):
    """What a person watching the run is told (``report.RichReport``; tests use ``Quiet``)."""

    def phase(self, text: str) -> None: ...

    def schemas_found(self, total: int) -> None: ...

    def schema_started(self, schema: str, tables: int) -> None: ...

    def tables_done(self, count: int) -> None: ...

    def schema_done(self, schema: str) -> None: ...

    def warning(self, text: str) -> None: ...


class Quiet:
    def phase(self, text: str) -> None:
        log.debug(text)

    def schemas_found(self, total: int) -> None:
        return None

    def schema_started(self, schema: str, tables: int) -> None:
        return None

    def tables_done(self, count: int) -> None:
        return None

    def schema_done(self, schema: str) -> None:
        return None

    def warning(self, text: str) -> None:
        log.warning(text)


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    failed: int = 0
    # --dry-run: requests built and checked, not sent.
    checked: int = 0

    @property
    def succeeded(self) -> int:
        return self.created + self.updated + self.unchanged + self.deleted


@dataclass(frozen=True)
class Failure:
    entity_type: str
    fqn: str
    message: str


@dataclass
class RunResult:
    service: str
    database: str
    dry_run: bool
    server_version: str = ""
    counts: dict[str, Counts] = field(default_factory=lambda: {t: Counts() for t in ENTITY_TYPES})
    failures: list[Failure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    filtered: int = 0
    elapsed_s: float = 0.0
    threshold: int = 90

    @property
    def total(self) -> Counts:
        out = Counts()
        for counts in self.counts.values():
            for name in ("created", "updated", "unchanged", "deleted", "failed", "checked"):
                setattr(out, name, getattr(out, name) + getattr(counts, name))
        return out

    @property
    def success_pct(self) -> float:
        total = self.total
        attempted = total.succeeded + total.failed
        return 100.0 if attempted == 0 else 100.0 * total.succeeded / attempted

    @property
    def state(self) -> PipelineState:
        if self.total.failed == 0:
            return "success"
        return "partialSuccess" if self.success_pct >= self.threshold else "failed"


class Pipeline:
    def __init__(
        self,
        workflow: Workflow,
        source: Source,
        client: CatalogClient,
        *,
        dry_run: bool = False,
        observer: Observer | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.workflow = workflow
        self.source = source
        self.client = client
        self.dry_run = dry_run
        self.observer = observer or Quiet()
        self._clock = clock
        self._wall = wall_clock
        self.service = workflow.source.serviceName
        self.result = RunResult(
            service=self.service,
            database="",
            dry_run=dry_run,
            threshold=workflow.workflowConfig.successThreshold,
        )
        self._sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tessera-ingest-send")
        self._in_flight: list[Future[None]] = []
        self._lock = threading.Lock()
        self._pipeline_fqn: str | None = None
        self._run_id = workflow.pipelineRunId or str(uuid.uuid4())
        self._start_ms = 0
        self._assets = 0

    # -- the run -------------------------------------------------------------------------------

    def run(self) -> RunResult:
        started = self._clock()
        self._start_ms = int(self._wall() * 1000)
        try:
            self._run()
        except IngestError as exc:
            self._drain(raise_errors=False)
            self._finish_pipeline(failed=True, message=str(exc))
            raise
        finally:
            self._sender.shutdown(wait=True)
            self.result.elapsed_s = self._clock() - started
        self._finish_pipeline(failed=self.result.state == "failed", message=None)
        return self.result

    def _run(self) -> None:
        observer = self.observer
        observer.phase(f"Connecting to {self.client.server.hostPort}")
        self.result.server_version = version = self.client.version()
        if self.client.server.enableVersionValidation and not version.startswith(SUPPORTED_API):
            self._warn(
                f"the server reports OpenMetadata API {version}; tessera ingest speaks {SUPPORTED_API}x "
                "(set enableVersionValidation: false to silence this)"
            )
        observer.phase(f"Testing the connection to the {self.source.service_type} source")
        self.source.test_connection()
        self.result.database = database = self.source.database_name
        service_id = self._ensure_service()
        self._start_pipeline(service_id)

        builder = om.TableRequests(self.service, database, self.source.unique_keys)
        database_row = self._build(
            functools.partial(om.database_request, self.service, database), "database", self.service
        )
        self._send_rows("database", [database_row])
        meta = self.workflow.metadata
        schemas = [
            s for s in self.source.schema_names() if not self._filtered(meta.schemaFilterPattern, s, database)
        ]
        observer.schemas_found(len(schemas))
        schema_rows = [
            self._build(
                functools.partial(om.schema_request, self.service, database, s), "databaseSchema", schema
            )
            for s in schemas
            for schema in [f"{self.service}.{database}.{s}"]
        ]
        self._send_rows("databaseSchema", schema_rows)
        self._drain()
        failed_schemas = {f.fqn for f in self.result.failures if f.entity_type == "databaseSchema"}

        for schema in schemas:
            schema_fqn = om.fqn(self.service, database, schema)
            listed = self._listed_tables(schema, database)
            observer.schema_started(schema, len(listed))
            if schema_fqn in failed_schemas:
                for name, _ in listed:
                    self._fail(
                        "table", builder.table_fqn(schema, name), f"its schema {schema_fqn} was not created"
                    )
                observer.schema_done(schema)
                continue
            seen: list[str] = []
            batch: list[om.Request | None] = []
            for table in self.source.describe(schema, listed):
                for note in table.warnings:
                    self._warn(f"{schema}.{table.name}: {note}")
                builder.remember(table)
                row = self._build_table(builder, table)
                # Seen even if its request failed: a failure must not look like a drop. (A name
                # no FQN can hold cannot be in the catalog either.)
                with contextlib.suppress(om.InvalidRequest):
                    seen.append(builder.table_fqn(schema, table.name))
                batch.append(row)
                if len(batch) == BATCH_SIZE:
                    self._send_rows("table", batch)
                    batch = []
            self._send_rows("table", batch)
            if meta.markDeletedTables and not self.dry_run:
                self._queue(functools.partial(self._delete_stale, schema_fqn, seen))
            self._queue(functools.partial(self.observer.schema_done, schema))
            self._queue(self._progress)
        self._drain()

    # -- service, filters, requests --------------------------------------------------------------

    def _ensure_service(self) -> str | None:
        path = f"/services/databaseServices/name/{quote_fqn(self.service)}"
        existing = self.client.get(path)
        wanted = self.source.service_type
        if existing is not None:
            if existing.get("serviceType") != wanted:
                raise ConfigError(
                    f"The catalog already has a service {self.service!r} of type "
                    f"{existing.get('serviceType')}, not {wanted}",
                    hint="Use another source.serviceName for this source.",
                )
            return str(existing["id"])
        if self.dry_run:
            self.observer.phase(f"Would create the {wanted} service {self.service}")
            return None
        try:
            request = om.service_request(self.workflow.source)
        except om.InvalidRequest as exc:
            raise ConfigError(f"source.serviceConnection.config: {exc.message}") from None
        try:
            created = self.client.put("/services/databaseServices", request)
        except ApiError as exc:
            raise ServerError(
                f"Cannot create the service {self.service}: {exc.reason} ({exc.status})"
            ) from None
        self.observer.phase(f"Created the {wanted} service {self.service}")
        return str(created["id"]) if isinstance(created, dict) and created.get("id") else None

    def _filtered(self, pattern: FilterPattern | None, name: str, fqn_tail: str | None = None) -> bool:
        if pattern is None:
            return False
        target = name
        if self.workflow.metadata.useFqnForFiltering and fqn_tail is not None:
            target = om.fqn(self.service, fqn_tail, name)
        if pattern.excludes_name(target):
            self.result.filtered += 1
            return True
        return False

    def _listed_tables(self, schema: str, database: str) -> list[tuple[str, TableKind]]:
        meta = self.workflow.metadata
        kept: list[tuple[str, TableKind]] = []
        for name, kind in self.source.table_names(schema):
            if (kind == "table" and not meta.includeTables) or (kind != "table" and not meta.includeViews):
                continue
            pattern = meta.tableFilterPattern
            if pattern is not None:
                target = om.fqn(self.service, database, schema, name) if meta.useFqnForFiltering else name
                if pattern.excludes_name(target):
                    self.result.filtered += 1
                    continue
            kept.append((name, kind))
        return kept

    def _build(self, make: Callable[[], om.Request], entity_type: str, label: str) -> om.Request | None:
        try:
            return make()
        except om.InvalidRequest as exc:
            self._fail(entity_type, exc.fqn or label, exc.message)
            return None

    def _build_table(self, builder: om.TableRequests, table: TableMeta) -> om.Request | None:
        try:
            return builder.build(table)
        except om.InvalidRequest as exc:
            self._fail("table", exc.fqn, exc.message)
            return None

    # -- sending -------------------------------------------------------------------------------

    def _send_rows(self, entity_type: str, rows: Sequence[om.Request | None]) -> None:
        # Rows that failed to build are None here; _build already counted them as failed.
        valid = [row for row in rows if row is not None]
        for start in range(0, len(valid), BATCH_SIZE):
            self._queue(functools.partial(self._send_bulk, entity_type, valid[start : start + BATCH_SIZE]))
        if entity_type == "table" and rows:
            self._queue(functools.partial(self.observer.tables_done, len(rows)))

    def _send_bulk(self, entity_type: str, rows: list[om.Request]) -> None:
        if self.dry_run:
            with self._lock:
                self.result.counts[entity_type].checked += len(rows)
            return
        collection = COLLECTIONS[entity_type]
        override = "true" if self.workflow.metadata.overrideMetadata else "false"
        try:
            answer = self.client.put(
                f"/{collection}/bulk", rows, params={"async": "false", "overrideMetadata": override}
            )
        except ApiError as exc:
            for row in rows:
                self._fail(entity_type, _label(entity_type, row), f"{exc.reason} ({exc.status})")
            return
        answer = answer if isinstance(answer, dict) else {}
        succeeded = answer.get("successRequest")
        failed = answer.get("failedRequest")
        with self._lock:
            counts = self.result.counts[entity_type]
            if succeeded is None and failed is None:
                # A server that answers with counts only: created and updated cannot be told apart.
                failures = int(answer.get("numberOfRowsFailed") or 0)
                counts.updated += int(answer.get("numberOfRowsPassed") or len(rows) - failures)
                counts.failed += failures
            for item in succeeded or []:
                outcome = str(item.get("message") or "")
                outcome = outcome if outcome in ("created", "updated", "unchanged") else "updated"
                setattr(counts, outcome, getattr(counts, outcome) + 1)
            if entity_type == "table":
                self._assets += len(rows)
        for item in failed or []:
            self._fail(entity_type, str(item.get("request")), str(item.get("message")))

    def _delete_stale(self, schema_fqn: str, seen: list[str]) -> None:
        body = {
            "scopeFqn": schema_fqn,
            "scopeEntityType": "databaseSchema",
            "seenFqns": seen,
            "recursive": True,
        }
        counts = self.result.counts["table"]
        try:
            answer = self.client.delete("/tables/deleteStale", body)
        except ApiError as exc:
            if exc.status != 404:
                self._warn(f"Could not mark deleted tables of {schema_fqn}: {exc.reason} ({exc.status})")
                return
            deleted = self._delete_stale_one_by_one(schema_fqn, set(seen))
            with self._lock:
                counts.deleted += deleted
            return
        with self._lock:
            counts.deleted += len((answer or {}).get("successRequest") or [])
        for item in (answer or {}).get("failedRequest") or []:
            self._fail("table", str(item.get("request")), f"could not mark deleted: {item.get('message')}")

    def _delete_stale_one_by_one(self, schema_fqn: str, seen: set[str]) -> int:
        """What OpenMetadata's client does when a server has no deleteStale: list, then delete."""
        stale: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 100, "databaseSchema": schema_fqn}
            if after:
                params["after"] = after
            page = self.client.get("/tables", params) or {}
            stale += [t for t in page.get("data") or [] if t.get("fullyQualifiedName") not in seen]
            after = (page.get("paging") or {}).get("after")
            if not after:
                break
        deleted = 0
        for table in stale:
            try:
                self.client.delete(
                    f"/tables/{table['id']}", params={"recursive": "true", "hardDelete": "false"}
                )
                deleted += 1
            except ApiError as exc:
                self._fail(
                    "table", str(table.get("fullyQualifiedName")), f"could not mark deleted: {exc.reason}"
                )
        return deleted

    def _queue(self, work: Callable[[], None]) -> None:
        # One sender thread runs the work in order; waiting once MAX_IN_FLIGHT pieces are
        # queued keeps reading at most a batch or two ahead of the server.
        while len(self._in_flight) >= MAX_IN_FLIGHT:
            self._in_flight.pop(0).result()
        self._in_flight.append(self._sender.submit(work))

    def _drain(self, *, raise_errors: bool = True) -> None:
        pending, self._in_flight = self._in_flight, []
        first: BaseException | None = None
        for future in pending:
            try:
                future.result()
            except BaseException as exc:  # noqa: BLE001 - re-raised below once all sends ended
                first = first or exc
        if first is not None and raise_errors:
            raise first

    def _fail(self, entity_type: str, fqn: str, message: str) -> None:
        with self._lock:
            self.result.counts[entity_type].failed += 1
            self.result.failures.append(Failure(entity_type, fqn, message))

    def _warn(self, text: str) -> None:
        self.result.warnings.append(text)
        self.observer.warning(text)

    # -- pipeline status and progress ----------------------------------------------------------

    def _start_pipeline(self, service_id: str | None) -> None:
        fqn = self.workflow.ingestionPipelineFQN
        if fqn is None or self.workflow.pipelineRunId is None or self.dry_run:
            return
        try:
            pipeline = self.client.get(f"/services/ingestionPipelines/name/{quote_fqn(fqn)}")
            if pipeline is None:
                pipeline = self._create_pipeline(fqn, service_id)
            if pipeline is None:
                return
            self._pipeline_fqn = str(pipeline.get("fullyQualifiedName") or fqn)
            self._put_status("running")
            self._progress(update="PROCESSING")
        except (ApiError, ServerError) as exc:
            self._warn(f"Could not report to the ingestion pipeline {fqn}: {exc}")
            self._pipeline_fqn = None

    def _create_pipeline(self, fqn: str, service_id: str | None) -> dict[str, Any] | None:
        parts = fqn.split(".", 1)
        if len(parts) != 2 or parts[0].strip('"') != self.service or service_id is None:
            self._warn(
                f"ingestionPipelineFQN {fqn!r} does not exist and is not <serviceName>.<pipeline name> "
                f"for service {self.service!r}; no status will be reported"
            )
            return None
        request = {
            "name": parts[1].strip('"'),
            "pipelineType": "metadata",
            "sourceConfig": {"config": {"type": "DatabaseMetadata"}},
            "airflowConfig": {},
            "service": {"id": service_id, "type": "databaseService"},
        }
        created: dict[str, Any] = self.client.put("/services/ingestionPipelines", request)
        return created

    def _put_status(self, state: str, steps: list[dict[str, Any]] | None = None) -> None:
        assert self._pipeline_fqn is not None
        now = int(self._wall() * 1000)
        body: dict[str, Any] = {
            "runId": self._run_id,
            "pipelineState": state,
            "startDate": self._start_ms,
            "timestamp": self._start_ms,
        }
        if state != "running":
            body["endDate"] = now
        if steps is not None:
            body["status"] = steps
        self.client.put(f"/services/ingestionPipelines/{quote_fqn(self._pipeline_fqn)}/pipelineStatus", body)

    def _progress(self, update: str = "PROCESSING") -> None:
        if self._pipeline_fqn is None:
            return
        tables = self.result.counts["table"]
        body = {
            "runId": self._run_id,
            "timestamp": int(self._wall() * 1000),
            "updateType": update,
            "progress": {
                "label": "",
                "entityType": "Table",
                "processed": tables.succeeded + tables.failed,
                "active": update == "PROCESSING",
            },
            "globalCounters": [
                {"entityType": "DatabaseSchema", "done": self.result.counts["databaseSchema"].succeeded},
                {"entityType": "Table", "done": tables.succeeded},
            ],
            "totalAssetsIngested": self._assets,
        }
        try:
            self.client.put(
                f"/services/ingestionPipelines/progress/{quote_fqn(self._pipeline_fqn)}/{self._run_id}", body
            )
        except (ApiError, ServerError) as exc:
            log.debug("progress update failed: %s", exc)

    def _finish_pipeline(self, *, failed: bool, message: str | None) -> None:
        if self._pipeline_fqn is None:
            return
        result = self.result
        state = "failed" if failed else result.state
        total = result.total
        failures = [{"name": f.fqn, "error": f.message[:1000]} for f in result.failures[:100]]
        if message:
            failures.insert(0, {"name": "workflow", "error": message[:1000]})
        steps = [
            {
                "name": f"{self.source.service_type} source",
                "records": total.succeeded + total.failed,
                "filtered": result.filtered,
                "errors": 0,
            },
            {
                "name": "metadata-rest sink",
                "records": total.succeeded,
                "errors": total.failed,
                "failures": failures,
            },
        ]
        try:
            self._progress(update="ERROR" if state == "failed" else "PIPELINE_COMPLETE")
            self._put_status(state, steps)
        except (ApiError, ServerError) as exc:
            self._warn(f"Could not report the final status of {self._pipeline_fqn}: {exc}")


def threshold_error(result: RunResult, workflow: Workflow) -> ThresholdError | None:
    """The error to exit with when too many entities failed (OpenMetadata's raiseOnError rule)."""
    config = workflow.workflowConfig
    if result.state != "failed" or not config.raiseOnError or result.dry_run:
        return None
    return ThresholdError(
        f"{result.total.failed} entities failed: {result.success_pct:.1f}% succeeded, "
        f"below successThreshold {config.successThreshold}%",
        hint="The failures are listed above; fix them, or lower workflowConfig.successThreshold.",
    )


def _label(entity_type: str, row: om.Request) -> str:
    parent = {"database": "service", "databaseSchema": "database", "table": "databaseSchema"}[entity_type]
    return f"{row.get(parent)}.{row.get('name')}"


def run(
    workflow: Workflow,
    source: Source,
    client: CatalogClient,
    *,
    dry_run: bool = False,
    observer: Observer | None = None,
) -> RunResult:
    return Pipeline(workflow, source, client, dry_run=dry_run, observer=observer).run()
