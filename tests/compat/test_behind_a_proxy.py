"""OpenMetadata's own SDK against tessera served under a sub-path (server.rootPath), as it is
behind a reverse proxy: the client's hostPort is <site>/catalog/api and nothing else changes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.compat.client import Sdk
from tests.compat.test_sdk import make_schema, put_table
from tests.integration.servers import admin_session, tessera_server

pytestmark = [pytest.mark.compat, pytest.mark.slow]


@pytest.fixture(scope="module")
def proxied(compat_client: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    home = tmp_path_factory.mktemp("proxied-home")
    env = {"AUTHENTICATION_PROVIDER": "basic", "TESSERA_ROOT_PATH": "/catalog"}
    with tessera_server(home, f"sqlite:///{home / 'catalog.db'}", env=env) as base_url:
        yield base_url, admin_session(base_url, home)


def test_the_sdk_works_under_the_root_path(proxied: tuple[str, str], tmp_path: Path) -> None:
    base_url, admin_token = proxied
    sdk = Sdk(f"{base_url}/catalog", admin_token, tmp_path / "worker.log")
    try:
        health = sdk.call("health_check")
        assert health["healthy"] is True
        schema = make_schema(sdk, "behind_proxy")["schema"]
        table = put_table(sdk, schema["fullyQualifiedName"], "orders", "status")
        assert table["fullyQualifiedName"] == "behind_proxy.shop.main.orders"
        # The hrefs the client was given point under the prefix, where the proxy forwards.
        assert table["href"].startswith(f"{base_url}/catalog/api/v1/tables/")
    finally:
        sdk.close()
    found = httpx.get(
        f"{base_url}/catalog/api/v1/tables/name/behind_proxy.shop.main.orders",
        headers={"Authorization": f"Bearer {admin_token}"},
        timeout=30,
    )
    assert found.status_code == 200, found.text
