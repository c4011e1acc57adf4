"""Resource owner password (MSAL Python's ``acquire_token_by_username_password``) with Entra's
refusals, and on-behalf-of (``acquire_token_on_behalf_of``): a middle-tier API trades the user's
token for one to a downstream API."""

from __future__ import annotations

from typing import Any

import httpx
import jwt
import pytest

from tessera.entra.testing import DemoTenant, RunningEmulator

from .conftest import confidential, public, sign_in, start_flow
from .test_auth_code import NATIVE_REDIRECT, _native_client
from .test_device_code import _device_app

PASSWORD = "Ropc-Passw0rd"


def _claims(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


# MSAL deprecates ROPC for public clients (a warning per call); Entra still serves it.
@pytest.mark.filterwarnings("ignore:This API has been deprecated:DeprecationWarning")
def test_ropc_and_its_refusals(entra: RunningEmulator, demo: DemoTenant) -> None:
    client_id = _device_app(entra, demo)  # public client flows allowed
    app = public(entra, client_id, demo.authority)
    upn = demo.admin.user_principal_name
    result = app.acquire_token_by_username_password(upn, demo.admin.password, scopes=[demo.api_scope])
    assert "access_token" in result, result
    assert _claims(result["access_token"])["oid"] == demo.admin.id
    assert result["id_token_claims"]["preferred_username"] == upn
    wrong = app.acquire_token_by_username_password(upn, "Not-the-passw0rd", scopes=[demo.api_scope])
    assert wrong["error_codes"] == [50126]
    unknown = app.acquire_token_by_username_password(
        f"nobody@{demo.domain}", PASSWORD, scopes=[demo.api_scope]
    )
    assert unknown["error_codes"] == [50034]
    entra.create_user(demo.tenant_id, "mfa", PASSWORD, mfa_required=True)
    mfa = app.acquire_token_by_username_password(f"mfa@{demo.domain}", PASSWORD, scopes=[demo.api_scope])
    assert (mfa["error"], mfa["error_codes"], mfa["suberror"]) == ("invalid_grant", [50076], "basic_action")
    entra.create_user(demo.tenant_id, "fed", PASSWORD, federated_issuer="https://sts.contoso.example/adfs")
    federated = app.acquire_token_by_username_password(
        f"fed@{demo.domain}", PASSWORD, scopes=[demo.api_scope]
    )
    assert federated["error_codes"] == [50126]
    assert "federated" in federated["error_description"]
    # An app that does not allow public client flows has to authenticate.
    closed = public(entra, _device_app(entra, demo, public_flows=False), demo.authority)
    refused = closed.acquire_token_by_username_password(upn, demo.admin.password, scopes=[demo.api_scope])
    assert refused["error_codes"] == [7000218]


def _middle_tier(entra: RunningEmulator, demo: DemoTenant) -> tuple[str, str, str]:
    """An API ("orders") that calls the demo API on its users' behalf: it exposes a scope, is a
    confidential client, and has consent for the downstream scope."""
    tid = demo.tenant_id
    orders = entra.create_app(tid, "orders api")
    uri = entra.service.expose_api(tid, orders["appId"])
    entra.service.add_scope(tid, orders["appId"], "orders.read")
    entra.service.add_permission(tid, orders["appId"], demo.ui_client_id, scopes=["access_as_user"])
    entra.service.grant_admin_consent(tid, orders["appId"])
    secret = entra.add_secret(tid, orders["appId"])["secretText"]
    return str(orders["appId"]), f"{uri}/orders.read", str(secret)


def test_on_behalf_of(entra: RunningEmulator, demo: DemoTenant, http: httpx.Client) -> None:
    orders_id, orders_scope, orders_secret = _middle_tier(entra, demo)
    # The user signs in to a desktop app that calls the orders API.
    client_id = _native_client(entra, demo)
    entra.service.add_permission(demo.tenant_id, client_id, orders_id, scopes=["orders.read"])
    entra.service.grant_admin_consent(demo.tenant_id, client_id)
    desktop = public(entra, client_id, demo.authority)
    flow = start_flow(desktop, [orders_scope], NATIVE_REDIRECT)
    params = sign_in(http, flow["auth_uri"], demo.admin.user_principal_name, demo.admin.password).params
    user_token = desktop.acquire_token_by_auth_code_flow(flow, params)["access_token"]
    # The orders API trades it.
    middle = confidential(entra, orders_id, orders_secret, demo.authority)
    result = middle.acquire_token_on_behalf_of(user_token, [demo.api_scope])
    assert "access_token" in result, result
    downstream = _claims(result["access_token"])
    assert downstream["aud"] == demo.api_app_id_uri
    assert downstream["oid"] == demo.admin.id
    assert downstream["appid"] == orders_id  # the middle tier is the client now
    assert downstream["scp"] == "access_as_user"
    # What the middle tier may not trade: a token for another app, an app-only token, junk.
    other = middle.acquire_token_on_behalf_of(result["access_token"], [demo.api_scope])
    assert other["error_codes"] == [500131]
    app_only = confidential(entra, demo.ingestion_client_id, demo.ingestion_secret, demo.authority)
    entra.service.add_permission(demo.tenant_id, demo.ingestion_client_id, orders_id)
    app_token = app_only.acquire_token_for_client([f"api://{orders_id}/.default"])["access_token"]
    assert middle.acquire_token_on_behalf_of(app_token, [demo.api_scope])["error_codes"] == [500341]
    assert middle.acquire_token_on_behalf_of("x.y.z", [demo.api_scope])["error_codes"] == [50013]
    entra.clock.advance(3600 + 301)
    try:
        expired = confidential(entra, orders_id, orders_secret, demo.authority).acquire_token_on_behalf_of(
            user_token, [demo.api_scope]
        )
    finally:
        entra.clock.advance(-(3600 + 301))
    assert expired["error_codes"] == [500133]
