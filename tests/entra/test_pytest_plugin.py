"""The in-process emulator (httpx transports, no socket) and the pytest plugin that ships with
tessera (``tessera.entra.pytest_plugin``, entry point ``pytest11``/``tessera_entra``): its
fixtures used directly here, and from another project's tests in a pytest subprocess."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import httpx
import jwt
import msal
import pytest
from anyio.from_thread import start_blocking_portal

from tessera.entra.testing import InProcessEmulator

from .conftest import sign_in


@pytest.fixture
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to connect a socket fails the test."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"a socket was connected: {args[1:]}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)


@pytest.mark.usefixtures("no_sockets")
def test_msal_client_credentials_in_process(entra_in_process: InProcessEmulator) -> None:
    idp = entra_in_process
    demo = idp.build_demo_tenant()
    assert demo.authority.startswith("https://login.entra.test/")
    app = msal.ConfidentialClientApplication(
        demo.ingestion_client_id,
        client_credential=demo.ingestion_secret,
        authority=demo.authority,
        instance_discovery=False,
        http_client=idp.http_client(),
    )
    result = app.acquire_token_for_client([demo.ingestion_scope])
    assert "access_token" in result, result
    # Validated as a resource server would, the keys fetched through the same transport.
    with idp.client() as http:
        v1 = http.get(f"/{demo.tenant_id}/.well-known/openid-configuration").json()
        keys = jwt.PyJWKSet.from_dict(http.get(v1["jwks_uri"]).json())
    token = result["access_token"]
    key = next(k for k in keys.keys if k.key_id == jwt.get_unverified_header(token)["kid"])
    claims = jwt.decode(
        token, key.key, algorithms=["RS256"], audience=demo.ingestion_app_id_uri, issuer=v1["issuer"]
    )
    assert v1["issuer"] == f"https://login.entra.test/{demo.tenant_id}/"
    assert claims["oid"] == demo.ingestion_object_id


@pytest.mark.usefixtures("no_sockets")
def test_msal_sign_in_in_process(entra_in_process: InProcessEmulator) -> None:
    """The whole authorization code flow, the sign-in form posted through the transport."""
    idp = entra_in_process
    demo = idp.build_demo_tenant()
    native = idp.create_app(demo.tenant_id, "desktop", public_client_redirect_uris=["http://localhost"])
    idp.service.add_permission(demo.tenant_id, native["appId"], demo.ui_client_id, scopes=["access_as_user"])
    idp.service.grant_admin_consent(demo.tenant_id, native["appId"])
    app = msal.PublicClientApplication(
        native["appId"], authority=demo.authority, instance_discovery=False, http_client=idp.http_client()
    )
    flow = app.initiate_auth_code_flow([demo.api_scope], "http://localhost:8400", response_mode="form_post")
    with idp.client() as browser:
        result = sign_in(browser, flow["auth_uri"], demo.admin.user_principal_name, demo.admin.password)
    tokens = app.acquire_token_by_auth_code_flow(flow, result.params)
    assert tokens["id_token_claims"]["oid"] == demo.admin.id
    assert jwt.decode(tokens["access_token"], options={"verify_signature": False})["scp"] == "access_as_user"


def test_async_transport(entra_in_process: InProcessEmulator) -> None:
    idp = entra_in_process
    demo = idp.build_demo_tenant()

    async def discover() -> dict[str, Any]:
        async with httpx.AsyncClient(transport=idp.async_transport(), base_url=idp.base_url) as client:
            response = await client.get(f"/{demo.domain}/v2.0/.well-known/openid-configuration")
            doc: dict[str, Any] = response.json()
            return doc

    # In a thread of its own: a session's Playwright may have left an event loop in this one.
    with start_blocking_portal() as portal:
        doc = portal.call(discover)
    assert doc["issuer"] == f"{idp.base_url}/{demo.tenant_id}/v2.0"
    assert doc["token_endpoint"] == f"{idp.base_url}/{demo.tenant_id}/oauth2/v2.0/token"


def test_the_plugin_is_registered(pytestconfig: pytest.Config) -> None:
    plugin = pytestconfig.pluginmanager.get_plugin("tessera_entra")
    assert plugin is not None, "reinstall tessera (pip install -e .) to register its pytest11 entry point"
    assert plugin.__name__ == "tessera.entra.pytest_plugin"


def test_importing_the_plugin_does_no_work() -> None:
    code = (
        "import json, sys\n"
        "import tessera.entra.pytest_plugin\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('tessera', 'starlette', "
        "'sqlalchemy', 'uvicorn', 'httpx', 'msal')))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == ["tessera", "tessera.entra", "tessera.entra.pytest_plugin"]


OTHER_PROJECT_TESTS = """
import msal

TENANTS = []


def test_client_credentials(entra_emulator, entra_tenant):
    TENANTS.append(entra_tenant.tenant_id)
    app = msal.ConfidentialClientApplication(
        entra_tenant.ingestion_client_id,
        client_credential=entra_tenant.ingestion_secret,
        authority=entra_tenant.authority,
        instance_discovery=False,
        http_client=entra_emulator.http_client(),
    )
    assert "access_token" in app.acquire_token_for_client([entra_tenant.ingestion_scope])


def test_each_test_has_its_own_tenant(entra_emulator, entra_tenant):
    TENANTS.append(entra_tenant.tenant_id)
    assert len(set(TENANTS)) == len(TENANTS)
    assert entra_emulator.service.tenant(entra_tenant.tenant_id)["id"] == entra_tenant.tenant_id


def test_in_process(entra_in_process):
    demo = entra_in_process.build_demo_tenant()
    with entra_in_process.client() as http:
        doc = http.get(f"/{demo.tenant_id}/v2.0/.well-known/openid-configuration").json()
    assert doc["issuer"] == f"https://login.entra.test/{demo.tenant_id}/v2.0"
"""


def test_fixtures_in_another_projects_tests(tmp_path: Path) -> None:
    """A project that only installed tessera: its tests use the fixtures, nothing configured."""
    (tmp_path / "test_with_entra.py").write_text(textwrap.dedent(OTHER_PROJECT_TESTS))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert "3 passed" in out.stdout, out.stdout + out.stderr
