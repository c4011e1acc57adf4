"""A server behind a reverse proxy under /catalog (server.rootPath): its page, assets, API,
probes and reference all live there, whether the proxy strips the prefix or forwards it."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tessera.app import create_app
from tessera.config import Settings, load_settings
from tessera.users.bootstrap import ADMIN_PASSWORD_FILE

_URLS = re.compile(r'(?:src|href|content)="(/[^"]*)"')


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    home = tmp_path_factory.mktemp("root-path")
    return load_settings(
        environ={
            "TESSERA_HOME": str(home),
            "TESSERA_DATABASE_URL": f"sqlite:///{home / 'tessera.db'}",
            "AUTHENTICATION_PROVIDER": "basic",
            "TESSERA_ROOT_PATH": "/catalog",
        }
    )


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_the_page_and_every_url_in_it_live_under_the_root_path(client: TestClient) -> None:
    page = client.get("/catalog/explore")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    urls = _URLS.findall(page.text)
    assert '<meta name="tessera-base" content="/catalog">' in page.text
    assert len(urls) > 10
    for url in urls:
        assert url == "/catalog" or url.startswith("/catalog/"), url
        if "/static/" in url:
            asset = client.get(url)
            assert asset.status_code == 200, url
            assert asset.headers["cache-control"].startswith("public, max-age=31536000")


@pytest.mark.parametrize("prefix", ["/catalog", ""])
def test_api_probes_and_reference_answer_with_or_without_the_prefix(client: TestClient, prefix: str) -> None:
    # A proxy that strips the prefix and one that forwards it, and kubelet's probes on the pod.
    assert client.get(f"{prefix}/api/v1/system/version").status_code == 200
    assert client.get(f"{prefix}/healthz").json() == {"status": "alive"}
    assert client.get(f"{prefix}/readyz").status_code == 200
    refused = client.get(f"{prefix}/api/v1/tables")
    assert refused.status_code == 401
    assert refused.json()["code"] == 401
    assert client.get(f"{prefix}/nonsense").status_code == 404
    docs = client.get(f"{prefix}/docs").text
    assert all(url.startswith("/catalog/docs/assets/") for url in re.findall(r'(?:src|href)="([^"]+)"', docs))
    assert "url: '/catalog/openapi.json'" in docs


def test_the_api_works_signed_in_under_the_root_path(client: TestClient, settings: Settings) -> None:
    password = (settings.home / ADMIN_PASSWORD_FILE).read_text().strip()
    login = client.post(
        "/catalog/api/v1/users/login",
        json={"email": "admin", "password": base64.b64encode(password.encode()).decode()},
    )
    assert login.status_code == 200, login.text
    bearer = {"Authorization": f"Bearer {login.json()['accessToken']}"}
    created = client.put(
        "/catalog/api/v1/services/databaseServices", json={"name": "under_a_proxy", "serviceType": "SQLite"}
    )
    assert created.status_code == 401
    created = client.put(
        "/catalog/api/v1/services/databaseServices",
        json={"name": "under_a_proxy", "serviceType": "SQLite"},
        headers=bearer,
    )
    assert created.status_code == 201, created.text
    # Links in the API's answers carry the prefix too (request.base_url includes it).
    assert "/catalog/api/v1/services/databaseServices/" in created.json()["href"]
    spec = client.get("/catalog/openapi.json").json()
    assert spec["servers"] == [{"url": "/catalog"}]


def test_a_protected_path_is_not_made_public_by_the_prefix(client: TestClient) -> None:
    # The authentication middleware decides on the path below the root, encoded or not.
    for path in ("/catalog/api/v1/tables", "/catalog/API/v1/tables", "/catalog//api/v1/tables"):
        response = client.get(path)
        assert response.status_code in (401, 404), path
        assert response.headers["content-type"] == "application/json", path
    assert client.get("/catalog%2Fapi/v1/tables").status_code in (401, 404)
