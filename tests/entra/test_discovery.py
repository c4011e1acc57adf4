"""Discovery documents, JWKS, instance discovery, CORS and tenant resolution."""

from __future__ import annotations

import base64
import hashlib

import httpx
import pytest
from cryptography import x509

from tessera.entra.testing import DemoTenant, RunningEmulator


def test_v2_discovery_for_guid_domain_and_aliases(
    entra: RunningEmulator, demo: DemoTenant, http: httpx.Client
) -> None:
    for segment in (demo.tenant_id, demo.domain):
        doc = http.get(f"{entra.base_url}/{segment}/v2.0/.well-known/openid-configuration").json()
        # The GUID in the endpoints too, even when fetched by domain, as Entra does.
        base = f"{entra.base_url}/{demo.tenant_id}"
        assert doc["issuer"] == f"{entra.base_url}/{demo.tenant_id}/v2.0"  # the GUID, even by domain
        assert doc["authorization_endpoint"] == f"{base}/oauth2/v2.0/authorize"
        assert doc["token_endpoint"] == f"{base}/oauth2/v2.0/token"
        assert doc["jwks_uri"] == f"{base}/discovery/v2.0/keys"
        assert doc["end_session_endpoint"] == f"{base}/oauth2/v2.0/logout"
        assert doc["subject_types_supported"] == ["pairwise"]
        assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
        assert list(doc)[:3] == ["token_endpoint", "token_endpoint_auth_methods_supported", "jwks_uri"]
    for alias in ("common", "organizations"):
        doc = http.get(f"{entra.base_url}/{alias}/v2.0/.well-known/openid-configuration").json()
        assert doc["issuer"] == f"{entra.base_url}/{{tenantid}}/v2.0"
        assert doc["token_endpoint"] == f"{entra.base_url}/{alias}/oauth2/v2.0/token"
        assert doc["tenant_region_scope"] is None
    # `consumers` is one tenant, personal accounts': its GUID is in the issuer, not a placeholder.
    msa = "9188040d-6c67-4c5b-b112-36a304b66dad"
    doc = http.get(f"{entra.base_url}/consumers/v2.0/.well-known/openid-configuration").json()
    assert doc["issuer"] == f"{entra.base_url}/{msa}/v2.0"
    assert doc["token_endpoint"] == f"{entra.base_url}/consumers/oauth2/v2.0/token"
    keys = http.get(doc["jwks_uri"]).json()["keys"]
    assert {k["issuer"] for k in keys} == {f"{entra.base_url}/{msa}/v2.0"}


def test_v1_discovery(entra: RunningEmulator, demo: DemoTenant, http: httpx.Client) -> None:
    doc = http.get(f"{entra.base_url}/{demo.domain}/.well-known/openid-configuration").json()
    assert doc["issuer"] == f"{entra.base_url}/{demo.tenant_id}/"
    assert doc["jwks_uri"] == f"{entra.base_url}/{demo.tenant_id}/discovery/keys"


def test_jwks_shape(entra: RunningEmulator, demo: DemoTenant, http: httpx.Client) -> None:
    for path in ("discovery/v2.0/keys", "discovery/keys"):
        keys = http.get(f"{demo.authority}/{path}").json()["keys"]
        assert keys
        for key in keys:
            assert set(key) == {"kty", "use", "kid", "x5t", "n", "e", "x5c", "issuer"}  # no "alg"
            der = base64.b64decode(key["x5c"][0])
            thumb = base64.urlsafe_b64encode(hashlib.sha1(der).digest()).rstrip(b"=").decode()
            assert key["kid"] == key["x5t"] == thumb
            cert = x509.load_der_x509_certificate(der)
            assert cert.subject.rfc4514_string() == "CN=accounts.accesscontrol.windows.net"
            assert key["issuer"] == f"{demo.authority}/v2.0"
    common = http.get(f"{entra.base_url}/common/discovery/v2.0/keys").json()["keys"]
    assert common[0]["issuer"] == f"{entra.base_url}/{{tenantid}}/v2.0"


def test_cors_on_discovery_keys_and_token(
    entra: RunningEmulator, demo: DemoTenant, http: httpx.Client
) -> None:
    origin = {"Origin": "http://localhost:8585"}
    for url in (
        f"{demo.authority}/v2.0/.well-known/openid-configuration",
        f"{demo.authority}/discovery/v2.0/keys",
    ):
        assert http.get(url, headers=origin).headers["access-control-allow-origin"] == "*"
    preflight = http.options(
        f"{demo.authority}/oauth2/v2.0/token",
        headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["access-control-allow-methods"]


def test_instance_discovery(entra: RunningEmulator, demo: DemoTenant, http: httpx.Client) -> None:
    host = entra.base_url.split("://")[1]
    body = http.get(
        f"{entra.base_url}/common/discovery/instance",
        params={
            "api-version": "1.1",
            "authorization_endpoint": f"https://127.0.0.1/{demo.tenant_id}/oauth2/v2.0/authorize",
        },
    ).json()
    assert body["tenant_discovery_endpoint"] == f"{demo.authority}/v2.0/.well-known/openid-configuration"
    assert body["metadata"][0]["preferred_network"] == host
    unknown = http.get(
        f"{entra.base_url}/common/discovery/instance",
        params={
            "api-version": "1.1",
            "authorization_endpoint": "https://login.example.com/x/oauth2/v2.0/authorize",
        },
    )
    assert unknown.status_code == 400
    assert unknown.json()["error"] == "invalid_instance"


def test_msal_with_the_emulators_own_instance_discovery(entra: RunningEmulator, demo: DemoTenant) -> None:
    import msal

    app = msal.ConfidentialClientApplication(
        demo.ingestion_client_id,
        client_credential=demo.ingestion_secret,
        authority=demo.authority,
        instance_discovery=f"{entra.base_url}/common/discovery/instance",
        http_client=entra.http_client(),
    )
    assert "access_token" in app.acquire_token_for_client([demo.ingestion_scope])


@pytest.mark.parametrize("path", ["v2.0/.well-known/openid-configuration", "oauth2/v2.0/token"])
def test_unknown_tenant(entra: RunningEmulator, http: httpx.Client, path: str) -> None:
    url = f"{entra.base_url}/nowhere.onmicrosoft.com/{path}"
    response = http.post(url, data={"grant_type": "client_credentials"}) if "token" in path else http.get(url)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_tenant"
    assert body["error_codes"] == [90002]
    assert body["error_description"].startswith("AADSTS90002: Tenant 'nowhere.onmicrosoft.com' not found.")


def test_issuer_follows_the_host_the_client_used(
    entra: RunningEmulator, demo: DemoTenant, http: httpx.Client
) -> None:
    # The server certificate covers localhost too; MSAL compares issuer and authority hosts.
    via_localhost = entra.base_url.replace("127.0.0.1", "localhost")
    doc = http.get(f"{via_localhost}/{demo.tenant_id}/v2.0/.well-known/openid-configuration").json()
    assert doc["issuer"] == f"{via_localhost}/{demo.tenant_id}/v2.0"


def test_userinfo_accepts_the_emulators_graph_tokens(
    entra: RunningEmulator, demo: DemoTenant, http: httpx.Client
) -> None:
    from .conftest import public
    from .test_auth_code import _native_client, sign_in, start_flow

    client_id = _native_client(entra, demo)
    app = public(entra, client_id, demo.authority)
    flow = start_flow(app, ["User.Read"], "http://localhost:8400")
    params = sign_in(http, flow["auth_uri"], demo.admin.user_principal_name, demo.admin.password).params
    tokens = app.acquire_token_by_auth_code_flow(flow, params)
    assert tokens["scope"].split()[0] == "User.Read"
    info = http.get(
        f"{entra.base_url}/oidc/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert info.status_code == 200, info.text
    assert info.json()["email"] == demo.admin.user_principal_name
    bad = http.get(f"{entra.base_url}/oidc/userinfo", headers={"Authorization": "Bearer x.y.z"})
    assert bad.status_code == 401


@pytest.mark.parametrize("mode", ["oidc_authority", "validate_authority"])
def test_other_msal_authority_modes(entra: RunningEmulator, demo: DemoTenant, mode: str) -> None:
    import msal

    kwargs: dict[str, object] = (
        {"oidc_authority": f"{demo.authority}/v2.0"}
        if mode == "oidc_authority"
        else {"authority": demo.authority, "validate_authority": False}
    )
    app = msal.ConfidentialClientApplication(
        demo.ingestion_client_id,
        client_credential=demo.ingestion_secret,
        http_client=entra.http_client(),
        **kwargs,
    )
    assert "access_token" in app.acquire_token_for_client([demo.ingestion_scope])


def test_token_endpoint_is_post_only(entra: RunningEmulator, demo: DemoTenant, http: httpx.Client) -> None:
    response = http.get(f"{demo.authority}/oauth2/v2.0/token")
    assert response.status_code == 400
    assert response.json()["error_codes"] == [900561]
    assert response.json()["error_description"].startswith(
        "AADSTS900561: The endpoint only accepts POST, OPTIONS requests. Received a GET request."
    )


def test_root_page_says_what_the_emulator_is_without_naming_tenants(
    entra: RunningEmulator, demo: DemoTenant, http: httpx.Client
) -> None:
    # People open the root once to accept the emulator's certificate (the quickstart says so).
    page = http.get(f"{entra.base_url}/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "This is your local Entra ID" in page.text
    assert "go back to tessera and sign in" in page.text
    assert demo.tenant_id not in page.text
    assert demo.domain not in page.text
    assert page.headers["x-frame-options"] == "DENY"
