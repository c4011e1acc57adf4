"""The authorization code grant (RFC 6749 §4.1.3) with PKCE (RFC 7636 §4.6) and Entra's
single-page-app rules (``v2-oauth2-auth-code-flow``, ``reply-url``).

Codes are single use (AADSTS54005), live about ten minutes (AADSTS70008), are redeemable only
in the tenant that issued them (AADSTS700005) and only with the ``redirect_uri`` of the authorize
request (AADSTS500112). A code issued for a ``spa`` redirect URI must be redeemed cross-origin,
that is with an ``Origin`` header (AADSTS9002327); an ``Origin`` header on any other code is
refused (AADSTS9002326), and a cross-origin redemption needs PKCE (AADSTS9002325).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from sqlalchemy.orm import Session

from tessera.entra import errors
from tessera.entra.clients import authenticate, find_client
from tessera.entra.directory import sha256_hex
from tessera.entra.grants import refresh_token
from tessera.entra.grants.base import GrantContext, user_tokens
from tessera.entra.keys import random_token
from tessera.entra.models import AuthorizationCode, Tenant, User
from tessera.entra.scopes import parse


def mint(
    s: Session,
    *,
    now: float,
    lifetime: int,
    tenant_id: str,
    client_id: str,
    user_id: str,
    redirect_uri: str,
    redirect_type: str,
    scope: str,
    nonce: str | None,
    code_challenge: str | None,
    code_challenge_method: str | None,
    auth_time: float,
    session_id: str | None,
) -> str:
    value = "1.A" + random_token(64)
    s.add(
        AuthorizationCode(
            code_hash=sha256_hex(value),
            tenant_id=tenant_id,
            client_id=client_id,
            user_id=user_id,
            redirect_uri=redirect_uri,
            redirect_type=redirect_type,
            scope=scope,
            nonce=nonce,
            code_challenge=code_challenge,
            code_challenge_method=code_challenge_method,
            auth_time=auth_time,
            session_id=session_id,
            expires=now + lifetime,
            redeemed=None,
        )
    )
    return value


def pkce_matches(verifier: str, challenge: str, method: str | None) -> bool:
    """RFC 7636 §4.6: S256 compares BASE64URL(SHA256(verifier)); plain compares as is."""
    if (method or "plain") == "S256":
        digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    else:
        computed = verifier
    return hmac.compare_digest(computed, challenge)


def handle(ctx: GrantContext) -> dict[str, Any]:
    req = ctx.req
    s = ctx.s
    client = find_client(s, req.path, req.param("client_id"))
    value = req.require("code")
    code = s.get(AuthorizationCode, sha256_hex(value))
    if code is None or code.client_id != client.app.app_id:
        raise errors.code_invalid()
    if req.path.tenant_id is not None and req.path.tenant_id != code.tenant_id:
        raise errors.code_other_tenant()
    if code.redeemed is not None:
        raise errors.code_redeemed()
    if code.expires <= ctx.now:
        raise errors.grant_expired()
    is_spa = code.redirect_type == "spa"
    if is_spa and req.request_origin is None:
        raise errors.spa_requires_origin()
    if not is_spa and req.request_origin is not None:
        raise errors.origin_requires_spa(req.request_origin)
    if req.request_origin is not None and code.code_challenge is None:
        raise errors.cross_origin_requires_pkce()
    if req.request_origin is not None and req.credentials.any:
        raise errors.credential_with_origin()
    public = code.redirect_type in ("spa", "publicClient") or client.app.is_fallback_public_client
    method = authenticate(
        s,
        client.app,
        req.credentials,
        public=public,
        audiences=req.assertion_audiences(),
        now=ctx.now,
        skew=ctx.state.settings.lifetimes.clock_skew,
    )
    redirect_uri = req.require("redirect_uri")
    if redirect_uri != code.redirect_uri:
        raise errors.reply_address_mismatch(redirect_uri, code.redirect_uri)
    if code.code_challenge is not None:
        verifier = req.param("code_verifier")
        if verifier is None or not pkce_matches(verifier, code.code_challenge, code.code_challenge_method):
            raise errors.pkce_mismatch()
    code.redeemed = ctx.now
    tenant = s.get(Tenant, code.tenant_id)
    user = s.get(User, code.user_id)
    if tenant is None or user is None or not user.account_enabled:
        raise errors.code_invalid()
    granted_scope = parse(code.scope)
    scope = parse(req.param("scope") or code.scope)
    body = user_tokens(
        ctx,
        tenant=tenant,
        client_app=client.app,
        method=method,
        user=user,
        scope=scope,
        nonce=code.nonce,
        auth_time=code.auth_time,
        sid=code.session_id,
    )
    if "offline_access" in granted_scope.oidc:
        body["refresh_token"] = refresh_token.mint(
            s,
            ctx,
            tenant_id=tenant.id,
            client_id=client.app.app_id,
            user_id=user.id,
            is_spa=is_spa,
            confidential=not public,
            scope=code.scope,
            nonce=code.nonce,
            auth_time=code.auth_time,
            session_id=code.session_id,
        )
        if is_spa:
            body["refresh_token_expires_in"] = ctx.state.settings.lifetimes.spa_refresh_token
    return body
