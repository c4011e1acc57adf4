"""Several server processes on one database: concurrent writes of the same entity."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.integration.catalog.helpers import SCHEMA, columns
from tests.integration.servers import tessera_server

pytestmark = pytest.mark.slow


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
