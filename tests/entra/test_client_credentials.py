"""Client credentials with MSAL Python's ConfidentialClientApplication (secret and certificate),
PyJWT validation with Entra's issuer and audience rules, and every AADSTS failure of the grant
as MSAL sees it."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization

from tessera.entra.pki import self_signed_rsa
from tessera.entra.testing import DemoTenant, RunningEmulator

from .conftest import confidential, new_demo


def _jwks_client(entra: RunningEmulator, url: str) -> jwt.PyJWKClient:
    import ssl

    assert entra.ca_file is not None
    return jwt.PyJWKClient(url, ssl_context=ssl.create_default_context(cafile=str(entra.ca_file)))


def _token(entra: RunningEmulator, demo: DemoTenant, scope: str, secret: str | None = None) -> dict[str, Any]:
    app = confidential(entra, demo.ingestion_client_id, secret or demo.ingestion_secret, demo.authority)
    result: dict[str, Any] = app.acquire_token_for_client([scope])
    return result


def test_secret_v1_token_validates_with_pyjwt(entra: RunningEmulator, demo: DemoTenant) -> None:
    result = _token(entra, demo, demo.ingestion_scope)
    assert result["token_type"] == "Bearer"
    assert result["expires_in"] == 3599
    assert "refresh_token" not in result
    assert "id_token" not in result
    token = result["access_token"]
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256"
    assert header["x5t"] == header["kid"]  # v1 tokens carry x5t
    # A validator following docs/entra.md: v1 issuer {authority origin}/{tid}/, JWKS from discovery.
    discovery = httpx.get(
        f"{entra.base_url}/{demo.tenant_id}/.well-known/openid-configuration", verify=entra.ssl_context()
    ).json()
    assert discovery["issuer"] == f"{entra.base_url}/{demo.tenant_id}/"
    key = _jwks_client(entra, discovery["jwks_uri"]).get_signing_key_from_jwt(token)
    claims = jwt.decode(
        token,
        key.key,
        algorithms=["RS256"],
        audience=demo.ingestion_app_id_uri,
        issuer=discovery["issuer"],
        options={"require": ["exp", "iat", "nbf", "iss", "aud", "tid", "oid", "sub"]},
    )
    assert claims["ver"] == "1.0"
    assert claims["appid"] == demo.ingestion_client_id
    assert claims["appidacr"] == "1"
    assert claims["oid"] == claims["sub"] == demo.ingestion_object_id
    assert claims["tid"] == demo.tenant_id
    assert "scp" not in claims
    assert "roles" not in claims  # nothing granted: the token is issued without roles


def test_v2_token_for_an_api_that_asks_for_it(entra: RunningEmulator, demo: DemoTenant) -> None:
    entra.service.update_app(demo.tenant_id, demo.ui_client_id, token_version=2)
    entra.service.add_app_role(demo.tenant_id, demo.ui_client_id, "Catalog.Ingest")
    entra.service.add_permission(
        demo.tenant_id, demo.ingestion_client_id, demo.ui_client_id, roles=["Catalog.Ingest"]
    )
    entra.service.grant_admin_consent(demo.tenant_id, demo.ingestion_client_id)
    token = _token(entra, demo, demo.api_default_scope)["access_token"]
    assert "x5t" not in jwt.get_unverified_header(token)
    v2 = httpx.get(
        f"{demo.authority}/v2.0/.well-known/openid-configuration", verify=entra.ssl_context()
    ).json()
    key = _jwks_client(entra, v2["jwks_uri"]).get_signing_key_from_jwt(token)
    claims = jwt.decode(token, key.key, algorithms=["RS256"], audience=demo.ui_client_id, issuer=v2["issuer"])
    assert v2["issuer"] == f"{demo.authority}/v2.0"
    assert claims["ver"] == "2.0"
    assert claims["azp"] == demo.ingestion_client_id
    assert claims["azpacr"] == "1"
    assert claims["roles"] == ["Catalog.Ingest"]
    assert claims["oid"] == demo.ingestion_object_id


def test_secret_in_basic_auth(entra: RunningEmulator, demo: DemoTenant) -> None:
    basic = base64.b64encode(f"{demo.ingestion_client_id}:{demo.ingestion_secret}".encode()).decode()
    response = httpx.post(
        f"{demo.authority}/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "scope": demo.ingestion_scope},
        headers={"Authorization": f"Basic {basic}"},
        verify=entra.ssl_context(),
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"].startswith("no-store")


@pytest.mark.parametrize("with_public_certificate", [False, True])
def test_certificate_credential(
    entra: RunningEmulator, demo: DemoTenant, with_public_certificate: bool
) -> None:
    key, cert = self_signed_rsa("ingestion")
    pem_cert = cert.public_bytes(serialization.Encoding.PEM)
    entra.service.add_certificate(demo.tenant_id, demo.ingestion_client_id, pem_cert)
    credential: dict[str, str] = {
        "private_key": key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
        "thumbprint": cert.fingerprint(hashes.SHA1()).hex(),  # certificate thumbprints are SHA-1
    }
    if with_public_certificate:
        credential["public_certificate"] = pem_cert.decode()  # MSAL then signs PS256 with x5c
    app = confidential(entra, demo.ingestion_client_id, credential, demo.authority)
    result = app.acquire_token_for_client([demo.ingestion_scope])
    assert "access_token" in result, result
    assert jwt.decode(result["access_token"], options={"verify_signature": False})["appidacr"] == "2"


def test_unknown_certificate(entra: RunningEmulator, demo: DemoTenant) -> None:
    key, _cert = self_signed_rsa("stranger")
    credential = {
        "private_key": key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
        "thumbprint": "AA" * 20,
    }
    result = confidential(
        entra, demo.ingestion_client_id, credential, demo.authority
    ).acquire_token_for_client([demo.ingestion_scope])
    assert result["error"] == "invalid_client"
    assert result["error_codes"] == [700027]


def _raw(entra: RunningEmulator, demo: DemoTenant, **form: str) -> httpx.Response:
    return httpx.post(f"{demo.authority}/oauth2/v2.0/token", data=form, verify=entra.ssl_context())


def test_invalid_secret(entra: RunningEmulator, demo: DemoTenant) -> None:
    result = _token(entra, demo, demo.ingestion_scope, secret="0ab1Q~wrong")
    assert result["error"] == "invalid_client"
    assert result["error_codes"] == [7000215]
    assert result["error_description"].startswith(
        "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request "
        "is the client secret value, not the client secret ID, for a secret added to app "
        f"'{demo.ingestion_client_id}'."
    )
    for field in ("timestamp", "trace_id", "correlation_id", "error_uri"):
        assert result[field]
    raw = _raw(
        entra, demo, grant_type="client_credentials", client_id=demo.ingestion_client_id,
        client_secret="nope", scope=demo.ingestion_scope,
    )  # fmt: skip
    assert raw.status_code == 401


def test_correlation_id_is_the_client_request_id(entra: RunningEmulator, demo: DemoTenant) -> None:
    response = httpx.post(
        f"{demo.authority}/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "client_id": demo.ingestion_client_id, "scope": "x"},
        headers={"client-request-id": "5b0c6b6e-1111-2222-3333-444455556666"},
        verify=entra.ssl_context(),
    )
    body = response.json()
    assert body["correlation_id"] == "5b0c6b6e-1111-2222-3333-444455556666"
    assert f"Correlation ID: {body['correlation_id']}" in body["error_description"]
    assert f"Trace ID: {body['trace_id']}" in body["error_description"]
    assert body["error_description"].endswith(f"Timestamp: {body['timestamp']}")


def test_expired_secret(entra: RunningEmulator, demo: DemoTenant) -> None:
    old = entra.service.add_secret(demo.tenant_id, demo.ingestion_client_id, expires="2020-01-01")
    result = _token(entra, demo, demo.ingestion_scope, secret=old["secretText"])
    assert result["error"] == "invalid_client"
    assert result["error_codes"] == [7000222]
    assert result["error_description"].startswith(
        f"AADSTS7000222: The provided client secret keys for app '{demo.ingestion_client_id}' are expired."
    )


def test_missing_credential(entra: RunningEmulator, demo: DemoTenant) -> None:
    response = _raw(
        entra,
        demo,
        grant_type="client_credentials",
        client_id=demo.ingestion_client_id,
        scope=demo.ingestion_scope,
    )
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "invalid_client"
    assert body["error_codes"] == [7000218]
    assert body["error_description"].startswith(
        "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or "
        "'client_secret'."
    )


def test_public_client_with_a_secret(entra: RunningEmulator, demo: DemoTenant) -> None:
    entra.service.update_app(demo.tenant_id, demo.ingestion_client_id, fallback_public_client=True)
    result = _token(entra, demo, demo.ingestion_scope)
    assert result["error"] == "invalid_client"
    assert result["error_codes"] == [700025]


def test_unknown_app(entra: RunningEmulator, demo: DemoTenant) -> None:
    app = confidential(entra, "0f0f0f0f-1111-2222-3333-444444444444", "x", demo.authority)
    result = app.acquire_token_for_client([demo.ingestion_scope])
    assert result["error"] == "unauthorized_client"
    assert result["error_codes"] == [700016]
    assert result["error_description"].startswith(
        "AADSTS700016: Application with identifier '0f0f0f0f-1111-2222-3333-444444444444' was not "
        "found in the directory 'tessera demo'."
    )


def test_scope_without_default(entra: RunningEmulator, demo: DemoTenant) -> None:
    result = _token(entra, demo, demo.api_scope)
    assert result["error"] == "invalid_scope"
    assert result["error_codes"] == [1002012]
    assert result["error_description"].startswith(
        f"AADSTS1002012: The provided value for scope {demo.api_scope} is not valid. Client credential "
        "flows must have a scope value with /.default suffixed to the resource identifier "
        "(application ID URI)."
    )


def test_unknown_resource(entra: RunningEmulator, demo: DemoTenant) -> None:
    result = _token(entra, demo, "api://nothing-here/.default")
    assert result["error"] == "invalid_resource"
    assert result["error_codes"] == [500011]
    assert result["error_description"].startswith(
        "AADSTS500011: The resource principal named api://nothing-here was not found in the tenant "
        "named tessera demo."
    )


def test_missing_scope(entra: RunningEmulator, demo: DemoTenant) -> None:
    body = _raw(
        entra, demo, grant_type="client_credentials", client_id=demo.ingestion_client_id,
        client_secret=demo.ingestion_secret,
    ).json()  # fmt: skip
    assert body["error_codes"] == [90014]


def test_app_not_assigned_to_a_required_role(entra: RunningEmulator, demo: DemoTenant) -> None:
    entra.service.update_app(demo.tenant_id, demo.ui_client_id, assignment_required=True)
    result = _token(entra, demo, demo.api_default_scope)
    assert result["error"] == "invalid_grant"
    assert result["error_codes"] == [501051]
    assert result["error_description"].startswith(
        f"AADSTS501051: Application '{demo.ingestion_client_id}'(client) is not assigned to a role for "
        f"the application '{demo.ui_client_id}'(resource)."
    )
    entra.service.add_app_role(demo.tenant_id, demo.ui_client_id, "Catalog.Ingest")
    entra.service.add_permission(
        demo.tenant_id, demo.ingestion_client_id, demo.ui_client_id, roles=["Catalog.Ingest"]
    )
    entra.service.grant_admin_consent(demo.tenant_id, demo.ingestion_client_id)
    token = _token(entra, demo, demo.api_default_scope)["access_token"]
    assert jwt.decode(token, options={"verify_signature": False})["roles"] == ["Catalog.Ingest"]


def test_common_has_no_tenant_for_client_credentials(entra: RunningEmulator, demo: DemoTenant) -> None:
    entra.service.update_app(demo.tenant_id, demo.ingestion_client_id, sign_in_audience="AzureADMultipleOrgs")
    app = confidential(
        entra, demo.ingestion_client_id, demo.ingestion_secret, entra.authority("organizations")
    )
    with pytest.warns(DeprecationWarning, match="specific tenant"):
        result = app.acquire_token_for_client([demo.ingestion_scope])
    assert result["error_codes"] == [50059]


def test_graph_tokens_cannot_be_verified_by_third_parties(entra: RunningEmulator, demo: DemoTenant) -> None:
    token = _token(entra, demo, "https://graph.microsoft.com/.default")["access_token"]
    header = jwt.get_unverified_header(token)
    assert "nonce" in header
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["aud"] == "https://graph.microsoft.com"
    assert claims["idtyp"] == "app"
    key = _jwks_client(entra, f"{demo.authority}/discovery/v2.0/keys").get_signing_key_from_jwt(token)
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, key.key, algorithms=["RS256"], audience="https://graph.microsoft.com")


def test_jwks_publishes_the_next_key_before_it_signs(fresh_entra: RunningEmulator) -> None:
    demo = new_demo(fresh_entra)
    jwks_url = f"{demo.authority}/discovery/v2.0/keys"
    before = _token(fresh_entra, demo, demo.ingestion_scope)["access_token"]
    signing = jwt.get_unverified_header(before)["kid"]
    published = [k["kid"] for k in httpx.get(jwks_url, verify=fresh_entra.ssl_context()).json()["keys"]]
    assert len(published) >= 2  # never a single key, as with Entra
    assert published[0] != signing  # a validator taking keys[0] fails, as it would in production
    # A validator that cached the JWKS before the rollover verifies tokens signed after it.
    cached = _jwks_client(fresh_entra, jwks_url)
    cached.get_signing_keys()
    new_kid = fresh_entra.rotate_keys()
    assert new_kid in published
    fresh = _raw(
        fresh_entra, demo, grant_type="client_credentials", client_id=demo.ingestion_client_id,
        client_secret=demo.ingestion_secret, scope=demo.ingestion_scope,
    ).json()["access_token"]  # fmt: skip
    assert jwt.get_unverified_header(fresh)["kid"] == new_kid
    key = next(k for k in cached.get_jwk_set().keys if k.key_id == new_kid)
    jwt.decode(fresh, key.key, algorithms=["RS256"], audience=demo.ingestion_app_id_uri)
    after = [k["kid"] for k in httpx.get(jwks_url, verify=fresh_entra.ssl_context()).json()["keys"]]
    assert {signing, new_kid} < set(after)  # the old key stays for the tokens it signed
    assert len(after) == len(published) + 1  # and a new next key is announced


def test_forced_rollover_signs_with_an_unpublished_key(fresh_entra: RunningEmulator) -> None:
    demo = new_demo(fresh_entra)
    jwks_url = f"{demo.authority}/discovery/v2.0/keys"
    published = {k["kid"] for k in httpx.get(jwks_url, verify=fresh_entra.ssl_context()).json()["keys"]}
    forced = fresh_entra.rotate_keys(force=True)
    assert forced not in published
    token = _raw(
        fresh_entra, demo, grant_type="client_credentials", client_id=demo.ingestion_client_id,
        client_secret=demo.ingestion_secret, scope=demo.ingestion_scope,
    ).json()["access_token"]  # fmt: skip
    assert jwt.get_unverified_header(token)["kid"] == forced
    assert forced in {k["kid"] for k in httpx.get(jwks_url, verify=fresh_entra.ssl_context()).json()["keys"]}
