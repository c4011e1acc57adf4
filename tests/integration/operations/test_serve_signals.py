"""Signals of real `tessera serve` processes: metrics and logs with several workers, and the
orderly stop on SIGTERM with a request in flight."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.servers import free_port, tessera_server

pytestmark = pytest.mark.slow


def metric(base: str, name: str, **labels: str) -> float:
    text = httpx.get(f"{base}/metrics", timeout=10).text
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


def test_two_workers_add_up_their_metrics_and_keep_their_json_log_lines(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {
        "TESSERA_WORKERS": "2",
        "AUTHENTICATION_PROVIDER": "basic",
        "LOG_FORMAT": "json",
        "TESSERA_LOG_LEVEL": "INFO",
    }
    ids = [f"probe-{n}" for n in range(20)]
    with tessera_server(home, f"sqlite:///{tmp_path / 'tessera.db'}", env=env) as base:
        responses = []
        for request_id in ids:
            # A connection each: the kernel hands them to either worker.
            responses.append(httpx.get(f"{base}/api/v1/tables", headers={"X-Request-ID": request_id}))
        # From a trusted proxy (127.0.0.1 by default), the forwarded client is the client.
        forwarded = httpx.get(
            f"{base}/healthz", headers={"X-Request-ID": "via-proxy", "X-Forwarded-For": "203.0.113.9"}
        )
        assert forwarded.status_code == 200
        assert {r.status_code for r in responses} == {401}
        assert [r.headers["X-Correlation-Id"] for r in responses] == ids
        # Whichever worker answers the scrape reports both workers' numbers.
        for _ in range(4):
            assert metric(base, "tessera_http_requests_total", route="/api/v1/tables", status="401") == 20
            assert metric(base, "tessera_auth_refusals_total", reason="missing") == 20
    log_file = next(home.glob("server-*.log"))
    lines = [line for line in log_file.read_text().splitlines() if line.startswith("{")]
    records = [json.loads(line) for line in lines]
    workers = {r["process"] for r in records if r["logger"] == "tessera.access"}
    started = {r["message"] for r in records if r["message"].startswith("Started server process")}
    assert len(started) == 2, started
    for request_id in ids:
        mine = [r for r in records if r.get("correlationId") == request_id]
        refused = [r for r in mine if r["message"].startswith("authentication refused")]
        access = [r for r in mine if r["logger"] == "tessera.access"]
        assert len(refused) == 1, (request_id, mine)
        assert "Token not present" in refused[0]["message"]
        assert len(access) == 1
        assert access[0]["access"]["status"] == 401
        assert access[0]["access"]["route"] == "/api/v1/tables"
    assert workers
    via_proxy = next(r for r in records if r.get("correlationId") == "via-proxy" and "access" in r)
    assert via_proxy["access"]["client"] == "203.0.113.9"


@pytest.fixture
def server_process(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str, Path]]:
    port = free_port()
    home = tmp_path / "home"
    home.mkdir()
    log_path = tmp_path / "server.log"
    env = {
        **os.environ,
        "TESSERA_HOME": str(home),
        "TESSERA_DATABASE_URL": f"sqlite:///{tmp_path / 'tessera.db'}",
        "AUTHENTICATION_PROVIDER": "no-auth",
        "TESSERA_LOG_LEVEL": "INFO",
        "TESSERA_SHUTDOWN_DRAIN_SECONDS": "1.5",
        # Only this proxy's forwarded headers are believed: not ours (127.0.0.1).
        "FORWARDED_ALLOW_IPS": "10.9.9.9",
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tessera", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log_path.read_text()
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.1)
        yield process, base, log_path
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def test_sigterm_turns_readiness_503_then_finishes_the_request_in_flight(
    server_process: tuple[subprocess.Popen[bytes], str, Path],
) -> None:
    process, base, log_path = server_process
    spoofed = httpx.get(
        f"{base}/healthz", headers={"X-Request-ID": "spoof", "X-Forwarded-For": "203.0.113.9"}
    )
    assert spoofed.status_code == 200
    release = threading.Event()
    body = json.dumps(
        {
            "name": "slow_upload",
            "serviceType": "SQLite",
            "connection": {"config": {"type": "SQLite", "databaseMode": "/tmp/slow.db"}},
        }
    ).encode()

    def slow_body() -> Iterator[bytes]:
        yield body[:10]
        # The rest only once the server has stopped taking new connections.
        release.wait(30)
        yield body[10:]

    with ThreadPoolExecutor(1) as pool:
        in_flight = pool.submit(
            httpx.put,
            f"{base}/api/v1/services/databaseServices",
            content=slow_body(),
            headers={"Content-Type": "application/json"},
            timeout=60,
        )
        deadline = time.monotonic() + 20
        # The scrape itself is one request in progress; the upload is the other.
        while metric(base, "tessera_http_requests_in_progress") < 2:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        ready = httpx.get(f"{base}/readyz", timeout=5)
        assert ready.status_code == 503
        assert "shutting down" in ready.json()["message"]
        # Still serving while the load balancer catches up.
        assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200
        while True:
            try:
                httpx.get(f"{base}/healthz", timeout=1)
            except httpx.TransportError:
                break  # no longer accepting connections
            assert time.monotonic() < deadline + 20
            time.sleep(0.05)
        assert process.poll() is None, "exited with a request in flight"
        release.set()
        response = in_flight.result(timeout=30)
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "slow_upload"
    # uvicorn ends by re-raising the signal it handled, as the process's exit status says.
    assert process.wait(timeout=30) in (0, -signal.SIGTERM)
    log = log_path.read_text()
    assert "SIGTERM: readiness is now 503" in log
    spoof_line = next(
        line for line in log.splitlines() if "[correlation spoof]" in line and "/healthz" in line
    )
    assert '127.0.0.1 "GET /healthz" 200' in spoof_line
    assert "203.0.113.9" not in log
    assert "Traceback" not in log
