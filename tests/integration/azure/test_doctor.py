"""``tessera doctor`` and ``tessera doctor token`` against tessera.entra: each configuration
mistake found with the setting to change, and for every reason the server refuses a token, the
doctor names the check and gives the server's very message, without printing the token.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import jwt
import msal
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from typer.testing import CliRunner

from tessera.entra.testing import DemoTenant, RunningEmulator
from tessera.entra.tokens import sign
from tessera.web.sign_in import explain_token
from tests.integration.azure.conftest import AzureCatalog, azure_env, ingestion_token, person_tokens


@pytest.fixture
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """SQLite only: the doctor's checks do not depend on the database's dialect."""
    from tessera.storage import migrate
    from tessera.storage.db import create_engine

    url = f"sqlite:///{tmp_path_factory.mktemp('doctor') / 'tessera.db'}"
    engine = create_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


def _cli(env: dict[str, str], *args: str, stdin: str | None = None) -> Any:
    from tessera.cli import _register, app

    _register()
    return CliRunner().invoke(app, ["doctor", *args], env=env, input=stdin)


def test_configuration_mistakes_are_found_with_the_setting_to_change(
    entra: RunningEmulator, demo: DemoTenant, tmp_path: Path
) -> None:
    env = {
        **azure_env(entra, demo),
        "TESSERA_HOME": str(tmp_path),
        "TESSERA_PUBLIC_URL": "http://localhost:8585",
        "OIDC_CLIENT_ID": demo.ingestion_client_id,
        "OIDC_CLIENT_SECRET": demo.ingestion_secret,
        "AUTHORIZER_ADMIN_PRINCIPALS": f"[{demo.admin.user_principal_name}, ghost@{demo.domain}]",
        "TESSERA_PROVIDER_MAPPINGS": '[{"appRole": "Catalog.Admin", "admin": true}]',
    }
    healthy = _cli(env)
    assert "ok       discovery" in healthy.output
    assert f"{demo.admin.user_principal_name} is Ada Admin in the directory" in healthy.output
    assert f"ghost@{demo.domain} is no user of tenant" in healthy.output
    assert "the app role 'Catalog.Admin' is not defined" in healthy.output
    assert "change: authorizerConfiguration.providerMappings (TESSERA_PROVIDER_MAPPINGS)" in healthy.output
    assert healthy.exit_code == 1
    assert demo.ingestion_secret not in healthy.output

    wrong = _cli(
        {
            **env,
            "AUTHENTICATION_CLIENT_ID": str(uuid.uuid4()),
            "AUTHENTICATION_CALLBACK_URL": "https://catalog.example.com/callback",
            "OIDC_CLIENT_SECRET": "not-the-secret",
            "OIDC_TENANT": str(uuid.uuid4()),
        }
    )
    lines = wrong.output
    assert "is not an application of tenant" in lines
    assert "change: authenticationConfiguration.clientId (AUTHENTICATION_CLIENT_ID)" in lines
    assert "is not on the public URL http://localhost:8585" in lines
    assert "change: authenticationConfiguration.callbackUrl (AUTHENTICATION_CALLBACK_URL)" in lines
    assert "oidcConfiguration.tenant is" in lines
    assert "refuses the catalog's credentials: invalid_client" in lines
    assert wrong.exit_code == 1

    # The session's emulator keeps its own (manual) clock: put it ten minutes ahead of this one.
    entra.service.set_clock_offset(time.time() - entra.clock.now() + 600)
    try:
        skewed = _cli(env)
    finally:
        entra.service.set_clock_offset(0)
    assert "behind the identity provider's, more than clockLeewaySeconds (60)" in skewed.output
    change = "change: authenticationConfiguration.clockLeewaySeconds (TESSERA_CLOCK_LEEWAY_SECONDS)"
    assert change in skewed.output


def _forged(claims: dict[str, Any], **header: Any) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "forged", **header})


def test_the_doctor_gives_the_servers_own_reason_for_every_refusal(
    entra: RunningEmulator,
    demo: DemoTenant,
    idp_http: httpx.Client,
    catalog_for: Callable[..., AzureCatalog],
) -> None:
    other = entra.create_tenant(f"o{uuid.uuid4().hex[:10]}.onmicrosoft.com")["id"]
    entra.service.update_app(demo.tenant_id, demo.ui_client_id, token_version=2)
    catalog = catalog_for(
        demo,
        TESSERA_ACCEPTED_TOKEN_VERSIONS="2.0",
        TESSERA_ALLOWED_TENANTS=f"{demo.tenant_id},{other}",
        AUTHORIZER_ENFORCE_PRINCIPAL_DOMAIN="true",
        AUTHENTICATION_ENABLE_SELF_SIGNUP="false",
    )
    container = catalog.client.app.state.container  # type: ignore[attr-defined]
    admin = person_tokens(entra, demo, idp_http, demo.admin)["access_token"]
    # Nothing is changed by a diagnosis: alice would sign up, yet is not created by it.
    alice = person_tokens(entra, demo, idp_http, demo.users[1])["access_token"]
    assert not explain_token(container, alice).accepted  # self sign-up is off
    assert catalog.get("/api/v1/users/loggedInUser", admin).status_code == 200
    pre_check = explain_token(container, admin)
    assert pre_check.accepted
    assert pre_check.verdict.startswith("Accepted: signs in as the user admin")

    key = entra.state.keys.active()
    origin = entra.base_url
    now = int(time.time())
    good = {
        "iss": f"{origin}/{demo.tenant_id}/v2.0",
        "aud": demo.ui_client_id,
        "tid": demo.tenant_id,
        "oid": str(uuid.uuid4()),
        "scp": "access_as_user",
        "ver": "2.0",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "preferred_username": f"zed@{demo.domain}",
    }

    def signed(**changes: Any) -> str:
        claims = {k: v for k, v in {**good, **changes}.items() if v is not None}
        return sign(claims, key)

    graph = msal.ConfidentialClientApplication(
        demo.ingestion_client_id,
        client_credential=demo.ingestion_secret,
        authority=demo.authority,
        instance_discovery=False,
        http_client=entra.http_client(),
    ).acquire_token_for_client(["https://graph.microsoft.com/.default"])["access_token"]
    real = signed()
    stranger = str(uuid.uuid4())
    header, _payload, signature = real.split(".")
    tampered_payload = jwt.utils.base64url_encode(json.dumps({**good, "aud": "x"}).encode()).decode()
    unmapped_app = {k: v for k, v in good.items() if k not in ("scp", "preferred_username")}
    cases: list[tuple[str, str]] = [
        # Unreadable: routed to tessera's own token checks, as the server routes them.
        ("tessera's token", "x" * 17_000),
        ("tessera's token", "not-a-token"),
        ("Microsoft Graph audience", graph),
        ("header", _forged(good, jku="https://evil.example/keys")),
        ("header", jwt.encode(good, "a-shared-secret-of-32-bytes-long", "HS256", headers={"kid": "k"})),
        ("header", jwt.encode(good, rsa.generate_private_key(public_exponent=65537, key_size=2048), "RS256")),
        ("signing key", _forged(good)),
        ("signature and times", f"{header}.{tampered_payload}.{signature}"),
        ("signature and times", signed(exp=None)),
        ("signature and times", signed(tid=None)),
        ("signature and times", signed(iat=now - 7200, nbf=now - 7200, exp=now - 3600)),
        ("signature and times", signed(nbf=now + 3600)),
        ("issuer", signed(iss=f"{origin}/{demo.tenant_id}/v3.0")),
        ("version", signed(ver="1.0")),
        ("tenant", signed(tid=stranger, iss=f"{origin}/{stranger}/v2.0")),
        ("key's tenant", signed(tid=other, iss=f"{origin}/{other}/v2.0")),
        ("accepted versions", signed(iss=f"{origin}/{demo.tenant_id}/", ver="1.0")),
        ("audience", signed(aud="api://someone-else")),
        ("service principal", sign({**unmapped_app, "azp": str(uuid.uuid4())}, key)),
        ("principal claims", signed(preferred_username=None)),
        ("email domain", signed(preferred_username="zed@elsewhere.example")),
        ("existing user", signed(preferred_username=f"ingestion-bot@{demo.domain}")),
        ("self sign-up", signed()),
    ]
    assert ingestion_token(entra, demo)  # the guide's bot is known: its refusal would be another one
    for check, token in cases:
        answer = catalog.get("/api/v1/users/loggedInUser", token)
        assert answer.status_code in (401, 403), (check, answer.text)
        found = explain_token(container, token)
        assert not found.accepted
        assert (found.status, found.verdict) == (answer.status_code, answer.json()["message"]), check
        assert found.checks[-1] == {"check": check, "outcome": "failed", "detail": found.verdict}, check
        assert found.hint
        assert token not in str(found.as_json())

    # The bot e-mail to set comes with the unmapped service principal.
    unmapped = explain_token(container, cases[18][1])
    assert f"@{demo.domain}" in unmapped.verdict
    assert "set the bot's email to" in unmapped.verdict

    # The same through the API, for administrators only, and through the CLI (token on stdin).
    explained = catalog.client.post(
        "/api/v1/system/auth/explain", json={"token": real}, headers={"Authorization": f"Bearer {admin}"}
    )
    assert explained.status_code == 200
    assert explained.json()["checks"][-1]["check"] == "self sign-up"
    assert real not in explained.text
    settings = catalog.settings
    env = {
        **azure_env(entra, demo),
        "TESSERA_HOME": str(settings.home),
        "TESSERA_DATABASE_URL": settings.database_url,
        "TESSERA_ACCEPTED_TOKEN_VERSIONS": "2.0",
        "TESSERA_ALLOWED_TENANTS": f"{demo.tenant_id},{other}",
    }
    printed = _cli(env, "token", "-", stdin=cases[17][1] + "\n")
    assert printed.exit_code == 1
    refused = "Refused (401): Not Authorized! Token audience 'api://someone-else' is not this API"
    assert refused in printed.output
    assert "FAILED  audience" in printed.output
    assert cases[17][1] not in printed.output
    assert _cli(env, "token", admin).exit_code == 0
