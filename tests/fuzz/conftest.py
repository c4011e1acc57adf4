"""A real ``tessera serve`` (basic authentication, SQLite) for OpenAPI-driven fuzzing."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import httpx
import pytest
import schemathesis

from tests.integration.servers import tessera_server


@pytest.fixture(scope="module")
def fuzzed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    home = tmp_path_factory.mktemp("fuzz") / "home"
    url = f"sqlite:///{home.parent / 'tessera.db'}"
    with tessera_server(home, url, env={"AUTHENTICATION_PROVIDER": "basic"}) as base:
        password = (home / "initial-admin-password").read_text().strip()
        login = httpx.post(
            f"{base}/api/v1/users/login",
            json={"email": "admin", "password": base64.b64encode(password.encode()).decode()},
            timeout=30,
        )
        login.raise_for_status()
        headers = {"Authorization": f"Bearer {login.json()['accessToken']}"}
        _seed(base, headers)
        yield base, headers


def _seed(base: str, headers: dict[str, str]) -> None:
    """Something for the fuzzed requests to find besides 404s."""
    with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
        http.put(
            "/api/v1/services/databaseServices", json={"name": "fuzz", "serviceType": "SQLite"}
        ).raise_for_status()
        http.put("/api/v1/databases", json={"name": "db", "service": "fuzz"}).raise_for_status()
        http.put("/api/v1/databaseSchemas", json={"name": "main", "database": "fuzz.db"}).raise_for_status()
        http.put(
            "/api/v1/tables",
            json={
                "name": "t",
                "databaseSchema": "fuzz.db.main",
                "columns": [{"name": "id", "dataType": "INT"}],
            },
        ).raise_for_status()


@pytest.fixture(scope="module")
def api_schema(fuzzed_server: tuple[str, dict[str, str]]) -> schemathesis.BaseSchema:
    base, _headers = fuzzed_server
    return schemathesis.openapi.from_url(f"{base}/openapi.json")
