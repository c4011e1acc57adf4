"""Each Azure SSO setting, one focused test: what it changes, seen from a caller with real
Entra ID (tessera.entra) tokens. And v2 tokens, which the guide's apps get once their manifest
asks for them (requestedAccessTokenVersion: 2)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import jwt

from tessera.catalog.kinds import USER
from tessera.catalog.service import Actor
from tessera.entra.testing import DemoTenant, DemoUser, RunningEmulator
from tests.integration.azure.conftest import AzureCatalog, ingestion_token, person_tokens
from tests.integration.azure.test_azure_sso import _set_bot_to_azure

ME = "/api/v1/users/loggedInUser"


def _claims(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def test_v2_tokens_of_a_person_and_of_the_ingestion_app(
    entra: RunningEmulator, demo: DemoTenant, idp_http: httpx.Client, catalog_for: Callable[..., AzureCatalog]
) -> None:
    for app in (demo.ui_client_id, demo.ingestion_client_id):
        entra.service.update_app(demo.tenant_id, app, token_version=2)
    catalog = catalog_for(demo)
    alice = person_tokens(entra, demo, idp_http, demo.users[1])["access_token"]
    claims = _claims(alice)
    assert (claims["ver"], claims["iss"], claims["aud"]) == (
        "2.0",
        f"{demo.authority}/v2.0",
        demo.ui_client_id,
    )
    me = catalog.get(ME, alice)
    assert me.status_code == 200, me.text
    assert me.json()["email"] == demo.users[1].user_principal_name.lower()
    admin = person_tokens(entra, demo, idp_http, demo.admin)["access_token"]
    _set_bot_to_azure(catalog, admin, demo)
    # A v2 app-only token names its client in `azp` (v1's `appid` is gone): that routes it to the bot.
    app_token = ingestion_token(entra, demo)
    claims = _claims(app_token)
    assert (claims["ver"], claims["azp"]) == ("2.0", demo.ingestion_client_id)
    assert "appid" not in claims
    created = catalog.put(
        "/api/v1/services/databaseServices", app_token, {"name": "svc", "serviceType": "SQLite"}
    )
    assert created.status_code == 201, created.text
    assert created.json()["updatedBy"] == "ingestion-bot"


def test_allowed_tenants_admit_a_second_tenant_and_no_other(
    entra: RunningEmulator, demo: DemoTenant, idp_http: httpx.Client, catalog_for: Callable[..., AzureCatalog]
) -> None:
    second = entra.build_demo_tenant(domain=f"b{uuid.uuid4().hex[:12]}.onmicrosoft.com")
    third = entra.build_demo_tenant(domain=f"c{uuid.uuid4().hex[:12]}.onmicrosoft.com")
    apps = [t.api_app_id_uri for t in (demo, second, third)]
    catalog = catalog_for(
        demo,
        AUTHENTICATION_AUTHORITY=f"{entra.base_url}/organizations",
        TESSERA_ALLOWED_TENANTS=f"[{demo.tenant_id},{second.tenant_id}]",
        TESSERA_ACCEPTED_AUDIENCES=f"[{','.join(apps)}]",
    )
    for tenant in (demo, second):
        me = catalog.get(ME, person_tokens(entra, tenant, idp_http, tenant.users[1])["access_token"])
        assert me.status_code == 200, me.text
        assert me.json()["email"] == tenant.users[1].user_principal_name.lower()
    status, message = catalog.message(
        ME, person_tokens(entra, third, idp_http, third.users[1])["access_token"]
    )
    assert status == 401
    assert f"Token is from tenant {third.tenant_id}, which is not allowed here" in message


def test_accepted_audiences_replace_the_default_ones(
    entra: RunningEmulator, demo: DemoTenant, idp_http: httpx.Client, catalog_for: Callable[..., AzureCatalog]
) -> None:
    api = entra.create_app(demo.tenant_id, "catalog gateway")
    uri = entra.service.expose_api(demo.tenant_id, api["appId"])
    entra.service.add_scope(demo.tenant_id, api["appId"], value="read")
    catalog = catalog_for(demo, TESSERA_ACCEPTED_AUDIENCES=f"[{uri}]")
    alice = demo.users[1]
    gateway = person_tokens(entra, demo, idp_http, alice, scopes=[f"{uri}/read"])["access_token"]
    assert catalog.get(ME, gateway).status_code == 200
    own = person_tokens(entra, demo, idp_http, alice)["access_token"]
    status, message = catalog.message(ME, own)
    assert status == 401
    assert f"Token audience '{demo.api_app_id_uri}' is not this API; request a token for {uri}" in message


def test_clock_leeway_admits_a_token_that_expired_within_it(
    entra: RunningEmulator, demo: DemoTenant, idp_http: httpx.Client, catalog_for: Callable[..., AzureCatalog]
) -> None:
    fresh = _claims(person_tokens(entra, demo, idp_http, demo.users[1])["access_token"])
    # The emulator's clock only moves when told to: move it so that a token expires a minute ago.
    shift = time.time() - 60 - int(fresh["exp"])
    entra.clock.advance(shift)
    try:
        stale = person_tokens(entra, demo, idp_http, demo.users[1])["access_token"]
    finally:
        entra.clock.advance(-shift)
    assert -90 < int(_claims(stale)["exp"]) - time.time() < -30
    assert catalog_for(demo, TESSERA_CLOCK_LEEWAY_SECONDS="120").get(ME, stale).status_code == 200
    status, message = catalog_for(demo, TESSERA_CLOCK_LEEWAY_SECONDS="10").message(ME, stale)
    assert (status, message) == (401, "Not Authorized! Token expired")


def test_principal_claims_mapping_chooses_the_claims_for_email_and_name(
    entra: RunningEmulator, demo: DemoTenant, idp_http: httpx.Client, catalog_for: Callable[..., AzureCatalog]
) -> None:
    # The `email` claim (the directory's mail) differs from the sign-in name: by default the
    # email claim wins (jwtPrincipalClaims starts with email); the mapping picks upn instead.
    entra.service.update_app(demo.tenant_id, demo.ui_client_id, optional_claims={"accessToken": ["email"]})
    login = f"carol@{demo.domain}"
    created = entra.create_user(demo.tenant_id, login, "C4rol!Passw0rd-x", mail=f"c.jones@{demo.domain}")
    carol = DemoUser(created["id"], login, "Carol", "C4rol!Passw0rd-x")
    token = person_tokens(entra, demo, idp_http, carol)["access_token"]
    # (Before the first sign-in binds carol: a bound person is found by tid + oid, not by claims.)
    missing = catalog_for(
        demo, AUTHENTICATION_JWT_PRINCIPAL_CLAIMS_MAPPING="[email:mailNickname,username:upn]"
    )
    status, message = missing.message(ME, token)
    assert status == 401
    assert (
        "Token lacks the claims named by jwtPrincipalClaimsMapping (email:mailNickname, username:upn)"
        in message
    )
    mapped = catalog_for(demo, AUTHENTICATION_JWT_PRINCIPAL_CLAIMS_MAPPING="[email:upn,username:upn]")
    me = mapped.get(ME, token).json()
    assert (me["email"], me["name"]) == (login, "carol")


def test_principal_claims_default_to_the_email_claim(
    entra: RunningEmulator, demo: DemoTenant, idp_http: httpx.Client, catalog_for: Callable[..., AzureCatalog]
) -> None:
    entra.service.update_app(demo.tenant_id, demo.ui_client_id, optional_claims={"accessToken": ["email"]})
    login = f"carol@{demo.domain}"
    created = entra.create_user(demo.tenant_id, login, "C4rol!Passw0rd-x", mail=f"c.jones@{demo.domain}")
    carol = DemoUser(created["id"], login, "Carol", "C4rol!Passw0rd-x")
    me = catalog_for(demo).get(ME, person_tokens(entra, demo, idp_http, carol)["access_token"]).json()
    assert (me["email"], me["name"]) == (f"c.jones@{demo.domain}", "c.jones")


def test_allowed_domains_admit_a_domain_besides_the_principal_domain(
    entra: RunningEmulator, demo: DemoTenant, idp_http: httpx.Client, catalog_for: Callable[..., AzureCatalog]
) -> None:
    catalog = catalog_for(
        demo,
        AUTHORIZER_ENFORCE_PRINCIPAL_DOMAIN="true",
        AUTHORIZER_PRINCIPAL_DOMAIN="example.org",
        AUTHORIZER_ALLOWED_DOMAINS=f"[{demo.domain.upper()}]",
    )
    me = catalog.get(ME, person_tokens(entra, demo, idp_http, demo.users[1])["access_token"])
    assert me.status_code == 200, me.text


def test_registration_domains_limit_sign_up_but_not_pre_created_users(
    entra: RunningEmulator, demo: DemoTenant, idp_http: httpx.Client, catalog_for: Callable[..., AzureCatalog]
) -> None:
    catalog = catalog_for(demo, AUTHORIZER_ALLOWED_REGISTRATION_DOMAIN="[example.org]")
    status, message = catalog.message(ME, person_tokens(entra, demo, idp_http, demo.users[1])["access_token"])
    assert status == 403
    assert (
        f"Sign-up from '{demo.domain}' is not allowed (allowedEmailRegistrationDomains: example.org)"
        in message
    )
    # A user an administrator created is not a sign-up: they sign in.
    container = catalog.client.app.state.container  # type: ignore[attr-defined]
    container.catalog.create_or_update(
        USER, {"name": "ada", "email": demo.admin.user_principal_name}, Actor("test")
    )
    me = catalog.get(ME, person_tokens(entra, demo, idp_http, demo.admin)["access_token"])
    assert me.status_code == 200, me.text
    assert me.json()["name"] == "ada"


def test_an_authority_given_as_a_domain_name_finds_its_tenant_id(
    entra: RunningEmulator, demo: DemoTenant, idp_http: httpx.Client, catalog_for: Callable[..., AzureCatalog]
) -> None:
    catalog = catalog_for(demo, AUTHENTICATION_AUTHORITY=f"{entra.base_url}/{demo.domain}")
    me = catalog.get(ME, person_tokens(entra, demo, idp_http, demo.users[1])["access_token"])
    assert me.status_code == 200, me.text
    validator = catalog.client.app.state.container.entra.validator  # type: ignore[attr-defined]
    assert validator.allowed_tenants() == {demo.tenant_id.lower()}
    # Another tenant's token is still refused: the domain stood for exactly one tenant.
    other = entra.build_demo_tenant(domain=f"o{uuid.uuid4().hex[:12]}.onmicrosoft.com")
    status, message = catalog.message(
        ME, person_tokens(entra, other, idp_http, other.users[1])["access_token"]
    )
    assert status == 401
    assert f"allowed: {demo.tenant_id.lower()}" in message


def test_the_browser_auth_config_says_how_to_sign_in_and_nothing_secret(
    entra: RunningEmulator, demo: DemoTenant, idp_http: httpx.Client, catalog_for: Callable[..., AzureCatalog]
) -> None:
    catalog = catalog_for(demo, TESSERA_AUTH_SCOPES=f"[openid,profile,email,offline_access,{demo.api_scope}]")
    admin = person_tokens(entra, demo, idp_http, demo.admin)["access_token"]
    _set_bot_to_azure(catalog, admin, demo)
    response = catalog.client.get("/api/v1/system/config/auth")
    assert response.status_code == 200
    body = response.json()
    assert {key: body[key] for key in ("provider", "clientId", "authority", "callbackUrl", "clientType")} == {
        "provider": "azure",
        "clientId": demo.ui_client_id,
        "authority": demo.authority,
        "callbackUrl": demo.ui_redirect_uri,
        "clientType": "public",
    }
    assert body["scopes"] == ["openid", "profile", "email", "offline_access", demo.api_scope]
    assert set(body) == {
        "provider",
        "providerName",
        "clientType",
        "responseType",
        "authority",
        "clientId",
        "callbackUrl",
        "enableSelfSignup",
        "scopes",
        "jwtPrincipalClaims",
    }
    assert demo.ingestion_secret not in response.text
    assert "admin" not in response.text.replace(demo.authority, "")
