"""The device authorization grant (RFC 8628; ``v2-oauth2-device-code``).

``/devicecode`` gives the device a ``device_code`` (only its hash is kept) and a short
``user_code`` the person types on the verification page (``endpoints/device.py``), where they
sign in and consent. Meanwhile the device polls the token endpoint: ``authorization_pending``
(AADSTS70016) until then, ``slow_down`` when it polls faster than ``interval``,
``authorization_declined`` if the person refused, ``expired_token`` (AADSTS70020) after
``expires_in``; once approved, the tokens, once. Entra requires the app to allow public client
flows ("Allow public client flows", ``isFallbackPublicClient``) for a request without a client
credential: AADSTS7000218 otherwise.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tessera.entra import grant_errors
from tessera.entra.clients import authenticate, find_client
from tessera.entra.directory import sha256_hex
from tessera.entra.grants import refresh_token
from tessera.entra.grants.base import GrantContext, user_tokens
from tessera.entra.keys import random_token
from tessera.entra.models import DeviceCode, Tenant, User
from tessera.entra.scopes import parse
from tessera.entra.tenants import TenantPath

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
# Entra's user codes: 9 characters, letters and digits without the look-alikes.
_USER_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _user_code() -> str:
    return "".join(secrets.choice(_USER_CODE_ALPHABET) for _ in range(9))


def start(
    s: Session,
    *,
    path: TenantPath,
    client_id: str,
    scope: str,
    now: float,
    lifetime: int,
    interval: int,
) -> tuple[str, str]:
    """A new device authorization; returns (device_code, user_code)."""
    device_code = "DAQABAAEAAA" + random_token(96)
    user_code = _user_code()
    while s.scalars(select(DeviceCode.user_code).where(DeviceCode.user_code == user_code)).first():
        user_code = _user_code()
    s.add(
        DeviceCode(
            device_code_hash=sha256_hex(device_code),
            user_code=user_code,
            tenant_id=path.tenant_id,
            client_id=client_id,
            scope=scope,
            interval=interval,
            expires=now + lifetime,
            last_poll=None,
            status="pending",
        )
    )
    return device_code, user_code


def handle(ctx: GrantContext) -> dict[str, Any]:
    req, s = ctx.req, ctx.s
    client = find_client(s, req.path, req.param("client_id"))
    code = s.get(DeviceCode, sha256_hex(req.require("device_code")))
    if code is None or code.client_id != client.app.app_id or code.status == "redeemed":
        raise grant_errors.device_code_unknown()
    if req.path.tenant_id is not None and code.tenant_id not in (None, req.path.tenant_id):
        raise grant_errors.device_code_unknown()
    method = authenticate(
        s,
        client.app,
        req.credentials,
        public=client.app.is_fallback_public_client,
        audiences=req.assertion_audiences(),
        now=ctx.now,
        skew=ctx.state.settings.lifetimes.clock_skew,
    )
    if code.expires <= ctx.now:
        raise grant_errors.device_code_expired()
    if code.status == "declined":
        raise grant_errors.device_code_declined()
    if code.status == "pending":
        too_soon = code.last_poll is not None and ctx.now - code.last_poll < code.interval
        last_poll = ctx.now
        code_hash = code.device_code_hash

        # The failure rolls the unit of work back; the poll's time must stay.
        def record_poll(session: Session) -> None:
            row = session.get(DeviceCode, code_hash)
            if row is not None:
                row.last_poll = last_poll

        ctx.on_failure.append(record_poll)
        raise grant_errors.slow_down(code.interval) if too_soon else grant_errors.authorization_pending()
    tenant = s.get(Tenant, code.tenant_id) if code.tenant_id else None
    user = s.get(User, code.user_id) if code.user_id else None
    if user is not None and tenant is None:
        tenant = s.get(Tenant, user.tenant_id)
    if tenant is None or user is None or not user.account_enabled:
        raise grant_errors.device_code_unknown()
    code.status = "redeemed"
    scope = parse(code.scope)
    assert code.auth_time is not None
    body = user_tokens(
        ctx,
        tenant=tenant,
        client_app=client.app,
        method=method,
        user=user,
        scope=scope,
        nonce=None,
        auth_time=code.auth_time,
        sid=code.session_id,
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
            scope=code.scope,
            nonce=None,
            auth_time=code.auth_time,
            session_id=code.session_id,
        )
    return body
