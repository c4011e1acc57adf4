"""Ingestion pipeline runs: status, progress and logs, as OpenMetadata's client reports them.

tessera does not schedule pipelines (there is no Airflow); a pipeline runs wherever
``tessera ingest`` or ``metadata ingest`` is started with its FQN and a run id, and reports
here.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from tessera.api.deps import ContainerDep, authorize
from tessera.api.route_helpers import json_response, read_json
from tessera.auth.permissions import Operation
from tessera.catalog import validation
from tessera.catalog.kinds import INGESTION_PIPELINE
from tessera.container import Container
from tessera.errors import BadRequest

PREFIX = "/api/v1/services/ingestionPipelines"
router = APIRouter(prefix=PREFIX, tags=["services/ingestionPipelines"])
RESOURCE = INGESTION_PIPELINE.type
_LOG_LINES_KEPT = 2000
# The database's BIGINT.
MAX_MILLIS = 2**63 - 1


def _millis(body: dict[str, Any], field: str) -> int:
    """An epoch-milliseconds field of a body: absent is 0, anything but a whole number in range
    is a 400 that names it."""
    value = body.get(field)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_MILLIS:
        raise BadRequest(
            f"{field} must be epoch milliseconds (a whole number from 0 to {MAX_MILLIS}), not {value!r}"
        )
    return value


def _pipeline(container: Container, fqn: str) -> dict[str, Any]:
    return container.catalog.get_by_name(INGESTION_PIPELINE, fqn)


@router.put("/progress/{fqn}/{run_id}", dependencies=[authorize(Operation.EDIT_STATUS, RESOURCE)])
async def put_progress(fqn: str, run_id: str, request: Request, container: ContainerDep) -> Response:
    body = await read_json(request)
    if not isinstance(body, dict):
        raise BadRequest("The progress body must be a JSON object")
    timestamp = _millis(body, "timestamp")
    pipeline = await run_in_threadpool(_pipeline, container, fqn)
    await run_in_threadpool(
        container.catalog.put_record, INGESTION_PIPELINE, pipeline["id"], "progress", run_id, timestamp, body
    )
    return json_response(body)


@router.get("/progress/{fqn}/{run_id}", dependencies=[authorize(Operation.VIEW_ALL, RESOURCE)])
async def get_progress(fqn: str, run_id: str, container: ContainerDep) -> Response:
    pipeline = await run_in_threadpool(_pipeline, container, fqn)
    record = await run_in_threadpool(container.catalog.get_record, pipeline["id"], "progress", run_id)
    return json_response(record) if record is not None else Response(status_code=200)


@router.post("/logs/{fqn}/{run_id}/close", dependencies=[authorize(Operation.EDIT_STATUS, RESOURCE)])
async def close_logs(fqn: str, run_id: str, container: ContainerDep) -> Response:
    await run_in_threadpool(_pipeline, container, fqn)
    return json_response({"message": "closed"})


@router.post("/logs/{fqn}/{run_id}", dependencies=[authorize(Operation.EDIT_STATUS, RESOURCE)])
async def append_logs(fqn: str, run_id: str, request: Request, container: ContainerDep) -> Response:
    body = await read_json(request)
    if not isinstance(body, dict) or not isinstance(body.get("logs"), str):
        raise BadRequest('The log body must be {"logs": "<text>", "timestamp": <ms>, ...}')
    timestamp = _millis(body, "timestamp")
    pipeline = await run_in_threadpool(_pipeline, container, fqn)

    def append() -> None:
        current = container.catalog.get_record(pipeline["id"], "logs", run_id) or {"lines": []}
        lines = (current["lines"] + body["logs"].splitlines())[-_LOG_LINES_KEPT:]
        container.catalog.put_record(
            INGESTION_PIPELINE, pipeline["id"], "logs", run_id, timestamp, {"lines": lines}
        )

    await run_in_threadpool(append)
    return json_response({"message": "appended"})


@router.get("/logs/{entity_id}/last", dependencies=[authorize(Operation.VIEW_ALL, RESOURCE)])
async def last_logs(entity_id: str, container: ContainerDep) -> Response:
    pipeline = await run_in_threadpool(container.catalog.get, INGESTION_PIPELINE, entity_id)
    statuses = await run_in_threadpool(
        container.catalog.list_records, pipeline["id"], "pipelineStatus", limit=1
    )
    if not statuses:
        return json_response({"ingestion_task": "", "total": "0"})
    record = await run_in_threadpool(
        container.catalog.get_record, pipeline["id"], "logs", statuses[0]["runId"]
    )
    text = "\n".join((record or {}).get("lines", []))
    return json_response({"ingestion_task": text, "total": "1"})


@router.put("/{fqn}/pipelineStatus", dependencies=[authorize(Operation.EDIT_STATUS, RESOURCE)])
async def put_status(fqn: str, request: Request, container: ContainerDep) -> Response:
    body = await read_json(request)
    validation.validate("pipelineStatus", body, what="pipeline status")
    if not body.get("runId"):
        raise BadRequest("runId is required in a pipeline status")
    timestamp = _millis(body, "startDate") or _millis(body, "timestamp")
    pipeline = await run_in_threadpool(_pipeline, container, fqn)
    await run_in_threadpool(
        container.catalog.put_record,
        INGESTION_PIPELINE,
        pipeline["id"],
        "pipelineStatus",
        str(body["runId"]),
        timestamp,
        body,
    )
    return json_response(body)


@router.get("/{fqn}/pipelineStatus/{run_id}", dependencies=[authorize(Operation.VIEW_ALL, RESOURCE)])
async def get_status(fqn: str, run_id: str, container: ContainerDep) -> Response:
    pipeline = await run_in_threadpool(_pipeline, container, fqn)
    record = await run_in_threadpool(container.catalog.get_record, pipeline["id"], "pipelineStatus", run_id)
    # OpenMetadata's client expects an empty 200 for a run it has not reported yet.
    return json_response(record) if record is not None else Response(status_code=200)


@router.get("/{fqn}/pipelineStatus", dependencies=[authorize(Operation.VIEW_ALL, RESOURCE)])
async def list_statuses(
    fqn: str,
    container: ContainerDep,
    startTs: int | None = Query(None, ge=0, le=MAX_MILLIS, description="Epoch milliseconds."),
    endTs: int | None = Query(None, ge=0, le=MAX_MILLIS, description="Epoch milliseconds."),
    limit: int = Query(100, ge=1, le=10_000),
) -> Response:
    pipeline = await run_in_threadpool(_pipeline, container, fqn)
    records = await run_in_threadpool(
        container.catalog.list_records,
        pipeline["id"],
        "pipelineStatus",
        start=startTs,
        end=endTs,
        limit=limit,
    )
    return json_response({"data": records, "paging": {"total": len(records)}})


@router.post("/deploy/{entity_id}", dependencies=[authorize(Operation.EDIT_ALL, RESOURCE)])
@router.post("/trigger/{entity_id}", dependencies=[authorize(Operation.EDIT_ALL, RESOURCE)])
async def not_scheduled(entity_id: str) -> Response:
    raise BadRequest(
        "tessera does not schedule pipelines; run it with `tessera ingest -c workflow.yaml` "
        "(set ingestionPipelineFQN and pipelineRunId in the workflow to report its status here)"
    )
