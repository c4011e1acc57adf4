"""authProvider azure through real MSAL against tessera.entra (HTTPS with its own CA).

These tests prove the client side, against the unauthenticated catalog of the other ingestion
tests: MSAL gets a client-credentials token from the emulator with instance discovery off and
the CA from sslConfig, the token is cached and renewed, an ingestion runs with it, and Entra's
refusals come back as AADSTS codes with their meaning. The same flow against a server with
`provider: azure` that checks the token is the quickstart's test.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from tessera.entra.testing import DemoTenant, RunningEmulator, running_emulator
from tessera.ingest.auth import RENEW_BEFORE_S, AzureToken
from tessera.ingest.errors import TokenError
from tests.ingest.conftest import sqlite_workflow
from tests.ingest.test_ingest_sqlite import ok, summary_row

Ingest = Callable[..., Result]


@pytest.fixture(scope="module")
def idp() -> Iterator[tuple[RunningEmulator, DemoTenant]]:
    with running_emulator() as emulator:
        yield emulator, emulator.build_demo_tenant()


def azure_auth(demo: DemoTenant, ca: Path | None, **override: Any) -> dict[str, Any]:
    security = {
        "clientId": demo.ingestion_client_id,
        "clientSecret": demo.ingestion_secret,
        "authority": demo.authority,
        "scopes": [demo.api_default_scope],
        **override,
    }
    return {
        "authProvider": "azure",
        "verifySSL": "validate",
        "sslConfig": {"caCertificate": str(ca)},
        "securityConfig": security,
    }


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return decoded


def test_msal_token_from_tessera_entra_is_cached_and_renewed(idp: tuple[RunningEmulator, DemoTenant]) -> None:
    emulator, demo = idp
    now = [1000.0]
    provider = AzureToken(
        client_id=demo.ingestion_client_id,
        client_secret=demo.ingestion_secret,
        authority=demo.authority,
        scopes=[demo.api_default_scope],
        ca_file=str(emulator.ca_file),
        clock=lambda: now[0],
    )
    first = provider.token()
    assert first is not None
    body = claims(first)
    assert body["appid"] == demo.ingestion_client_id or body.get("azp") == demo.ingestion_client_id
    assert body["tid"] == demo.tenant_id
    assert provider.token() == first  # cached
    lifetime = body["exp"] - body["iat"]
    now[0] += lifetime - RENEW_BEFORE_S + 1  # inside the renewal window
    emulator.clock.advance(lifetime - RENEW_BEFORE_S + 1)  # type: ignore[attr-defined]
    renewed = provider.token()
    assert renewed != first
    assert claims(renewed)["exp"] > body["exp"]


def test_ingest_with_authprovider_azure(
    idp: tuple[RunningEmulator, DemoTenant], ingest: Ingest, catalog: str, sqlite_db: Path, service_name: str
) -> None:
    emulator, demo = idp
    config = sqlite_workflow(service_name, sqlite_db, catalog, auth=azure_auth(demo, emulator.ca_file))
    output = ok(ingest(config))
    assert summary_row(output, "Tables") == ["5", "0", "0", "0", "0"]


@pytest.mark.parametrize(
    ("override", "code", "meaning"),
    [
        ({"clientSecret": "not-the-secret"}, 7000215, "invalid client secret"),
        # A GUID no app has: the all-zero GUID is refused before any lookup (AADSTS700038), as by Entra.
        ({"clientId": "6f0c3b1e-2d4a-4e8f-9b7c-5a1d3e2f4c60"}, 700016, "application not found in the tenant"),
        ({"scopes": ["api://tessera/access_as_user"]}, 1002012, "must end in /.default"),
        ({"scopes": ["api://no-such-api/.default"]}, 500011, "does not exist in this tenant"),
    ],
)
def test_entra_refusals_exit_3_with_aadsts_code_and_meaning(
    idp: tuple[RunningEmulator, DemoTenant],
    ingest: Ingest,
    catalog: str,
    sqlite_db: Path,
    service_name: str,
    override: dict[str, Any],
    code: int,
    meaning: str,
) -> None:
    emulator, demo = idp
    config = sqlite_workflow(
        service_name, sqlite_db, catalog, auth=azure_auth(demo, emulator.ca_file, **override)
    )
    result = ingest(config)
    assert result.exit_code == 3, result.output
    assert f"AADSTS{code}" in result.output
    assert meaning in result.output


def test_unknown_tenant_is_aadsts90002(idp: tuple[RunningEmulator, DemoTenant]) -> None:
    emulator, demo = idp
    provider = AzureToken(
        client_id=demo.ingestion_client_id,
        client_secret=demo.ingestion_secret,
        authority=f"{emulator.base_url}/00000000-0000-0000-0000-00000000dead",
        scopes=[demo.api_default_scope],
        ca_file=str(emulator.ca_file),
    )
    with pytest.raises(TokenError) as info:
        provider.token()
    assert info.value.code == 90002
    assert "tenant not found" in info.value.message


def test_expired_secret_is_aadsts7000222(idp: tuple[RunningEmulator, DemoTenant]) -> None:
    emulator, demo = idp
    secret = emulator.service.add_secret(demo.tenant_id, demo.ingestion_client_id, expires="1d")
    emulator.clock.advance(2 * 86400)  # type: ignore[attr-defined]
    provider = AzureToken(
        client_id=demo.ingestion_client_id,
        client_secret=secret["secretText"],
        authority=demo.authority,
        scopes=[demo.api_default_scope],
        ca_file=str(emulator.ca_file),
    )
    with pytest.raises(TokenError) as info:
        provider.token()
    assert info.value.code == 7000222
    assert "expired" in info.value.message


def test_without_the_ca_tls_fails_with_a_hint(idp: tuple[RunningEmulator, DemoTenant]) -> None:
    _emulator, demo = idp
    provider = AzureToken(
        client_id=demo.ingestion_client_id,
        client_secret=demo.ingestion_secret,
        authority=demo.authority,
        scopes=[demo.api_default_scope],
    )
    with pytest.raises(TokenError) as info:
        provider.token()
    assert "CERTIFICATE_VERIFY_FAILED" in info.value.message
    assert info.value.hint is not None
    assert "sslConfig.caCertificate" in info.value.hint
