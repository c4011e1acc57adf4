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

A rerun reads the catalog's tables of each schema first (``GET /tables?databaseSchema=``) and
sends only the tables whose fingerprint (``sourceHash``) differs from the catalog's, so a run
where nothing changed writes nothing; ``deleteStale`` is called only when the catalog has a
table the source no longer lists. In pipeline mode the run also reports its status
(``status.py``).
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Literal, Protocol

from tessera.ingest import lineage
from tessera.ingest import requests as om
from tessera.ingest.client import ApiError, CatalogClient
from tessera.ingest.errors import ConfigError, IngestError, NotAuthorized, ServerError
from tessera.ingest.fqn import in_url
from tessera.ingest.result import Failure, RunResult
from tessera.ingest.sources.base import Source, TableKind, TableMeta
from tessera.ingest.status import PipelineStatus
from tessera.ingest.workflow import FilterPattern, Workflow

log = logging.getLogger("tessera.ingest")

BATCH_SIZE = 100
# Tables listed per request when reading the catalog's fingerprints of a schema.
LIST_PAGE = 1000
# The OpenMetadata API version whose schemas tessera vendors (major.minor, as its client checks).
SUPPORTED_API = "2.0."
MAX_IN_FLIGHT = 3
COLLECTIONS = {"database": "databases", "databaseSchema": "databaseSchemas", "table": "tables"}
Outcome = Literal["created", "updated", "unchanged"]


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
        self._lister = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tessera-ingest-list")
        self._in_flight: list[Future[None]] = []
        self._lock = threading.Lock()
        self.status = PipelineStatus(
            workflow,
            client,
            self.result,
            source_type=source.service_type,
            warn=self._warn,
            wall_clock=wall_clock,
        )

    # -- the run -------------------------------------------------------------------------------

    def run(self) -> RunResult:
        started = self._clock()
        try:
            self._run()
        except IngestError as exc:
            self._drain(raise_errors=False)
            self.status.finish(failed=True, message=str(exc))
            raise
        finally:
            # Ctrl-C must not wait for batches still queued behind the one on its way.
            self._sender.shutdown(wait=True, cancel_futures=True)
            self._lister.shutdown(wait=True, cancel_futures=True)
            self.result.elapsed_s = self._clock() - started
        self.status.finish(failed=self.result.state == "failed", message=None)
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
        self.status.start(self.service, service_id, dry_run=self.dry_run)

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
            self._schema_tables(builder, schema, schema_fqn, listed)
        self._drain()
        self._send_lineage(builder, database)

    def _schema_tables(
        self, builder: om.TableRequests, schema: str, schema_fqn: str, listed: list[tuple[str, TableKind]]
    ) -> None:
        # The catalog's side is read while the source's is: one waits on the server, the other
        # on the database.
        catalog = self._lister.submit(self._catalog_fingerprints, schema_fqn)
        digests = self.source.digests(schema, listed) if not self.dry_run else {}
        known = catalog.result()
        seen: list[str] = []
        fingerprints: dict[str, str] = {}
        to_describe: list[tuple[str, TableKind]] = []
        kept = 0
        for name, kind in listed:
            digest = digests.get(name)
            if digest is None:
                to_describe.append((name, kind))
                continue
            try:
                table_fqn = builder.table_fqn(schema, name)
            except om.InvalidRequest:
                to_describe.append((name, kind))  # fails, with its reason, when built below
                continue
            fingerprints[name] = builder.fingerprint_of_digest(schema, name, kind, digest)
            if known is not None and known.get(table_fqn) == fingerprints[name]:
                seen.append(table_fqn)
                kept += 1
            else:
                to_describe.append((name, kind))
        self._unchanged(kept)
        batch: list[om.Request] = []
        done = 0
        for table in self.source.describe(schema, to_describe):
            for note in table.warnings:
                self._warn(f"{schema}.{table.name}: {note}")
            builder.remember(table)
            row = self._table_row(builder, table, fingerprints.get(table.name), known, seen)
            if row is not None:
                batch.append(row)
            done += 1
            if done == BATCH_SIZE:
                self._send_rows("table", batch, done=done)
                batch, done = [], 0
        self._send_rows("table", batch, done=done)
        stale = known is None or not known.keys() <= set(seen)
        if self.workflow.metadata.markDeletedTables and not self.dry_run and stale:
            self._queue(functools.partial(self._delete_stale, schema_fqn, seen))
        self._queue(functools.partial(self.observer.schema_done, schema))
        self._queue(self.status.progress)

    def _send_lineage(self, builder: om.TableRequests, database: str) -> None:
        """The lineage of the views described in this run (an unchanged view's is stored
        already), once every table is written: see :mod:`tessera.ingest.lineage`."""
        views = [t for t in builder.described.values() if t.kind != "table" and t.view_definition]
        if not views or self.dry_run:
            return
        self.observer.phase(f"Deriving the lineage of {len(views)} view(s)")
        reads: list[lineage.ViewReads] = []
        for view in views:
            try:
                reads.append(lineage.parse_view(view, self.source.service_type, builder.described))
            except lineage.SqlglotError as exc:
                self._warn(f"{view.schema}.{view.name}: no lineage, its definition does not parse ({exc})")
        schemas = sorted({key[0] for read in reads for key in (read.view, *read.tables)})
        try:
            catalog = lineage.catalog_tables(
                lambda schema_fqn: self.client.pages(
                    "/tables", {"databaseSchema": schema_fqn}, limit=LIST_PAGE
                ),
                [(schema, om.fqn(self.service, database, schema)) for schema in schemas],
            )
        except ApiError as exc:
            self._warn(f"no view lineage: cannot read the catalog's tables back ({exc})")
            return
        edges = lineage.requests(reads, catalog)
        for start in range(0, len(edges), lineage.BATCH_SIZE):
            batch = edges[start : start + lineage.BATCH_SIZE]
            try:
                self.client.put("/lineage/bulk", batch)
            except ApiError as exc:
                self._warn(f"view lineage not written for {len(batch)} edge(s): {exc}")
                continue
            with self._lock:
                self.result.lineage_edges += len(batch)

    def _unchanged(self, count: int, *, progress: bool = True) -> None:
        """``count`` tables the catalog already has as they are: nothing to send. ``progress``
        is False for a described table, which the batch it was read in reports."""
        if not count:
            return
        with self._lock:
            self.result.counts["table"].unchanged += count
            self.status.assets += count
        if progress:
            self._queue(functools.partial(self.observer.tables_done, count))

    def _table_row(
        self,
        builder: om.TableRequests,
        table: TableMeta,
        fingerprint: str | None,
        known: dict[str, str | None] | None,
        seen: list[str],
    ) -> om.Request | None:
        """The table's request, or None when it failed to build or the catalog has it already."""
        try:
            table_fqn = builder.table_fqn(table.schema, table.name)
        except om.InvalidRequest as exc:
            # A name no FQN can hold cannot be in the catalog either: not seen, and failed.
            self._fail("table", exc.fqn, exc.message)
            return None
        # Seen even if its request fails: a failure must not look like a drop.
        seen.append(table_fqn)
        try:
            fingerprint = fingerprint or builder.fingerprint(table)
            if known is not None and known.get(table_fqn) == fingerprint:
                self._unchanged(1, progress=False)
                return None
            return builder.build(table, fingerprint)
        except om.InvalidRequest as exc:
            self._fail("table", exc.fqn, exc.message)
            return None

    def _catalog_fingerprints(self, schema_fqn: str) -> dict[str, str | None] | None:
        """The catalog's live tables of a schema and their ``sourceHash``; None when unknown
        (a dry run, or a server that will not list them), and every table is then sent."""
        if self.dry_run:
            return None
        try:
            return {
                str(row["fullyQualifiedName"]): row.get("sourceHash")
                for row in self.client.pages("/tables", {"databaseSchema": schema_fqn}, limit=LIST_PAGE)
            }
        except (ApiError, NotAuthorized) as exc:
            # A 401 ends the run on the next write anyway; a principal that may write but not
            # list (403) still gets its tables written, all of them.
            if isinstance(exc, NotAuthorized) and exc.status != 403:
                raise
            log.debug("cannot list the tables of %s (%s); sending every table", schema_fqn, exc)
            return None

    # -- service, filters, requests --------------------------------------------------------------

    def _ensure_service(self) -> str | None:
        path = f"/services/databaseServices/name/{in_url(self.service)}"
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

    # -- sending -------------------------------------------------------------------------------

    def _send_rows(self, entity_type: str, rows: Sequence[om.Request | None], *, done: int = 0) -> None:
        """Queue ``rows`` for sending; ``done`` tables (sent or not) count as progress once they are."""
        # Rows that failed to build are None here; _build already counted them as failed.
        valid = [row for row in rows if row is not None]
        for start in range(0, len(valid), BATCH_SIZE):
            self._queue(functools.partial(self._send_bulk, entity_type, valid[start : start + BATCH_SIZE]))
        if done:
            self._queue(functools.partial(self.observer.tables_done, done))

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
                self.status.assets += len(rows)
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
