"""A run cut short converges when it is run again: ``tessera ingest`` killed with SIGKILL in the
middle of its bulk writes, and the catalog server killed the same way under it, on SQLite and
PostgreSQL. Afterwards every table is there exactly once, with a gapless version history, and
the paging counters agree with the rows."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
import yaml

from tessera.storage import migrate
from tessera.storage.db import create_engine
from tests.integration.conftest import _create_server_database, _drop_server_database
from tests.integration.servers import tessera_server

pytestmark = pytest.mark.slow

# Enough batches (of 100) that the ingest is still running when the first ones are seen, even on
# a busy machine: with 500 it was sometimes done before the test could stop it.
TABLES = 1500
SERVICE = "faulty"
SCHEMA = f"{SERVICE}.testdb.main"
# Any three-part token: the unauthenticated server ignores it; the client wants one.
BOT_JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJpbmdlc3Rpb24tYm90In0.c2lnbmF0dXJl"


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'catalog.db'}"
        return
    url = _create_server_database("postgresql")
    engine = create_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    _drop_server_database("postgresql", url)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("source") / "source.db"
    with sqlite3.connect(path) as conn:
        for i in range(TABLES):
            conn.execute(
                f"CREATE TABLE t{i:04d} (id INTEGER PRIMARY KEY, name TEXT, amount REAL, at DATETIME)"
            )
    conn.close()
    return path


_started: list[subprocess.Popen[bytes]] = []


@pytest.fixture(autouse=True)
def _no_ingest_left_behind() -> Iterator[None]:
    """A test that fails with its ingest stopped (SIGSTOP) must not leave it behind: the process
    would outlive the test, and its Popen, once collected, fails whichever test runs next."""
    yield
    while _started:
        ingest = _started.pop()
        if ingest.poll() is None:
            ingest.kill()
            ingest.wait()


def start_ingest(base: str, source: Path, tmp_path: Path) -> subprocess.Popen[bytes]:
    workflow = {
        "source": {
            "type": "sqlite",
            "serviceName": SERVICE,
            "serviceConnection": {
                "config": {"type": "SQLite", "database": "testdb", "databaseMode": str(source)}
            },
            "sourceConfig": {"config": {"type": "DatabaseMetadata"}},
        },
        "sink": {"type": "metadata-rest", "config": {}},
        "workflowConfig": {
            "openMetadataServerConfig": {
                "hostPort": f"{base}/api",
                "authProvider": "openmetadata",
                "securityConfig": {"jwtToken": BOT_JWT},
            }
        },
    }
    config = tmp_path / "workflow.yaml"
    config.write_text(yaml.safe_dump(workflow))
    with (tmp_path / "ingest.log").open("ab") as log:  # the child keeps its own copy
        ingest = subprocess.Popen(
            [sys.executable, "-m", "tessera", "ingest", "-c", str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "TESSERA_HOME": str(tmp_path / "ingest-home")},
        )
    _started.append(ingest)
    return ingest


def tables_in_catalog(base: str) -> int:
    try:
        response = httpx.get(
            f"{base}/api/v1/tables", params={"databaseSchema": SCHEMA, "limit": 0}, timeout=10
        )
    except httpx.TransportError:
        return 0
    return int(response.json()["paging"]["total"]) if response.status_code == 200 else 0


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def run_to_the_end(base: str, source: Path, tmp_path: Path) -> None:
    ingest = start_ingest(base, source, tmp_path)
    assert ingest.wait(timeout=300) == 0, (tmp_path / "ingest.log").read_text()


def freeze_midway(ingest: subprocess.Popen[bytes], base: str) -> None:
    """Stop the ingest (SIGSTOP) once its first tables are in the catalog, before it can finish:
    whatever the machine's speed, what follows happens mid-run."""
    wait_until(lambda: tables_in_catalog(base) >= 1 or ingest.poll() is not None, "tables")
    ingest.send_signal(signal.SIGSTOP)
    assert ingest.poll() is None, "the ingest ended before it could be stopped; give it more tables"
    assert tables_in_catalog(base) < TABLES, "the ingest was done when stopped; give it more tables"


def test_a_killed_ingest_converges_when_run_again(catalog_url: str, source: Path, tmp_path: Path) -> None:
    with tessera_server(tmp_path / "home", catalog_url) as base:
        ingest = start_ingest(base, source, tmp_path)
        freeze_midway(ingest, base)
        ingest.send_signal(signal.SIGKILL)
        ingest.wait()
        assert tables_in_catalog(base) < TABLES
        run_to_the_end(base, source, tmp_path)
        assert tables_in_catalog(base) == TABLES
    check_converged(catalog_url)


def test_a_killed_server_converges_when_the_ingest_is_run_again(
    catalog_url: str, source: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    with tessera_server(home, catalog_url) as base:
        ingest = start_ingest(base, source, tmp_path)
        freeze_midway(ingest, base)
        server_pid = _server_pid(home)
        os.kill(server_pid, signal.SIGKILL)
        ingest.send_signal(signal.SIGCONT)
        assert ingest.wait(timeout=120) != 0  # it cannot reach the server any more
    with tessera_server(home, catalog_url) as base:
        assert tables_in_catalog(base) < TABLES
        run_to_the_end(base, source, tmp_path)
        assert tables_in_catalog(base) == TABLES
    check_converged(catalog_url)


def _server_pid(home: Path) -> int:
    """The pid of the ``tessera serve`` started with this home (the one listening)."""
    out = subprocess.run(["pgrep", "-f", "tessera serve --port"], capture_output=True, text=True, check=True)
    for pid in out.stdout.split():
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        if f"TESSERA_HOME={home}".encode() in environ:
            return int(pid)
    raise AssertionError(f"no tessera serve runs with TESSERA_HOME={home}")


def check_converged(url: str) -> None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            tables = conn.execute(
                sa.text("SELECT id, fqn, version, deleted FROM entity WHERE entity_type = 'table'")
            ).all()
            versions: dict[str, list[int]] = {}
            for row in conn.execute(sa.text("SELECT entity_id, version FROM entity_version")):
                versions.setdefault(row.entity_id, []).append(row.version)
            counted = conn.execute(
                sa.text("SELECT entity_type, parent_id, deleted, n FROM entity_count WHERE n <> 0")
            ).all()
            actual = conn.execute(
                sa.text(
                    "SELECT entity_type, COALESCE(parent_id, '') AS parent_id, deleted, COUNT(*) AS n "
                    "FROM entity GROUP BY entity_type, COALESCE(parent_id, ''), deleted"
                )
            ).all()
            documents = conn.execute(sa.text("SELECT doc FROM entity WHERE entity_type = 'table'")).scalars()
            columns = {len(json.loads(doc)["columns"]) for doc in documents}
    finally:
        engine.dispose()
    assert sorted(row.fqn for row in tables) == [f"{SCHEMA}.t{i:04d}" for i in range(TABLES)]
    assert not any(row.deleted for row in tables)
    for row in tables:
        # Every version once: the current one is the entity's own row, the ones before it are kept.
        assert sorted([*versions.get(row.id, []), row.version]) == list(range(1, row.version + 1)), row.fqn
    assert sorted((t, p, bool(d), n) for t, p, d, n in counted) == sorted(
        (t, p, bool(d), n) for t, p, d, n in actual
    )
    assert columns == {4}
