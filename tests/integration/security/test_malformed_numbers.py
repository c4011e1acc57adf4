"""Numbers a caller sends that no column can hold, or that are no numbers at all, are 400s that
name the parameter: never a 500."""

from __future__ import annotations

from tests.integration.security.conftest import Session

HUGE = "9" * 20


def _bad(response: object, name: str) -> None:
    assert response.status_code == 400, response.text  # type: ignore[attr-defined]
    assert name in response.json()["message"], response.text  # type: ignore[attr-defined]


def test_out_of_range_and_malformed_numbers_are_named_400s(session: Session) -> None:
    admin = session.as_(session.admin_token())
    service = session.client.put(
        "/api/v1/services/databaseServices", json={"name": "svc", "serviceType": "SQLite"}, headers=admin
    ).json()
    pipeline = session.client.put(
        "/api/v1/services/ingestionPipelines",
        json={
            "name": "nightly",
            "pipelineType": "metadata",
            "sourceConfig": {"config": {"type": "DatabaseMetadata"}},
            "airflowConfig": {},
            "service": {"id": service["id"], "type": "databaseService"},
        },
        headers=admin,
    ).json()
    fqn = pipeline["fullyQualifiedName"]
    base = f"/api/v1/services/databaseServices/{service['id']}"
    for version in ("1e30", "inf", "-1", "nan", "0x10"):
        _bad(session.client.get(f"{base}/versions/{version}", headers=admin), "version")
    statuses = f"/api/v1/services/ingestionPipelines/{fqn}/pipelineStatus"
    _bad(session.client.get(f"{statuses}?limit={HUGE}", headers=admin), "limit")
    _bad(session.client.get(f"{statuses}?startTs={HUGE}", headers=admin), "startTs")
    _bad(session.client.get(f"{statuses}?endTs=-{HUGE}", headers=admin), "endTs")
    _bad(session.client.get(f"/api/v1/audit/events?before={HUGE}", headers=admin), "before")
    patched = session.client.patch(
        base,
        json=[{"op": "add", "path": "/description", "value": "x"}],
        headers={**admin, "If-Match": 'W/"inf"', "Content-Type": "application/json-patch+json"},
    )
    _bad(patched, "If-Match")
    progress = f"/api/v1/services/ingestionPipelines/progress/{fqn}/run-1"
    _bad(session.client.put(progress, json={"timestamp": "abc"}, headers=admin), "timestamp")
    _bad(session.client.put(progress, json={"timestamp": int(HUGE)}, headers=admin), "timestamp")
    logs = f"/api/v1/services/ingestionPipelines/logs/{fqn}/run-1"
    _bad(session.client.post(logs, json={"logs": "x", "timestamp": 1.5}, headers=admin), "timestamp")
    status = session.client.put(
        statuses, json={"runId": "r1", "pipelineState": "running", "startDate": "soon"}, headers=admin
    )
    _bad(status, "startDate")
    # In range, all is well.
    assert session.client.get(f"{statuses}?limit=5&startTs=0&endTs={2**62}", headers=admin).status_code == 200
    assert (
        session.client.put(progress, json={"timestamp": 1_700_000_000_000}, headers=admin).status_code == 200
    )
