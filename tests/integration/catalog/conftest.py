"""Catalog tests share one application per database (building FastAPI's routes is the slow part
of a test), with the database emptied and the built-in entities reinstalled before each test.
They run without authentication: what they test is the catalog, not who may use it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tessera.app import create_app
from tessera.bootstrap import start
from tessera.config import load_settings


@pytest.fixture(scope="session")
def _shared_clients() -> Iterator[dict[str, TestClient]]:
    clients: dict[str, TestClient] = {}
    yield clients
    for client in clients.values():
        client.__exit__(None, None, None)


@pytest.fixture
def client(
    clean_database: str, _shared_clients: dict[str, TestClient], tmp_path_factory: pytest.TempPathFactory
) -> TestClient:
    shared = _shared_clients.get(clean_database)
    if shared is None:
        settings = load_settings(
            environ={
                "TESSERA_HOME": str(tmp_path_factory.mktemp("home")),
                "TESSERA_DATABASE_URL": clean_database,
                "AUTHENTICATION_PROVIDER": "no-auth",
            }
        )
        shared = TestClient(create_app(settings))
        shared.__enter__()
        _shared_clients[clean_database] = shared
    else:
        start(shared.app.state.container)  # type: ignore[attr-defined]
    return shared
