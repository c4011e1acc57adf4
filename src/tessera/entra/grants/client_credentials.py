"""The client credentials grant (RFC 6749 §4.4; ``v2-oauth2-client-creds-grant-flow``).

Entra's rules: one resource, named with ``/.default`` (AADSTS1002012 otherwise); the token's
``roles`` are the app roles granted to the client's service principal ("admin consent"), and
with none the token is still issued without ``roles``, unless the resource's service principal
has ``appRoleAssignmentRequired`` (AADSTS501051). No refresh token, no ID token, no ``scope``.
"""

from __future__ import annotations

from typing import Any

from tessera.entra import claims, errors
from tessera.entra.clients import ACR, authenticate, find_client
from tessera.entra.directory import role_assignments
from tessera.entra.grants.base import GrantContext
from tessera.entra.scopes import find_resource, parse
from tessera.entra.tenants import require_tenant
from tessera.entra.tokens import sign


def handle(ctx: GrantContext) -> dict[str, Any]:
    req = ctx.req
    client = find_client(ctx.s, req.path, req.param("client_id"))
    tenant = require_tenant(ctx.s, req.path)
    raw_scope = req.param("scope")
    if raw_scope is None:
        raise errors.scope_missing()
    if req.request_origin is not None and req.credentials.any:
        raise errors.credential_with_origin()
    if client.app.is_fallback_public_client and req.credentials.any:
        raise errors.public_client_with_credential()
    # A public client has nothing to authenticate with, so it meets "credential missing".
    method = authenticate(
        ctx.s,
        client.app,
        req.credentials,
        public=False,
        audiences=set(req.assertion_audiences),
        now=ctx.now,
        skew=ctx.state.settings.lifetimes.clock_skew,
    )
    scope = parse(raw_scope)
    if scope.resource_ref is None or not scope.is_default or scope.oidc:
        raise errors.client_credentials_scope(raw_scope)
    resource = find_resource(ctx.s, tenant, scope.resource_ref)
    assert client.sp is not None  # a tenant was required above
    role_ids = set(role_assignments(ctx.s, [client.sp.id], resource.sp))
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
        ctx.state.keys.active(),
        x5t_header=resource.token_version == 1,
        graph_nonce=resource.is_graph,
    )
    return {"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime, "access_token": token}
