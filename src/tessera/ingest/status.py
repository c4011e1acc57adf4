"""A run reporting itself as OpenMetadata's client does, in pipeline mode.

With ``ingestionPipelineFQN`` and ``pipelineRunId`` the run puts the pipeline status (running,
then success, partialSuccess or failed, with per-step counts) and progress updates. Failures of
these reports are warnings, as in OpenMetadata: they never fail the ingestion.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from tessera.ingest.client import ApiError, CatalogClient
from tessera.ingest.errors import ServerError
from tessera.ingest.fqn import in_url
from tessera.ingest.result import RunResult
from tessera.ingest.workflow import Workflow

log = logging.getLogger("tessera.ingest")


class PipelineStatus:
    def __init__(
        self,
        workflow: Workflow,
        client: CatalogClient,
        result: RunResult,
        *,
        source_type: str,
        warn: Callable[[str], None],
        wall_clock: Callable[[], float],
    ) -> None:
        self.workflow = workflow
        self.client = client
        self.result = result
        self.source_type = source_type
        self._warn = warn
        self._wall = wall_clock
        self._fqn: str | None = None
        self._run_id = workflow.pipelineRunId or str(uuid.uuid4())
        self._start_ms = int(wall_clock() * 1000)
        self.assets = 0

    def start(self, service: str, service_id: str | None, *, dry_run: bool) -> None:
        fqn = self.workflow.ingestionPipelineFQN
        if fqn is None or self.workflow.pipelineRunId is None or dry_run:
            return
        try:
            pipeline = self.client.get(f"/services/ingestionPipelines/name/{in_url(fqn)}")
            if pipeline is None:
                pipeline = self._create(fqn, service, service_id)
            if pipeline is None:
                return
            self._fqn = str(pipeline.get("fullyQualifiedName") or fqn)
            self._put_status("running")
            self.progress(update="PROCESSING")
        except (ApiError, ServerError) as exc:
            self._warn(f"Could not report to the ingestion pipeline {fqn}: {exc}")
            self._fqn = None

    def _create(self, fqn: str, service: str, service_id: str | None) -> dict[str, Any] | None:
        parts = fqn.split(".", 1)
        if len(parts) != 2 or parts[0].strip('"') != service or service_id is None:
            self._warn(
                f"ingestionPipelineFQN {fqn!r} does not exist and is not <serviceName>.<pipeline name> "
                f"for service {service!r}; no status will be reported"
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
        assert self._fqn is not None
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
        self.client.put(f"/services/ingestionPipelines/{in_url(self._fqn)}/pipelineStatus", body)

    def progress(self, update: str = "PROCESSING") -> None:
        if self._fqn is None:
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
            "totalAssetsIngested": self.assets,
        }
        try:
            self.client.put(f"/services/ingestionPipelines/progress/{in_url(self._fqn)}/{self._run_id}", body)
        except (ApiError, ServerError) as exc:
            log.debug("progress update failed: %s", exc)

    def finish(self, *, failed: bool, message: str | None) -> None:
        if self._fqn is None:
            return
        result = self.result
        state = "failed" if failed else result.state
        total = result.total
        failures = [{"name": f.fqn, "error": f.message[:1000]} for f in result.failures[:100]]
        if message:
            failures.insert(0, {"name": "workflow", "error": message[:1000]})
        steps = [
            {
                "name": f"{self.source_type} source",
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
            self.progress(update="ERROR" if state == "failed" else "PIPELINE_COMPLETE")
            self._put_status(state, steps)
        except (ApiError, ServerError) as exc:
            self._warn(f"Could not report the final status of {self._fqn}: {exc}")
