"""The Azure SSO guide, end to end: people sign in with Entra ID, the ingestion bot is an Entra
service application, and every token that should not pass gets a 401 or 403 that says why."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from tessera.app import create_app
from tessera.catalog.kinds import USER
from tessera.catalog.service import Actor
from tessera.config import load_settings
from tessera.entra.testing import DemoTenant, RunningEmulator, running_emulator
from tessera.errors import ConfigError
from tests.clock import MovableClock
from tests.integration.azure.conftest import AzureCatalog, azure_env, ingestion_token, person_tokens

GRAPH_READ = "User.Read"


def _set_bot_to_azure(
    catalog: AzureCatalog, admin_token: str, demo: DemoTenant, **overrides: Any
) -> dict[str, Any]:
    """Settings » Bots » ingestion-bot » edit, as OpenMetadata's UI saves it."""
    bot = catalog.get("/api/v1/bots/name/ingestion-bot", admin_token).json()
    user = catalog.get(f"/api/v1/users/{bot['botUser']['id']}", admin_token).json()
    auth_config = {
        "clientId": demo.ingestion_client_id,
        "clientSecret": demo.ingestion_secret,
        "authority": demo.authority,
        "scopes": [demo.ingestion_scope],
        **overrides,
    }
    body = {
        "name": user["name"],
        "email": user["email"],
        "displayName": user.get("displayName"),
        "isBot": True,
        "botName": "ingestion-bot",
        "authenticationMechanism": {
            "authType": "SSO",
            "config": {"ssoServiceType": "azure", "authConfig": auth_config},
        },
    }
    saved = catalog.put("/api/v1/users", admin_token, body)
    assert saved.status_code == 200, saved.text
    again = catalog.put(
        "/api/v1/bots",
        admin_token,
        {
            "name": "ingestion-bot",
            "displayName": "Ingestion Bot",
            "botUser": user["name"],
            "provider": "system",
        },
    )
    assert again.status_code == 200, again.text
    result: dict[str, Any] = saved.json()
    return result


def test_a_person_signs_in_and_is_created_on_first_call(
    entra: RunningEmulator, demo: DemoTenant, idp_http: httpx.Client, catalog_for: Callable[..., AzureCatalog]
) -> None:
    catalog = catalog_for(demo)
    alice = demo.users[1]
    tokens = person_tokens(entra, demo, idp_http, alice)
    me = catalog.get("/api/v1/users/loggedInUser", tokens["access_token"])
    assert me.status_code == 200, me.text
    body = me.json()
    assert body["email"] == alice.user_principal_name.lower()
    assert body["name"] == alice.user_principal_name.split("@")[0].lower()
    assert body["isAdmin"] is False
    assert [r["name"] for r in body["roles"]] == ["DataConsumer"]
    # The same person again: the same user, found by (tid, oid).
    again = catalog.get(
        "/api/v1/users/loggedInUser", person_tokens(entra, demo, idp_http, alice)["access_token"]
    )
    assert again.json()["id"] == body["id"]
    # Admin principals are matched by email.
    admin = catalog.get(
        "/api/v1/users/loggedInUser", person_tokens(entra, demo, idp_http, demo.admin)["access_token"]
    )
    assert admin.json()["isAdmin"] is True


def test_the_ingestion_apps_client_credentials_token_acts_as_the_ingestion_bot(
    entra: RunningEmulator, demo: DemoTenant, idp_http: httpx.Client, catalog_for: Callable[..., AzureCatalog]
) -> None:
    catalog = catalog_for(demo)
    token = ingestion_token(entra, demo)
    status, message = catalog.message("/api/v1/tables", token)
    assert status == 401
    assert f"appid {demo.ingestion_client_id} (object id {demo.ingestion_object_id})" in message
    assert "Register it" in message
    admin = person_tokens(entra, demo, idp_http, demo.admin)["access_token"]
    saved = _set_bot_to_azure(catalog, admin, demo)
    mechanism = saved["authenticationMechanism"]["config"]["authConfig"]
    assert mechanism["clientSecret"] == "*********"
    service = catalog.put(
        "/api/v1/services/databaseServices",
        ingestion_token(entra, demo),
        {"name": "svc", "serviceType": "SQLite"},
    )
    assert service.status_code == 201, service.text
    assert service.json()["updatedBy"] == "ingestion-bot"
    # The bot's role applies: no identity management.
    refused = catalog.put("/api/v1/users", token, {"name": "x", "email": "x@example.com"})
    assert refused.status_code == 403


def test_the_guides_bot_email_rule_maps_the_service_principal(
    entra: RunningEmulator, demo: DemoTenant, idp_http: httpx.Client, catalog_for: Callable[..., AzureCatalog]
) -> None:
    catalog = catalog_for(demo)
    admin = person_tokens(entra, demo, idp_http, demo.admin)["access_token"]
    bot = catalog.get("/api/v1/bots/name/ingestion-bot", admin).json()
    user = catalog.get(f"/api/v1/users/{bot['botUser']['id']}", admin).json()
    patched = catalog.client.patch(
        f"/api/v1/users/{user['id']}",
        json=[{"op": "replace", "path": "/email", "value": f"{demo.ingestion_object_id}@{demo.domain}"}],
        headers={"Authorization": f"Bearer {admin}"},
    )
    assert patched.status_code == 200, patched.text
    assert catalog.get("/api/v1/tables", ingestion_token(entra, demo)).status_code == 200


def test_secret_is_sealed_at_rest_masked_in_responses_and_kept_when_masked(
    entra: RunningEmulator, demo: DemoTenant, idp_http: httpx.Client, catalog_for: Callable[..., AzureCatalog]
) -> None:
    catalog = catalog_for(demo)
    admin = person_tokens(entra, demo, idp_http, demo.admin)["access_token"]
    saved = _set_bot_to_azure(catalog, admin, demo)
    # PUT back what the UI shows (the masked secret): the stored one is kept and still works.
    _set_bot_to_azure(catalog, admin, demo, clientSecret="*********")
    mechanism = catalog.get(f"/api/v1/users/auth-mechanism/{saved['id']}", admin).json()
    assert mechanism["config"]["authConfig"]["clientSecret"] == "*********"
    assert catalog.get("/api/v1/tables", ingestion_token(entra, demo)).status_code == 200
    import sqlalchemy as sa

    engine = sa.create_engine(catalog.settings.database_url)
    with engine.connect() as conn:
        rows = [row[0] for row in conn.execute(sa.text("SELECT doc FROM entity"))]
        rows += [row[0] for row in conn.execute(sa.text("SELECT doc FROM entity_version"))]
    engine.dispose()
    dump = "\n".join(rows)
    assert demo.ingestion_secret not in dump
    assert "fernet:" in dump


def test_tokens_that_must_not_pass(
    entra: RunningEmulator, demo: DemoTenant, idp_http: httpx.Client, catalog_for: Callable[..., AzureCatalog]
) -> None:
    catalog = catalog_for(demo)
    alice = demo.users[1]
    # Another tenant's token for the same kind of app.
    other = entra.build_demo_tenant(domain=f"o{uuid.uuid4().hex[:12]}.onmicrosoft.com")
    foreign = person_tokens(entra, other, idp_http, other.users[1])["access_token"]
    status, message = catalog.message("/api/v1/tables", foreign)
    assert status == 401
    assert f"Token is from tenant {other.tenant_id}, which is not allowed here" in message
    # Another app's audience: a token for a different API of the same tenant.
    api = entra.create_app(demo.tenant_id, "another api")
    entra.service.expose_api(demo.tenant_id, api["appId"])
    entra.service.add_scope(demo.tenant_id, api["appId"], value="read")
    tokens = person_tokens(entra, demo, idp_http, alice, scopes=[f"api://{api['appId']}/read"])
    status, message = catalog.message("/api/v1/tables", tokens["access_token"])
    assert status == 401
    assert f"Token audience 'api://{api['appId']}' is not this API" in message
    # A Microsoft Graph token.
    graph = person_tokens(entra, demo, idp_http, alice, scopes=[GRAPH_READ])["access_token"]
    status, message = catalog.message("/api/v1/tables", graph)
    assert status == 401
    assert "This is a Microsoft Graph token" in message
    assert f"api://{demo.ui_client_id}/.default" in message
    # The ID token of a different client (the desktop app) is for that client, not for tessera.
    status, message = catalog.message("/api/v1/tables", tokens["id_token"])
    assert status == 401
    assert "audience" in message


def test_v1_token_refused_when_only_v2_is_accepted(
    entra: RunningEmulator, demo: DemoTenant, idp_http: httpx.Client, catalog_for: Callable[..., AzureCatalog]
) -> None:
    catalog = catalog_for(demo, TESSERA_ACCEPTED_TOKEN_VERSIONS="[2.0]")
    token = person_tokens(entra, demo, idp_http, demo.users[1])["access_token"]
    assert jwt.decode(token, options={"verify_signature": False})["ver"] == "1.0"
    status, message = catalog.message("/api/v1/tables", token)
    assert status == 401
    assert message == "Not Authorized! v1.0 tokens are not accepted here (acceptedTokenVersions: 2.0)"


def test_expired_token(
    entra: RunningEmulator, demo: DemoTenant, idp_http: httpx.Client, catalog_for: Callable[..., AzureCatalog]
) -> None:
    catalog = catalog_for(demo)
    entra.clock.advance(-3 * 3600)
    try:
        token = ingestion_token(entra, demo)
    finally:
        entra.clock.advance(3 * 3600)
    status, message = catalog.message("/api/v1/tables", token)
    assert (status, message) == (401, "Not Authorized! Token expired")


def test_self_signup_off_and_domain_rules(
    entra: RunningEmulator, demo: DemoTenant, idp_http: httpx.Client, catalog_for: Callable[..., AzureCatalog]
) -> None:
    closed = catalog_for(demo, AUTHENTICATION_ENABLE_SELF_SIGNUP="false")
    token = person_tokens(entra, demo, idp_http, demo.users[1])["access_token"]
    response = closed.get("/api/v1/tables", token)
    assert response.status_code == 403
    assert "is not registered in this catalog and self sign-up is off" in response.json()["message"]
    strict = catalog_for(
        demo, AUTHORIZER_ENFORCE_PRINCIPAL_DOMAIN="true", AUTHORIZER_PRINCIPAL_DOMAIN="example.org"
    )
    response = strict.get("/api/v1/tables", token)
    assert response.status_code == 403
    assert f"Email domain '{demo.domain}' is not allowed here" in response.json()["message"]


def test_pre_created_user_is_bound_and_keeps_its_identity_when_email_changes(
    entra: RunningEmulator, demo: DemoTenant, idp_http: httpx.Client, catalog_for: Callable[..., AzureCatalog]
) -> None:
    catalog = catalog_for(demo, AUTHENTICATION_ENABLE_SELF_SIGNUP="false")
    admin = person_tokens(entra, demo, idp_http, demo.admin)["access_token"]
    alice = demo.users[1]
    created = catalog.put(
        "/api/v1/users",
        admin,
        {"name": "alice", "email": alice.user_principal_name.upper(), "displayName": "Alice"},
    )
    assert created.status_code == 201, created.text
    first = catalog.get(
        "/api/v1/users/loggedInUser", person_tokens(entra, demo, idp_http, alice)["access_token"]
    )
    assert first.status_code == 200, first.text
    assert first.json()["id"] == created.json()["id"]
    # The IdP changes alice's sign-in name: still the same tessera user (tid + oid, not email).
    renamed = f"alice.renamed@{demo.domain}"
    entra.service.update_user(
        demo.tenant_id, alice.user_principal_name, user_principal_name=renamed, mail=renamed
    )
    moved = type(alice)(alice.id, renamed, alice.display_name, alice.password)
    second = catalog.get(
        "/api/v1/users/loggedInUser", person_tokens(entra, demo, idp_http, moved)["access_token"]
    )
    assert second.status_code == 200, second.text
    assert second.json()["id"] == created.json()["id"]


def test_tessera_key_claiming_the_entra_issuer_is_refused(
    demo: DemoTenant, catalog_for: Callable[..., AzureCatalog]
) -> None:
    catalog = catalog_for(demo)
    keys = catalog.client.app.state.container.keys  # type: ignore[attr-defined]
    now = int(time.time())
    forged = jwt.encode(
        {
            "iss": f"{demo.authority}/v2.0",
            "aud": demo.ui_client_id,
            "tid": demo.tenant_id,
            "oid": "x",
            "iat": now,
            "exp": now + 600,
        },
        keys.signing.private,
        algorithm="RS256",
        headers={"kid": keys.signing.kid},
    )
    status, message = catalog.message("/api/v1/tables", forged)
    assert status == 401
    assert "Unknown signing key" in message


def test_key_rotation_warm_cache_and_a_flood_of_unknown_kids(
    entra: RunningEmulator, demo: DemoTenant, idp_http: httpx.Client, catalog_for: Callable[..., AzureCatalog]
) -> None:
    clock = MovableClock()
    catalog = catalog_for(demo, clock.clock, TESSERA_JWKS_REFRESH_COOLDOWN_SECONDS="1")
    admin = person_tokens(entra, demo, idp_http, demo.admin)["access_token"]
    _set_bot_to_azure(catalog, admin, demo)
    assert catalog.get("/api/v1/tables", ingestion_token(entra, demo)).status_code == 200
    validator = catalog.client.app.state.container.entra.validator  # type: ignore[attr-defined]
    # 1,000 tokens with random kids cause at most a handful of key fetches.
    before = validator.jwks.fetches
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    claims = {
        "iss": f"{demo.authority}/v2.0",
        "aud": demo.ui_client_id,
        "tid": demo.tenant_id,
        "iat": now,
        "exp": now + 600,
    }
    started = time.monotonic()
    for _ in range(1000):
        token = jwt.encode(claims, attacker, algorithm="RS256", headers={"kid": uuid.uuid4().hex})
        assert catalog.get("/api/v1/tables", token).status_code == 401
    elapsed = time.monotonic() - started
    assert validator.jwks.fetches - before <= 2 + int(elapsed)
    # The IdP rotates to a key it never published: tessera has not seen it yet.
    entra.rotate_keys(force=True)
    clock.advance(1.1)  # past the cool-down of the flood's last fetch
    rotated = ingestion_token(entra, demo, scope=demo.ingestion_scope)
    fetches = validator.jwks.fetches
    assert catalog.get("/api/v1/tables", rotated).status_code == 200
    assert validator.jwks.fetches == fetches + 1


def test_a_stopped_idp_does_not_stop_a_warm_server(
    settings_factory: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    with running_emulator() as idp:
        demo = idp.build_demo_tenant(domain=f"s{uuid.uuid4().hex[:12]}.onmicrosoft.com")
        first, second = ingestion_token(idp, demo), ingestion_token(idp, demo, scope=demo.ingestion_scope)
        # No cooldown: every unknown kid below tries the IdP again, so each attempt is measured.
        settings = settings_factory(
            **azure_env(
                idp,
                demo,
                AUTHORIZER_PRINCIPAL_DOMAIN="bots.example",
                TESSERA_JWKS_REFRESH_COOLDOWN_SECONDS="0",
            )
        )
        client = TestClient(create_app(settings))
        client.__enter__()
        # The guide's email rule for the bot, set directly (no person can sign in once the IdP is gone).
        users = client.app.state.container.users  # type: ignore[attr-defined]
        bot = users.directory.by_name("ingestion-bot")
        client.app.state.container.catalog.patch(  # type: ignore[attr-defined]
            USER,
            bot["id"],
            [{"op": "replace", "path": "/email", "value": f"{demo.ingestion_object_id}@bots.example"}],
            Actor("test"),
        )
        assert client.get("/api/v1/tables", headers={"Authorization": f"Bearer {first}"}).status_code == 200
    caplog.set_level(logging.WARNING, logger="tessera")
    try:
        # The emulator is gone. Tokens with kids never seen each get a quick 401 ...
        attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        now = int(time.time())
        claims = {"iss": f"{demo.authority}/v2.0", "aud": demo.ui_client_id, "tid": demo.tenant_id}
        jwks = client.app.state.container.entra.validator.jwks  # type: ignore[attr-defined]
        fetches = jwks.fetches
        for n in range(3):
            forged = jwt.encode(
                {**claims, "iat": now, "exp": now + 600},
                attacker,
                algorithm="RS256",
                headers={"kid": f"k{n}"},
            )
            started = time.monotonic()
            response = client.get("/api/v1/tables", headers={"Authorization": f"Bearer {forged}"})
            assert time.monotonic() - started < 2
            assert response.status_code == 401
            assert f"Unknown signing key 'k{n}'" in response.json()["message"]
        assert jwks.fetches == fetches + 3
        # ... a token never seen before, signed with a cached key, still validates ...
        response = client.get("/api/v1/tables", headers={"Authorization": f"Bearer {second}"})
        assert response.status_code == 200, response.text
    finally:
        client.__exit__(None, None, None)
    # ... and the outage is logged once, not once per attempt.
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    refresh = [m for m in warnings if "cannot refresh the identity provider's keys" in m]
    assert len(refresh) == 1, warnings


def test_common_authority_without_allowed_tenants_is_refused(tmp_path: Any) -> None:
    from tessera.bootstrap import build_container

    settings = load_settings(
        environ={
            "TESSERA_HOME": str(tmp_path),
            "AUTHENTICATION_PROVIDER": "azure",
            "AUTHENTICATION_AUTHORITY": "https://login.microsoftonline.com/common",
            "AUTHENTICATION_CLIENT_ID": "22222222-2222-2222-2222-222222222222",
        }
    )
    with pytest.raises(ConfigError, match="multi-tenant 'common' endpoint and no tenant is allowed"):
        build_container(settings)


def test_pipelines_of_an_azure_sso_bot_carry_its_azure_configuration_masked(
    entra: RunningEmulator, demo: DemoTenant, idp_http: httpx.Client, catalog_for: Callable[..., AzureCatalog]
) -> None:
    catalog = catalog_for(demo)
    admin = person_tokens(entra, demo, idp_http, demo.admin)["access_token"]
    _set_bot_to_azure(catalog, admin, demo)
    service = catalog.put(
        "/api/v1/services/databaseServices", admin, {"name": "svc", "serviceType": "SQLite"}
    ).json()
    pipeline = catalog.put(
        "/api/v1/services/ingestionPipelines",
        admin,
        {
            "name": "nightly",
            "pipelineType": "metadata",
            "sourceConfig": {"config": {"type": "DatabaseMetadata"}},
            "airflowConfig": {},
            "service": {"id": service["id"], "type": "databaseService"},
        },
    ).json()
    url = f"/api/v1/services/ingestionPipelines/{pipeline['id']}?fields=openMetadataServerConnection"
    connection = catalog.get(url, admin).json()["openMetadataServerConnection"]
    assert connection["authProvider"] == "azure"
    assert connection["securityConfig"] == {
        "clientId": demo.ingestion_client_id,
        "clientSecret": "*********",
        "authority": demo.authority,
        "scopes": [demo.ingestion_scope],
    }


def test_roles_from_the_provider_grant_tessera_roles_of_the_same_name(
    entra: RunningEmulator, demo: DemoTenant, idp_http: httpx.Client, catalog_for: Callable[..., AzureCatalog]
) -> None:
    entra.service.add_app_role(
        demo.tenant_id, demo.ui_client_id, "DataSteward", allowed_member_types=["User"]
    )
    alice = demo.users[1]
    entra.service.assign_user(demo.tenant_id, demo.ui_client_id, alice.user_principal_name, "DataSteward")
    catalog = catalog_for(demo, AUTHORIZER_USE_ROLES_FROM_PROVIDER="true")
    admin = person_tokens(entra, demo, idp_http, demo.admin)["access_token"]
    service = catalog.put(
        "/api/v1/services/databaseServices", admin, {"name": "svc", "serviceType": "SQLite"}
    ).json()
    token = person_tokens(entra, demo, idp_http, alice)["access_token"]
    assert jwt.decode(token, options={"verify_signature": False}).get("roles") == ["DataSteward"]
    renamed = catalog.client.patch(
        f"/api/v1/services/databaseServices/{service['id']}",
        json=[{"op": "add", "path": "/displayName", "value": "Shop"}],
        headers={"Authorization": f"Bearer {token}"},
    )
    assert renamed.status_code == 200, renamed.text
    # Without the setting the same token is only a DataConsumer, who may not rename.
    plain = catalog_for(demo)
    refused = plain.client.patch(
        f"/api/v1/services/databaseServices/{service['id']}",
        json=[{"op": "add", "path": "/displayName", "value": "Shop2"}],
        headers={"Authorization": f"Bearer {token}"},
    )
    assert refused.status_code == 403


def test_confidential_client_type_is_refused_without_what_it_needs(tmp_path: Any) -> None:
    from tessera.bootstrap import build_container

    environ = {"TESSERA_HOME": str(tmp_path), "AUTHENTICATION_CLIENT_TYPE": "confidential"}
    with pytest.raises(ConfigError, match="needs provider azure"):
        build_container(load_settings(environ=environ))
    environ |= {"AUTHENTICATION_PROVIDER": "azure", "OIDC_TENANT": str(uuid.uuid4())}
    with pytest.raises(ConfigError, match="set OIDC_CLIENT_ID and OIDC_CLIENT_SECRET"):
        build_container(load_settings(environ=environ))
