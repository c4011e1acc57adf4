"""The client credentials grant (RFC 6749 §4.4; ``v2-oauth2-client-creds-grant-flow``).

Entra's rules: one resource, named with ``/.default`` (AADSTS1002012 otherwise); the token's
``roles`` are the app roles granted to the client's service principal ("admin consent"), and
with none the token is still issued without ``roles``, unless the resource's service principal
has ``appRoleAssignmentRequired`` (AADSTS501051). No refresh token, no ID token, no ``scope``.
On the v1 endpoint the resource comes as ``resource`` (AADSTS500013 without it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tessera.entra import claims, errors
from tessera.entra.clients import (
    ACR,
    AuthMethod,
    Client,
    authenticate,
    check_secret,
    find_client,
    secret_hashes,
)
from tessera.entra.consent import role_assignments
from tessera.entra.grants.base import GrantContext, v1_answer
from tessera.entra.models import Tenant
from tessera.entra.scopes import Resource, find_resource, parse
from tessera.entra.tenants import require_tenant
from tessera.entra.tokens import sign


@dataclass(frozen=True)
class _Caller:
    client: Client
    tenant: Tenant
    secrets: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class _Target:
    resource: Resource
    role_ids: frozenset[str]


def _caller(ctx: GrantContext, client_id: str | None) -> _Caller:
    def load() -> _Caller:
        client = find_client(ctx.s, ctx.req.path, client_id)
        return _Caller(client, require_tenant(ctx.s, ctx.req.path), secret_hashes(ctx.s, client.app))

    return ctx.state.store.cached(("cc-caller", ctx.req.path.segment, client_id), load)


def _target(ctx: GrantContext, caller: _Caller, resource_ref: str) -> _Target:
    def load() -> _Target:
        resource = find_resource(ctx.s, caller.tenant, resource_ref)
        assert caller.client.sp is not None  # a tenant was required
        return _Target(resource, frozenset(role_assignments(ctx.s, [caller.client.sp.id], resource.sp)))

    return ctx.state.store.cached(
        ("cc-target", caller.tenant.id, caller.client.app.app_id, resource_ref), load
    )


def handle(ctx: GrantContext) -> dict[str, Any]:
    req = ctx.req
    # The directory reads of this grant are cached until the directory changes: it is the
    # emulator's hot path (service-to-service tokens), see Store.cached.
    caller = _caller(ctx, req.param("client_id"))
    client, tenant = caller.client, caller.tenant
    raw_scope = req.param("scope")
    if raw_scope is None:
        # v1 names the resource with `resource` (the endpoint turns it into {resource}/.default).
        raise errors.resource_not_provided() if req.v1 else errors.scope_missing()
    if req.request_origin is not None and req.credentials.any:
        raise errors.credential_with_origin()
    if client.app.is_fallback_public_client and req.credentials.any:
        raise errors.public_client_with_credential()
    method: AuthMethod
    if req.credentials.secret is not None:
        # The common case, checked against the cached hashes without opening a session.
        check_secret(client.app, caller.secrets, req.credentials.secret, ctx.now)
        method = "secret"
    else:
        # A public client has nothing to authenticate with, so it meets "credential missing".
        method = authenticate(
            ctx.s,
            client.app,
            req.credentials,
            public=False,
            audiences=req.assertion_audiences(),
            now=ctx.now,
            skew=ctx.state.settings.lifetimes.clock_skew,
        )
    scope = parse(raw_scope)
    if scope.resource_ref is None or not scope.is_default or scope.oidc:
        raise errors.client_credentials_scope(raw_scope)
    target = _target(ctx, caller, scope.resource_ref)
    resource, role_ids = target.resource, target.role_ids
    assert client.sp is not None  # a tenant was required above
    roles = [
        r["value"]
        for r in resource.app_roles
        if r["id"] in role_ids and "Application" in r.get("allowedMemberTypes", ["Application"])
    ]
    if not role_ids and resource.sp.app_role_assignment_required:
        raise errors.not_assigned_to_role(client.app.app_id, resource.app_id)
    lifetime = ctx.state.settings.lifetimes.access_token
    token_claims = claims.app_access_token(
        origin=req.origin,
        tenant=tenant,
        resource=resource,
        audience=scope.resource_ref,
        client_app_id=client.app.app_id,
        client_acr=ACR[method],
        client_sp_id=client.sp.id,
        roles=roles,
        times=claims.Times(int(ctx.now), lifetime),
    )
    token = sign(
        token_claims,
        ctx.state.keys.active(ctx.unit),
        x5t_header=resource.token_version == 1,
        graph_nonce=resource.is_graph,
    )
    body = {"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime, "access_token": token}
    if req.v1:
        return v1_answer(body, resource=scope.resource_ref, scope=None, now=int(ctx.now))
    return body
