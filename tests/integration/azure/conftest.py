"""Azure SSO against tessera.entra, with Microsoft's MSAL Python on the client side.

One emulator per session; each test makes its own tenant (the guide's demo tenant) and a
tessera server configured for it exactly as the Azure SSO guide says.
"""

from __future__ import annotations

import ssl
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tessera.app import create_app
from tessera.bootstrap import build_container
from tessera.clock import SYSTEM_CLOCK, Clock
from tessera.config import Settings
from tessera.entra.testing import DemoTenant, RunningEmulator
from tests.entra.conftest import confidential, public, sign_in, start_flow

NATIVE_REDIRECT = "http://localhost:8400"


# The package's own pytest plugin (tessera.entra.pytest_plugin) provides both, as it does for
# anyone's tests: the session's emulator, and a fresh demo tenant per test.
@pytest.fixture(scope="session")
def entra(entra_emulator: RunningEmulator) -> RunningEmulator:
    return entra_emulator


@pytest.fixture
def demo(entra_tenant: DemoTenant) -> DemoTenant:
    return entra_tenant


@pytest.fixture
def idp_http(entra: RunningEmulator) -> Iterator[httpx.Client]:
    context = ssl.create_default_context(cafile=str(entra.ca_file))
    with httpx.Client(verify=context, follow_redirects=False, timeout=10) as client:
        yield client


@dataclass
class AzureCatalog:
    client: TestClient
    settings: Settings
    demo: DemoTenant

    def get(self, path: str, token: str) -> httpx.Response:
        return self.client.get(path, headers={"Authorization": f"Bearer {token}"})

    def put(self, path: str, token: str, body: Any) -> httpx.Response:
        return self.client.put(path, json=body, headers={"Authorization": f"Bearer {token}"})

    def message(self, path: str, token: str) -> tuple[int, str]:
        response = self.get(path, token)
        return response.status_code, response.json()["message"]


def azure_env(entra: RunningEmulator, demo: DemoTenant, **env: str) -> dict[str, str]:
    return {
        "AUTHENTICATION_PROVIDER": "azure",
        "AUTHENTICATION_AUTHORITY": demo.authority,
        "AUTHENTICATION_CLIENT_ID": demo.ui_client_id,
        "AUTHENTICATION_CALLBACK_URL": demo.ui_redirect_uri,
        "AUTHORIZER_ADMIN_PRINCIPALS": f"[{demo.admin.user_principal_name}]",
        "AUTHORIZER_PRINCIPAL_DOMAIN": demo.domain,
        "TESSERA_IDP_CA_BUNDLE": str(entra.ca_file),
        **env,
    }


@pytest.fixture
def catalog_for(
    entra: RunningEmulator, settings_factory: Callable[..., Settings]
) -> Iterator[Callable[..., AzureCatalog]]:
    opened: list[TestClient] = []

    def open_catalog(demo: DemoTenant, clock: Clock = SYSTEM_CLOCK, **env: str) -> AzureCatalog:
        settings = settings_factory(**azure_env(entra, demo, **env))
        client = TestClient(create_app(settings, container=build_container(settings, clock=clock)))
        client.__enter__()
        opened.append(client)
        return AzureCatalog(client, settings, demo)

    yield open_catalog
    for client in opened:
        client.__exit__(None, None, None)


def native_client(entra: RunningEmulator, demo: DemoTenant) -> str:
    """A desktop app allowed to call tessera's API for its users (as a CLI tool would be)."""
    created = entra.create_app(
        demo.tenant_id, f"desktop-{uuid.uuid4().hex[:6]}", public_client_redirect_uris=["http://localhost"]
    )
    entra.service.add_permission(
        demo.tenant_id, created["appId"], demo.ui_client_id, scopes=["access_as_user"]
    )
    entra.service.grant_admin_consent(demo.tenant_id, created["appId"])
    return str(created["appId"])


def person_tokens(
    entra: RunningEmulator, demo: DemoTenant, http: httpx.Client, user: Any, scopes: list[str] | None = None
) -> dict[str, Any]:
    """A person's tokens through the authorization code flow with PKCE, MSAL on the client side."""
    app = public(entra, native_client(entra, demo), demo.authority)
    flow = start_flow(app, scopes or [demo.api_scope], NATIVE_REDIRECT, login_hint=user.user_principal_name)
    result = sign_in(http, flow["auth_uri"], user.user_principal_name, user.password)
    assert "code" in result.params, result.params
    tokens: dict[str, Any] = app.acquire_token_by_auth_code_flow(flow, result.params)
    assert "access_token" in tokens, tokens
    return tokens


def ingestion_token(entra: RunningEmulator, demo: DemoTenant, scope: str | None = None) -> str:
    """The ingestion application's client-credentials token, as the guide's ingestion uses."""
    app = confidential(entra, demo.ingestion_client_id, demo.ingestion_secret, demo.authority)
    result = app.acquire_token_for_client([scope or demo.ingestion_scope])
    assert "access_token" in result, result
    token: str = result["access_token"]
    return token
