"""The refresh token grant (RFC 6749 §6) with rotation (OAuth 2.0 Security BCP §4.14.2).

Refresh tokens are opaque random strings; only their hash is stored, with the family they
belong to. Each redemption returns a new token and marks the old one used. What a used token
then does is the tenant's setting (``TenantSettings.refresh_token_reuse``): by default it stays
valid until it expires or is revoked, as Entra documents; with ``revokeFamily`` presenting it
again revokes the whole family (AADSTS50173), since it means the token leaked.

Lifetimes (``refresh-tokens``): 90 days of inactivity, except single-page apps, whose tokens
expire 24 h after the original sign-in however often they are redeemed (AADSTS700084). SPA
refresh tokens, like SPA codes, may only be redeemed cross-origin (with an ``Origin`` header).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from tessera.entra import errors
from tessera.entra.clients import authenticate, find_client
from tessera.entra.clock import iso
from tessera.entra.directory import sha256_hex
from tessera.entra.grants.base import GrantContext, user_tokens
from tessera.entra.keys import random_token
from tessera.entra.models import RefreshToken, Tenant, User
from tessera.entra.scopes import parse
from tessera.entra.tenants import TenantSettings


def mint(
    s: Session,
    ctx: GrantContext,
    *,
    tenant_id: str,
    client_id: str,
    user_id: str,
    is_spa: bool,
    confidential: bool,
    scope: str,
    nonce: str | None,
    auth_time: float,
    session_id: str | None,
    family: RefreshToken | None = None,
) -> str:
    value = "1.A" + random_token(96)
    lifetimes = ctx.state.settings.lifetimes
    family_issued = family.family_issued if family is not None else ctx.now
    expires = (
        family_issued + lifetimes.spa_refresh_token
        if is_spa
        else ctx.now + lifetimes.refresh_token_inactivity
    )
    s.add(
        RefreshToken(
            token_hash=sha256_hex(value),
            family_id=family.family_id if family is not None else random_token(16),
            tenant_id=tenant_id,
            client_id=client_id,
            user_id=user_id,
            is_spa=is_spa,
            confidential=confidential,
            scope=scope,
            nonce=nonce,
            auth_time=auth_time,
            session_id=session_id,
            family_issued=family_issued,
            issued=ctx.now,
            expires=expires,
            redeemed=None,
            revoked=False,
        )
    )
    return value


def handle(ctx: GrantContext) -> dict[str, Any]:
    req = ctx.req
    s = ctx.s
    client = find_client(s, req.path, req.param("client_id"))
    value = req.require("refresh_token")
    token = s.get(RefreshToken, sha256_hex(value))
    if token is None:
        raise errors.refresh_token_invalid()
    if token.client_id != client.app.app_id:
        raise errors.refresh_token_client_mismatch()
    if req.path.tenant_id is not None and req.path.tenant_id != token.tenant_id:
        raise errors.refresh_token_invalid()
    if token.revoked:
        raise errors.refresh_token_revoked(iso(token.family_issued))
    tenant = s.get(Tenant, token.tenant_id)
    if tenant is None:
        raise errors.refresh_token_invalid()
    if token.redeemed is not None and TenantSettings.of(tenant).refresh_token_reuse == "revokeFamily":
        family_id = token.family_id

        def revoke(session: Session) -> None:
            session.execute(
                update(RefreshToken).where(RefreshToken.family_id == family_id).values(revoked=True)
            )

        ctx.on_failure.append(revoke)
        raise errors.refresh_token_revoked(iso(token.family_issued))
    if token.is_spa and req.request_origin is None:
        raise errors.spa_requires_origin()
    if not token.is_spa and req.request_origin is not None:
        raise errors.origin_requires_spa(req.request_origin)
    if token.expires <= ctx.now:
        if token.is_spa:
            raise errors.spa_refresh_token_expired(iso(token.family_issued))
        raise errors.grant_expired()
    if req.request_origin is not None and req.credentials.any:
        raise errors.credential_with_origin()
    method = authenticate(
        s,
        client.app,
        req.credentials,
        public=not token.confidential,
        audiences=req.assertion_audiences(),
        now=ctx.now,
        skew=ctx.state.settings.lifetimes.clock_skew,
    )
    user = s.get(User, token.user_id)
    if user is None or not user.account_enabled:
        raise errors.refresh_token_invalid()
    scope = parse(req.param("scope") or token.scope)
    body = user_tokens(
        ctx,
        tenant=tenant,
        client_app=client.app,
        method=method,
        user=user,
        scope=scope,
        nonce=None,
        auth_time=token.auth_time,
        sid=token.session_id,
    )
    if token.redeemed is None:
        token.redeemed = ctx.now
    body["refresh_token"] = mint(
        s,
        ctx,
        tenant_id=token.tenant_id,
        client_id=token.client_id,
        user_id=token.user_id,
        is_spa=token.is_spa,
        confidential=token.confidential,
        scope=token.scope,
        nonce=None,
        auth_time=token.auth_time,
        session_id=token.session_id,
        family=token,
    )
    if token.is_spa:
        body["refresh_token_expires_in"] = max(0, int(token.expires - ctx.now))
    return body
