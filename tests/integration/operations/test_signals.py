"""The operators' signals of one app, on each database: probes, unknown paths, correlation ids,
and metrics read back with Prometheus' own parser after real requests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from tessera.app import create_app
from tessera.config import Settings, load_settings
from tests.integration.catalog.helpers import make_hierarchy, ok, put_table


def samples(client: TestClient, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """``name``'s samples from /metrics, keyed by their sorted labels."""
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    found: dict[tuple[tuple[str, str], ...], float] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def test_probes_unknown_paths_and_correlation_ids(client: TestClient) -> None:
    assert ok(client.get("/healthz")) == {"status": "alive"}
    ready = ok(client.get("/readyz"))
    assert ready == {"status": "ready", "checks": {"database": "ok", "signingKeys": "ok"}}
    # A mistyped probe or scraper path fails, as JSON, instead of passing with the UI's page.
    for path in ("/healthcheck", "/health", "/metric", "/nonsense/deeper", "/api/v1/nonsense", "/API/v1/x"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/json", path
        assert response.json()["code"] == 404
    # The UI's own pages still get the page (client-side routing).
    for path in ("/", "/explore", "/tables/a.b.c.d", "/settings/users/x", "/signin"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/html"), path
    # A caller's id is kept when it is one; anything else is replaced by a fresh id.
    kept = client.get("/healthz", headers={"X-Request-ID": "4bf92f3577b34da6a3ce929d0e0e4736"})
    assert kept.headers["X-Correlation-Id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    kept = client.get("/healthz", headers={"X-Correlation-ID": "lb-7:42.a_b"})
    assert kept.headers["X-Correlation-Id"] == "lb-7:42.a_b"
    for unsafe in ("x\\ny", "a b", "x" * 200, "<script>"):
        replaced = client.get("/healthz", headers={"X-Request-ID": unsafe})
        assert replaced.headers["X-Correlation-Id"] != unsafe
        assert len(replaced.headers["X-Correlation-Id"]) == 32
    assert (
        client.get("/healthz").headers["X-Correlation-Id"]
        != client.get("/healthz").headers["X-Correlation-Id"]
    )


def test_metrics_count_requests_by_route_template_and_entity_writes(client: TestClient) -> None:
    make_hierarchy(client)
    ok(put_table(client, "orders", "id"), 201)
    ok(put_table(client, "orders", "id", "total"))
    ok(put_table(client, "orders", "id", "total"))
    for name in ("a", "b", "c"):
        client.get(f"/api/v1/tables/name/no.such.table.{name}")
    requests = samples(client, "tessera_http_requests_total")
    by_name = (("method", "GET"), ("route", "/api/v1/tables/name/{fqn}"), ("status", "404"))
    # One series for the three names: the label is the template, never the raw path.
    assert requests[by_name] == 3
    assert not any("no.such" in value for key in requests for _, value in key)
    created = samples(client, "tessera_entity_writes_total")
    assert created[(("action", "created"), ("entity", "databaseService"))] == 1
    assert created[(("action", "created"), ("entity", "table"))] == 1
    # The unchanged third PUT wrote nothing.
    assert created[(("action", "updated"), ("entity", "table"))] == 1
    durations = samples(client, "tessera_http_request_duration_seconds_count")
    assert durations[(("method", "GET"), ("route", "/api/v1/tables/name/{fqn}"))] == 3
    pool = samples(client, "tessera_db_pool_size")
    assert pool[()] >= 1
    assert samples(client, "tessera_db_pool_checked_out")[()] >= 0


@pytest.fixture
def basic_settings(settings_factory: Callable[..., Settings]) -> Settings:
    return settings_factory(AUTHENTICATION_PROVIDER="basic")


def test_refusals_are_counted_by_reason_and_tokens_by_cache_result(basic_settings: Settings) -> None:
    with TestClient(create_app(basic_settings)) as client:
        assert client.get("/api/v1/tables").status_code == 401
        forged = client.get("/api/v1/tables", headers={"Authorization": "Bearer not.a.jwt"})
        assert forged.status_code == 401
        token = admin_session_in_process(client, basic_settings)
        for _ in range(3):
            ok(client.get("/api/v1/tables", headers={"Authorization": f"Bearer {token}"}))
        refusals = samples(client, "tessera_auth_refusals_total")
        assert refusals[(("reason", "missing"),)] == 1
        assert refusals[(("reason", "malformed"),)] == 1
        lookups = samples(client, "tessera_token_cache_lookups_total")
        assert lookups[(("result", "hit"),)] >= 2
        assert lookups[(("result", "miss"),)] >= 1


def admin_session_in_process(client: TestClient, settings: Settings) -> str:
    import base64

    from tessera.users.bootstrap import ADMIN_PASSWORD_FILE

    password = (settings.home / ADMIN_PASSWORD_FILE).read_text().strip()
    response = client.post(
        "/api/v1/users/login",
        json={"email": "admin", "password": base64.b64encode(password.encode()).decode()},
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["accessToken"]
    return token


@pytest.mark.parametrize(("access", "anonymous", "admin"), [("authenticated", 401, 200), ("admin", 401, 200)])
def test_metrics_can_be_limited(
    settings_factory: Callable[..., Settings], access: str, anonymous: int, admin: int
) -> None:
    settings = settings_factory(AUTHENTICATION_PROVIDER="basic", TESSERA_METRICS_ACCESS=access)
    with TestClient(create_app(settings)) as client:
        refused = client.get("/metrics")
        assert refused.status_code == anonymous
        assert "server.metricsAccess" in refused.json()["message"]
        token = admin_session_in_process(client, settings)
        assert client.get("/metrics", headers={"Authorization": f"Bearer {token}"}).status_code == admin


def test_readiness_is_503_naming_the_database_when_it_is_unreachable(tmp_path: object) -> None:
    settings = load_settings(
        environ={
            "TESSERA_HOME": str(tmp_path),
            "AUTHENTICATION_PROVIDER": "no-auth",
            # Nothing listens on port 1.
            "TESSERA_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/tessera",
        }
    )
    # Without the lifespan: start-up itself would stop on the unreachable database.
    client = TestClient(create_app(settings))
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == 503
    assert body["checks"]["database"].startswith("unreachable")
    assert "database: unreachable" in body["message"]
    assert client.get("/healthz").status_code == 200


def test_audit_records_carry_the_request_and_paging_counts_every_match(basic_settings: Settings) -> None:
    import base64

    with TestClient(create_app(basic_settings)) as client:
        for n in range(2):
            refused = client.post(
                "/api/v1/users/login",
                json={"email": "admin", "password": base64.b64encode(b"wrong").decode()},
                headers={"X-Request-ID": f"bad-login-{n}", "User-Agent": "audit-probe/1.0"},
            )
            assert refused.status_code == 401
        token = admin_session_in_process(client, basic_settings)
        admin = {"Authorization": f"Bearer {token}"}
        page = ok(client.get("/api/v1/audit/events", params={"limit": 2}, headers=admin))
        everything = ok(client.get("/api/v1/audit/events", params={"limit": 1000}, headers=admin))
        assert len(page["data"]) == 2
        assert page["paging"]["total"] == len(everything["data"]) > 2
        logins = ok(client.get("/api/v1/audit/events", params={"action": "login", "limit": 1}, headers=admin))
        assert logins["paging"]["total"] == 3
        failures = [e for e in everything["data"] if e["action"] == "login" and e["outcome"] == "failure"]
        assert sorted(e["correlationId"] for e in failures) == ["bad-login-0", "bad-login-1"]
        assert {e["userAgent"] for e in failures} == {"audit-probe/1.0"}
        # The test client's address, as uvicorn would give the caller's (or the proxy's client).
        assert {e["sourceIp"] for e in failures} == {"testclient"}
        # Events written by start-up (no request) carry none.
        assert any(e["correlationId"] is None for e in everything["data"])


@pytest.mark.postgres
def test_readiness_turns_503_when_the_database_goes_away_under_a_running_server(tmp_path: object) -> None:
    from tests.integration.conftest import _create_server_database, _drop_server_database

    url = _create_server_database("postgresql")
    try:
        settings = load_settings(
            environ={
                "TESSERA_HOME": str(tmp_path),
                "AUTHENTICATION_PROVIDER": "no-auth",
                "TESSERA_DATABASE_URL": url,
            }
        )
        with TestClient(create_app(settings)) as client:
            assert client.get("/readyz").status_code == 200
            _drop_server_database("postgresql", url)
            gone = client.get("/readyz")
            assert gone.status_code == 503
            assert gone.json()["checks"]["database"].startswith("unreachable")
            assert gone.json()["checks"]["signingKeys"] == "ok"
            # Liveness does not depend on the database: restarting would not bring it back.
            assert client.get("/healthz").status_code == 200
    finally:
        _drop_server_database("postgresql", url)
