"""Azure's own Python credentials (``azure-identity``) against the emulator: client secret,
certificate, and managed identity in both of its forms (App Service's ``IDENTITY_ENDPOINT``,
and a VM's IMDS through ``AZURE_POD_IDENTITY_AUTHORITY_HOST``); MSAL Python's managed identity
client too. (``DeviceCodeCredential`` is in ``test_device_code.py``.)"""

from __future__ import annotations

from typing import Any

import httpx
import jwt
import msal
import pytest
from cryptography.hazmat.primitives import serialization

from tessera.entra.pki import self_signed_rsa
from tessera.entra.testing import DemoTenant, RunningEmulator

MI_ENV = (
    "IDENTITY_ENDPOINT",
    "IDENTITY_HEADER",
    "AZURE_POD_IDENTITY_AUTHORITY_HOST",
    "MSI_ENDPOINT",
    "MSI_SECRET",
)


def _claims(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def _common(entra: RunningEmulator) -> dict[str, Any]:
    return {
        "authority": entra.base_url,
        "disable_instance_discovery": True,
        "connection_verify": str(entra.ca_file),
    }


def test_client_secret_credential(entra: RunningEmulator, demo: DemoTenant) -> None:
    from azure.identity import ClientSecretCredential

    credential = ClientSecretCredential(
        demo.tenant_id, demo.ingestion_client_id, demo.ingestion_secret, **_common(entra)
    )
    token = credential.get_token(demo.ingestion_scope)
    claims = _claims(token.token)
    assert claims["oid"] == demo.ingestion_object_id
    assert claims["appidacr"] == "1"
    assert token.expires_on > entra.clock.now()


def test_certificate_credential(entra: RunningEmulator, demo: DemoTenant) -> None:
    from azure.identity import CertificateCredential

    key, cert = self_signed_rsa("ingestion")
    pem_cert = cert.public_bytes(serialization.Encoding.PEM)
    entra.service.add_certificate(demo.tenant_id, demo.ingestion_client_id, pem_cert)
    pem_key = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    credential = CertificateCredential(
        demo.tenant_id, demo.ingestion_client_id, certificate_data=pem_key + pem_cert, **_common(entra)
    )
    assert _claims(credential.get_token(demo.ingestion_scope).token)["appidacr"] == "2"


def _identities(entra: RunningEmulator, demo: DemoTenant) -> tuple[dict[str, Any], dict[str, Any]]:
    tid = demo.tenant_id
    entra.service.add_app_role(tid, demo.ui_client_id, "Catalog.Read", allowed_member_types=["Application"])
    machine = entra.service.create_managed_identity(tid, f"vm-{tid[:8]}")
    named = entra.service.create_managed_identity(tid, f"uami-{tid[:8]}", user_assigned=True)
    entra.service.assign_service_principal(tid, demo.ui_client_id, named["displayName"], "Catalog.Read")
    return machine, named


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in MI_ENV:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_managed_identity_credential_app_service(
    fresh_entra: RunningEmulator, clean_env: pytest.MonkeyPatch
) -> None:
    from azure.identity import ManagedIdentityCredential

    from .conftest import new_demo

    entra = fresh_entra
    demo = new_demo(entra)
    machine, named = _identities(entra, demo)
    for name, value in entra.managed_identity_env().items():
        clean_env.setenv(name, value)
    system = ManagedIdentityCredential(connection_verify=str(entra.ca_file)).get_token(demo.api_default_scope)
    claims = _claims(system.token)
    assert claims["oid"] == machine["id"]
    assert claims["appid"] == machine["appId"]
    assert claims["appidacr"] == "2"
    assert claims["aud"] == demo.api_app_id_uri
    assert claims["xms_mirid"] == machine["alternativeNames"][0]
    assert "roles" not in claims
    user_assigned = ManagedIdentityCredential(client_id=named["appId"], connection_verify=str(entra.ca_file))
    assert _claims(user_assigned.get_token(demo.api_default_scope).token)["roles"] == ["Catalog.Read"]


def test_managed_identity_credential_imds(
    fresh_entra: RunningEmulator, clean_env: pytest.MonkeyPatch
) -> None:
    from azure.identity import ManagedIdentityCredential

    from .conftest import new_demo

    entra = fresh_entra
    demo = new_demo(entra)
    machine, named = _identities(entra, demo)
    for name, value in entra.managed_identity_env(app_service=False).items():
        clean_env.setenv(name, value)
    token = ManagedIdentityCredential(connection_verify=str(entra.ca_file)).get_token(demo.api_default_scope)
    assert _claims(token.token)["oid"] == machine["id"]
    # MSAL Python's own managed identity client takes the same road.
    client = msal.ManagedIdentityClient(
        msal.UserAssignedManagedIdentity(client_id=named["appId"]), http_client=entra.http_client()
    )
    result = client.acquire_token_for_client(resource=demo.api_app_id_uri)
    assert _claims(result["access_token"])["oid"] == named["id"]


def test_managed_identity_endpoints_refuse(
    entra: RunningEmulator, demo: DemoTenant, http: httpx.Client
) -> None:
    _identities(entra, demo)
    imds = f"{entra.base_url}/metadata/identity/oauth2/token"
    params = {"api-version": "2018-02-01", "resource": demo.api_app_id_uri}
    # Without the Metadata header, as from a web page: refused, and no CORS.
    page = http.get(imds, params=params, headers={"Origin": "https://evil.example"})
    assert page.status_code == 400
    assert page.json() == {
        "error": "invalid_request",
        "error_description": "Required metadata header not specified",
    }
    assert "access-control-allow-origin" not in page.headers
    unknown = http.get(
        imds,
        params={**params, "client_id": "0" * 8 + "-0000-0000-0000-000000000001"},
        headers={"Metadata": "true"},
    )
    assert unknown.status_code == 400
    assert unknown.json()["error"] == "invalid_request"
    app_service = http.get(
        f"{entra.base_url}/msi/token", params=params, headers={"X-IDENTITY-HEADER": "guess"}
    )
    assert app_service.status_code == 401
    assert app_service.json()["statusCode"] == 401
