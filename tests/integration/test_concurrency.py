"""Several server processes on one database, several writers at once: what a team running
ingestion pipelines in parallel does. No write answers 5xx or loses its connection, nothing is
lost or duplicated, version histories stay gapless, and no transaction deadlocks."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tessera.storage import migrate
from tessera.storage.db import create_engine
from tests.integration.catalog.helpers import SCHEMA, columns
from tests.integration.conftest import _create_server_database, _drop_server_database
from tests.integration.search_counts import assert_counts_exact
from tests.integration.servers import tessera_server

pytestmark = pytest.mark.slow

SERVICE = "svc"
DATABASE = f"{SERVICE}.db"
SCHEMAS = (f"{DATABASE}.s0", f"{DATABASE}.s1")
TABLES_PER_SCHEMA = 40
WRITERS = 8
ROUNDS = 3
BATCH = 60
PATCHES = 15


def test_concurrent_puts_across_two_processes_give_one_entity_and_gapless_versions(
    clean_database: str, tmp_path: Path
) -> None:
    with (
        tessera_server(tmp_path / "a", clean_database) as first,
        tessera_server(tmp_path / "b", clean_database) as second,
    ):
        with httpx.Client(base_url=first, timeout=30) as setup:
            setup.put(
                "/api/v1/services/databaseServices",
                json={"name": "local_sqlite", "serviceType": "SQLite"},
            ).raise_for_status()
            setup.put(
                "/api/v1/databases", json={"name": "testdb", "service": "local_sqlite"}
            ).raise_for_status()
            setup.put(
                "/api/v1/databaseSchemas", json={"name": "main", "database": "local_sqlite.testdb"}
            ).raise_for_status()

        def put(i: int) -> int:
            base = first if i % 2 else second
            body = {"name": "contended", "databaseSchema": SCHEMA, "columns": columns("id", f"c{i % 5}")}
            with httpx.Client(base_url=base, timeout=60) as client:
                return client.put("/api/v1/tables", json=body).status_code

        with ThreadPoolExecutor(max_workers=12) as pool:
            statuses = list(pool.map(put, range(40)))

        assert set(statuses) <= {200, 201}, statuses
        assert statuses.count(201) == 1
        with httpx.Client(base_url=first, timeout=30) as client:
            listing = client.get(f"/api/v1/tables?databaseSchema={SCHEMA}&include=all").json()
            assert listing["paging"]["total"] == 1
            table = listing["data"][0]
            history = client.get(f"/api/v1/tables/{table['id']}/versions").json()["versions"]
        versions = sorted(round(json.loads(v)["version"] * 10) for v in history)
        assert versions == list(range(1, len(versions) + 1))
        assert round(table["version"] * 10) == len(versions)


# -- many writers on overlapping batches ------------------------------------------------------


@pytest.fixture(params=["postgresql", "mysql"])
def server_database(request: pytest.FixtureRequest) -> Iterator[str]:
    """A database of its own on a database server, for servers started by the test."""
    url = _create_server_database(request.param)
    engine = create_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    _drop_server_database(request.param, url)


def table_fqn(index: int) -> str:
    return f"{SCHEMAS[index % 2]}.t{index:03d}"


def table_request(index: int, description: str, *cols: str) -> dict[str, Any]:
    schema, name = table_fqn(index).rsplit(".", 1)
    return {"name": name, "databaseSchema": schema, "description": description, "columns": columns(*cols)}


@dataclass
class Load:
    """What the writers were told (acknowledged) and what went wrong on the way."""

    servers: tuple[str, str]
    failures: list[str] = field(default_factory=list)
    # (table FQN, description) of every write acknowledged as a change.
    acknowledged: list[tuple[str, str]] = field(default_factory=list)
    refused_if_match: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def client(self, worker: int) -> httpx.Client:
        return httpx.Client(base_url=self.servers[worker % 2], timeout=60)

    def call(
        self, what: str, send: Callable[..., httpx.Response], *args: Any, **kwargs: Any
    ) -> httpx.Response | None:
        try:
            response = send(*args, **kwargs)
        except httpx.TransportError as exc:  # a dropped or reset connection
            with self.lock:
                self.failures.append(f"{what}: {type(exc).__name__}: {exc}")
            return None
        if response.status_code >= 500:
            with self.lock:
                self.failures.append(f"{what}: {response.status_code} {response.text[:300]}")
        return response


def bulk_writer(load: Load, worker: int, start: threading.Barrier, total: int) -> None:
    rng = random.Random(worker)
    with load.client(worker) as http:
        start.wait()
        for round_ in range(ROUNDS):
            picked = rng.sample(range(total), BATCH)  # overlapping sets, each in its own order
            marker = f"writer {worker} round {round_}"
            body = [table_request(i, marker, "id", f"w{worker}", f"r{round_}") for i in picked]
            response = load.call(f"bulk {marker}", http.put, "/api/v1/tables/bulk", json=body)
            if response is None or response.status_code >= 500:
                continue
            result = response.json()
            if response.status_code != 200 or result["numberOfRowsFailed"]:
                with load.lock:
                    load.failures.append(f"bulk {marker}: {response.status_code} {response.text[:300]}")
                continue
            with load.lock:
                load.acknowledged += [
                    (row["request"], marker)
                    for row in result["successRequest"]
                    if row["message"] != "unchanged"
                ]


def patcher(load: Load, worker: int, start: threading.Barrier, existing: list[str], if_match: bool) -> None:
    rng = random.Random(100 + worker)
    with load.client(worker) as http:
        start.wait()
        for n in range(PATCHES):
            fqn = rng.choice(existing)
            marker = f"patch {worker}.{n}"
            table = http.get(f"/api/v1/tables/name/{fqn}").json()
            headers = {"If-Match": f'W/"{table["version"]}"'} if if_match else {}
            operations = [{"op": "add", "path": "/description", "value": marker}]
            path = f"/api/v1/tables/{table['id']}"
            response = load.call(marker, http.patch, path, json=operations, headers=headers)
            if response is None or response.status_code >= 500:
                continue
            if response.status_code == 412 and if_match:
                with load.lock:
                    load.refused_if_match += 1
            elif response.status_code == 200:
                with load.lock:
                    load.acknowledged.append((fqn, marker))
            else:
                with load.lock:
                    load.failures.append(f"{marker}: {response.status_code} {response.text[:300]}")


def test_many_writers_on_overlapping_batches_across_two_processes(
    server_database: str, tmp_path: Path
) -> None:
    total = TABLES_PER_SCHEMA * len(SCHEMAS)
    env = {"TESSERA_LOG_LEVEL": "INFO"}
    with (
        tessera_server(tmp_path / "a", server_database, env=env) as first,
        tessera_server(tmp_path / "b", server_database, env=env) as second,
    ):
        with httpx.Client(base_url=first, timeout=60) as setup:
            setup.put("/api/v1/services/databaseServices", json={"name": SERVICE, "serviceType": "Mysql"})
            setup.put("/api/v1/databases", json={"name": "db", "service": SERVICE}).raise_for_status()
            for schema in SCHEMAS:
                name = schema.rsplit(".", 1)[1]
                setup.put(
                    "/api/v1/databaseSchemas", json={"name": name, "database": DATABASE}
                ).raise_for_status()
            # Half the tables exist before the writers start: their batches mix creates and updates.
            existing = [table_fqn(i) for i in range(0, total, 2)]
            seeded = setup.put(
                "/api/v1/tables/bulk", json=[table_request(i, "seed", "id") for i in range(0, total, 2)]
            )
            assert seeded.json()["numberOfRowsPassed"] == len(existing), seeded.text

        deadlocks_before = _deadlocks(server_database)
        load = Load(servers=(first, second))
        start = threading.Barrier(WRITERS + 2)
        with ThreadPoolExecutor(max_workers=WRITERS + 2) as pool:
            jobs = [pool.submit(bulk_writer, load, w, start, total) for w in range(WRITERS)]
            jobs += [pool.submit(patcher, load, WRITERS + p, start, existing, p == 0) for p in range(2)]
            for job in jobs:
                job.result()

        assert load.failures == []
        with httpx.Client(base_url=second, timeout=60) as client:
            listing = client.get("/api/v1/tables", params={"limit": 1000, "include": "all"}).json()
        written = {fqn for fqn, _ in load.acknowledged} | set(existing)
        assert listing["paging"]["total"] == len(written)
        assert sorted(t["fullyQualifiedName"] for t in listing["data"]) == sorted(written)
        logs = "\n".join(path.read_text() for path in tmp_path.glob("*/server-*.log"))
    _check_database(server_database, load.acknowledged)
    # A deadlock or a lock wait that timed out would show as a retried write; there must be none.
    assert "write retried" not in logs, logs
    assert _deadlocks(server_database) - deadlocks_before == 0


def _deadlocks(url: str) -> int:
    """Deadlocks the database server has detected: in this database on PostgreSQL (read once
    the servers have stopped, which flushes their statistics), in the whole server on MariaDB
    (whose other databases see no deadlocks either)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            if url.startswith("postgresql"):
                query = "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
                return int(conn.exec_driver_sql(query).scalar_one())
            return int(conn.exec_driver_sql("SHOW GLOBAL STATUS LIKE 'Innodb_deadlocks'").one()[1])
    finally:
        engine.dispose()


def _check_database(url: str, acknowledged: list[tuple[str, str]]) -> None:
    # Every writer's search count deltas landed, none twice (a retried write's included).
    assert_counts_exact(url)
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            duplicates = conn.exec_driver_sql(
                "SELECT entity_type, fqn FROM entity GROUP BY entity_type, fqn HAVING COUNT(*) > 1"
            ).all()
            assert duplicates == []
            tables = conn.exec_driver_sql(
                "SELECT id, fqn, version, doc FROM entity WHERE entity_type = 'table'"
            )
            current = {row.id: (row.fqn, row.version, json.loads(row.doc)) for row in tables}
            # The current version is the entity's own row; entity_version holds those it superseded.
            history: dict[str, list[int]] = {
                entity_id: [version] for entity_id, (_, version, _) in current.items()
            }
            descriptions: dict[str, set[str]] = {
                fqn: {doc.get("description")} for fqn, _, doc in current.values()
            }
            for row in conn.exec_driver_sql(
                "SELECT entity_id, version, doc FROM entity_version WHERE entity_type = 'table'"
            ):
                history[row.entity_id].append(row.version)
                descriptions[current[row.entity_id][0]].add(json.loads(row.doc).get("description"))
            counted = conn.exec_driver_sql(
                "SELECT n FROM entity_count WHERE entity_type = 'table' AND deleted = false"
            ).scalars()
            assert sum(counted) == len(current)
    finally:
        engine.dispose()
    for entity_id, (fqn, version, _doc) in current.items():
        assert sorted(history[entity_id]) == list(range(1, version + 1)), fqn
    missing = [(fqn, marker) for fqn, marker in acknowledged if marker not in descriptions[fqn]]
    assert missing == []
