"""Every way a run can fail says what to fix, with its exit code (2 config, 3 server, 4 source)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import Result

from tests.ingest.conftest import sqlite_workflow, workflow
from tests.integration.servers import free_port

Ingest = Callable[..., Result]


class _Refuses(BaseHTTPRequestHandler):
    """A server that answers every request like a tessera rejecting the token."""

    def do_GET(self) -> None:
        body = b'{"code":401,"message":"Not Authorized! Token verification failed: Signature has expired"}'
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture
def refusing_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Refuses)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_unreachable_server_exit_3(ingest: Ingest, sqlite_db: Path, service_name: str) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = ingest(sqlite_workflow(service_name, sqlite_db, url))
    assert result.exit_code == 3, result.output
    assert "Cannot reach the catalog server" in result.output
    assert f"Cannot reach the catalog server at {url}/api" in result.output
    assert "Is it running (tessera serve)?" in result.output


def test_401_shows_the_servers_reason_exit_3(
    ingest: Ingest, sqlite_db: Path, service_name: str, refusing_server: str
) -> None:
    result = ingest(sqlite_workflow(service_name, sqlite_db, refusing_server))
    assert result.exit_code == 3, result.output
    assert "answered 401 Unauthorized: Not Authorized! Token verification failed: Signature has expired" in (
        result.output
    )
    assert "securityConfig.jwtToken" in result.output


def test_yaml_error_names_line_and_key_exit_2(ingest: Ingest, sqlite_db: Path, catalog: str) -> None:
    text = f"""\
source:
  type: sqlite
  serviceName: x
  serviceConnection:
    config:
      type: SQLite
      database: db
      databasemode: {sqlite_db}
workflowConfig:
  openMetadataServerConfig:
    hostPort: {catalog}/api
    authProvider: openmetadata
    securityConfig:
      jwtToken: t.o.k
"""
    result = ingest(text)
    assert result.exit_code == 2, result.output
    assert ":8:7: source.serviceConnection.config.databasemode: unknown key 'databasemode'" in result.output
    broken = ingest("source:\n  type: sqlite\n   serviceName: x\n")
    assert broken.exit_code == 2
    assert ":3:" in broken.output
    assert "invalid YAML" in broken.output


def test_sqlite_file_missing_exit_4(ingest: Ingest, tmp_path: Path, catalog: str, service_name: str) -> None:
    result = ingest(sqlite_workflow(service_name, tmp_path / "nope.db", catalog))
    assert result.exit_code == 4, result.output
    assert "Cannot open the SQLite file" in result.output
    assert "no such file" in result.output


def test_database_server_unreachable_exit_4(ingest: Ingest, catalog: str, service_name: str) -> None:
    port = free_port()
    connection = {
        "type": "Postgres",
        "hostPort": f"127.0.0.1:{port}",
        "username": "reader",
        "authType": {"password": "secret-value"},
        "database": "shop",
    }
    config = workflow(
        source_type="postgres", service=service_name, connection=connection, host_port=f"{catalog}/api"
    )
    result = ingest(config)
    assert result.exit_code == 4, result.output
    assert f"Cannot read Postgres at 127.0.0.1:{port} as 'reader'" in result.output
    assert "secret-value" not in result.output


def test_env_var_missing_exit_2(ingest: Ingest, sqlite_db: Path, catalog: str, service_name: str) -> None:
    config = sqlite_workflow(service_name, sqlite_db, catalog)
    config["workflowConfig"]["openMetadataServerConfig"]["securityConfig"]["jwtToken"] = (
        "${TESSERA_TEST_UNSET}"
    )
    result = ingest(config, env={"TESSERA_TEST_UNSET": None})
    assert result.exit_code == 2, result.output
    assert "environment variable TESSERA_TEST_UNSET is not set" in result.output
