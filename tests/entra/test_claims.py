"""Token contents that depend on app configuration: optional claims, groups, user app roles,
implicit/hybrid responses behind the "ID tokens" / "Access tokens" checkboxes."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import urlencode

import httpx
import jwt

from tessera.entra.testing import DemoTenant, RunningEmulator

from .conftest import answer, public, sign_in, start_flow
from .test_auth_code import NATIVE_REDIRECT, _native_client


def test_optional_claims_groups_and_user_roles(
    entra: RunningEmulator, demo: DemoTenant, http: httpx.Client
) -> None:
    client_id = _native_client(entra, demo)
    group = entra.service.create_group(demo.tenant_id, "Stewards", [demo.admin.user_principal_name])
    entra.service.update_app(
        demo.tenant_id, client_id, optional_claims={"idToken": ["email", "upn", "groups", "login_hint"]}
    )
    entra.service.update_app(demo.tenant_id, demo.ui_client_id, token_version=2)
    entra.service.add_app_role(demo.tenant_id, demo.ui_client_id, "Admin", allowed_member_types=["User"])
    entra.service.assign_group(demo.tenant_id, demo.ui_client_id, "Stewards", "Admin")
    app = public(entra, client_id, demo.authority)
    flow = start_flow(app, [demo.api_scope], NATIVE_REDIRECT)
    params = sign_in(http, flow["auth_uri"], demo.admin.user_principal_name, demo.admin.password).params
    tokens = app.acquire_token_by_auth_code_flow(flow, params)
    id_claims = tokens["id_token_claims"]
    assert id_claims["email"] == demo.admin.user_principal_name
    assert id_claims["upn"] == demo.admin.user_principal_name
    assert id_claims["groups"] == [group["id"]]
    assert "login_hint" in id_claims
    access = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert access["ver"] == "2.0"
    assert access["aud"] == demo.ui_client_id
    assert access["azp"] == client_id
    assert access["azpacr"] == "0"  # a public client
    assert access["roles"] == ["Admin"]  # through the group's assignment
    assert access["preferred_username"] == demo.admin.user_principal_name


def _implicit_url(demo: DemoTenant, response_type: str) -> str:
    params = {
        "client_id": demo.ui_client_id,
        "response_type": response_type,
        "redirect_uri": demo.ui_redirect_uri,
        "scope": f"openid profile {demo.api_scope}",
        "nonce": "n-0S6_WzA2Mj",
        "state": "st",
    }
    return f"{demo.authority}/oauth2/v2.0/authorize?{urlencode(params)}"


def test_implicit_needs_the_checkboxes(entra: RunningEmulator, demo: DemoTenant, http: httpx.Client) -> None:
    entra.service.update_app(demo.tenant_id, demo.ui_client_id, id_tokens=False, access_tokens=False)
    refused = answer(http.get(_implicit_url(demo, "id_token")))
    assert refused["error"] == "unsupported_response_type"
    assert refused["error_description"].startswith(
        "AADSTS700054: response_type 'id_token' is not enabled for the application."
    )
    assert refused["state"] == "st"
    entra.service.update_app(demo.tenant_id, demo.ui_client_id, id_tokens=True, access_tokens=True)
    result = sign_in(
        http, _implicit_url(demo, "code id_token token"), demo.admin.user_principal_name, demo.admin.password
    )
    params = result.params
    assert {"code", "id_token", "access_token", "state", "session_state"} <= set(params)
    claims = jwt.decode(params["id_token"], options={"verify_signature": False})
    assert claims["nonce"] == "n-0S6_WzA2Mj"
    digest = hashlib.sha256(params["code"].encode()).digest()
    assert claims["c_hash"] == base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()
    assert "at_hash" in claims


def test_authorize_by_post(entra: RunningEmulator, demo: DemoTenant, http: httpx.Client) -> None:
    page = http.post(
        f"{demo.authority}/oauth2/v2.0/authorize",
        data={
            "client_id": demo.ui_client_id,
            "response_type": "code",
            "redirect_uri": demo.ui_redirect_uri,
            "scope": demo.api_scope,
            "login_hint": demo.admin.user_principal_name,
        },
    )
    assert page.status_code == 200
    assert 'id="signin"' in page.text
    assert f'value="{demo.admin.user_principal_name}"' in page.text
