"""The resource owner password credentials grant (RFC 6749 §4.3; ``v2-oauth-ropc``).

Entra's rules: the app must be a confidential client with its credential or allow public
client flows (AADSTS7000218 otherwise); no consent can be asked, so a missing one is AADSTS65001;
a user who must pass multi-factor authentication is refused (AADSTS50076, ``suberror``
``basic_action``), and so is a federated user, whose password only their identity provider can
check (AADSTS50126); a wrong password is AADSTS50126, an unknown user AADSTS50034.
"""

from __future__ import annotations

from typing import Any

from tessera.entra import errors, grant_errors
from tessera.entra.clients import authenticate, find_client
from tessera.entra.directory import check_password, directory_user_by_login
from tessera.entra.grants import refresh_token
from tessera.entra.grants.base import GrantContext, user_tokens
from tessera.entra.models import Tenant
from tessera.entra.scopes import parse

GRANT_TYPE = "password"


def handle(ctx: GrantContext) -> dict[str, Any]:
    req, s = ctx.req, ctx.s
    client = find_client(s, req.path, req.param("client_id"))
    public = client.app.is_fallback_public_client and not req.credentials.any
    method = authenticate(
        s,
        client.app,
        req.credentials,
        public=public,
        audiences=req.assertion_audiences(),
        now=ctx.now,
        skew=ctx.state.settings.lifetimes.clock_skew,
    )
    username = req.require("username")
    password = req.require("password")
    scope = parse(req.require("scope"))
    user = directory_user_by_login(s, req.path.tenant_id, username)
    if user is None:
        raise errors.user_not_found(username, req.path.display_name)
    if not user.account_enabled:
        raise errors.user_disabled()
    if user.federated_issuer:
        raise grant_errors.federated_user_password(user.user_principal_name)
    if not check_password(password, user.password_hash):
        raise errors.bad_credentials()
    tenant = s.get(Tenant, user.tenant_id)
    assert tenant is not None
    if user.mfa_required:
        raise grant_errors.mfa_required(scope.resource_ref or "https://graph.microsoft.com")
    body = user_tokens(
        ctx,
        tenant=tenant,
        client_app=client.app,
        method=method,
        user=user,
        scope=scope,
        nonce=None,
        auth_time=ctx.now,
        sid=None,
    )
    if "offline_access" in scope.oidc:
        body["refresh_token"] = refresh_token.mint(
            s,
            ctx,
            tenant_id=tenant.id,
            client_id=client.app.app_id,
            user_id=user.id,
            is_spa=False,
            confidential=method != "none",
            scope=scope.raw,
            nonce=None,
            auth_time=ctx.now,
            session_id=None,
        )
    return body
