"""What every grant handler receives, and the issuance shared by the grants that act for a user
(authorization code, refresh token)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from tessera.entra import claims, errors
from tessera.entra.clients import ACR, AuthMethod, Credentials
from tessera.entra.consent import consented_scopes, role_assignments
from tessera.entra.group_claims import groups_claim
from tessera.entra.groups import groups_of
from tessera.entra.models import Application, ServicePrincipal, Tenant, User
from tessera.entra.registrations import ensure_service_principal
from tessera.entra.scopes import Resource, ScopeRequest, find_resource
from tessera.entra.state import EmulatorState
from tessera.entra.store import LazySession
from tessera.entra.tenants import TenantPath
from tessera.entra.tokens import sign

DEFAULT_ACCESS_ROLE = "00000000-0000-0000-0000-000000000000"
DEFAULT_GRAPH_SCOPES = ("User.Read",)


@dataclass(frozen=True)
class TokenRequest:
    form: dict[str, str]
    path: TenantPath
    origin: str
    """The emulator's origin (issuers, endpoint URLs)."""
    request_origin: str | None
    """The browser's ``Origin`` header: present only on cross-origin (SPA) calls."""
    credentials: Credentials
    client_ip: str | None
    v1: bool = False
    """Came to the v1 endpoint (``/oauth2/token``): v1 ID tokens and v1-shaped answers."""

    def assertion_audiences(self) -> set[str]:
        """The ``aud`` values a client assertion may carry: this tenant's token endpoint, v2 or
        v1, by the segment used or by tenant id (RFC 7523 §3: the authorization server's token
        endpoint identifies it)."""
        segments = {self.path.segment, *([self.path.tenant_id] if self.path.tenant_id else [])}
        return {f"{self.origin}/{seg}/oauth2/{v}token" for seg in segments for v in ("v2.0/", "")}

    def param(self, name: str) -> str | None:
        value = self.form.get(name)
        return value if value else None

    def require(self, name: str) -> str:
        value = self.param(name)
        if value is None:
            raise errors.missing_parameter(name)
        return value


@dataclass
class GrantContext:
    unit: LazySession
    state: EmulatorState
    req: TokenRequest
    now: float
    on_failure: list[Callable[[Session], None]] = field(default_factory=list)
    """Changes that must persist although the request fails (the session's transaction is
    rolled back): revoking a refresh-token family on reuse."""

    @property
    def s(self) -> Session:
        """The unit of work's session, opened on first use."""
        return self.unit.session


@dataclass(frozen=True)
class Granted:
    """A resource and the delegated scope values a user's token for it carries."""

    resource: Resource
    audience: str
    values: list[str]
    response_scope: list[str]


def client_info(user: User) -> str:
    """``client_info``: base64url JSON ``{"uid": oid, "utid": tid}``; MSAL keys accounts by it."""
    raw = json.dumps({"uid": user.id, "utid": user.tenant_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def delegated_grant(
    s: Session, tenant: Tenant, client_app: Application, user: User, scope: ScopeRequest
) -> Granted:
    """The scopes the user's token gets, after the consent check (AADSTS65001)."""
    if scope.resource_ref is None:
        resource = find_resource(s, tenant, "https://graph.microsoft.com")
        values = list(DEFAULT_GRAPH_SCOPES)
        return Granted(resource, resource.app_id, values, [*values, *_oidc_for_response(scope)])
    resource = find_resource(s, tenant, scope.resource_ref)
    if resource.is_graph:
        # Graph's delegated permissions are user-consentable and the emulator treats them as
        # consented; .default means the default User.Read.
        values = list(DEFAULT_GRAPH_SCOPES) if scope.is_default else list(scope.values)
        audience = resource.app_id if scope.bare_graph else scope.resource_ref
        shown = values if scope.bare_graph else [f"{scope.resource_ref}/{v}" for v in values]
        return Granted(resource, audience, values, [*shown, *_oidc_for_response(scope)])
    client_sp = ensure_service_principal(s, client_app, tenant)
    consented = consented_scopes(s, client_sp, resource.sp, user.id)
    offered = resource.scope_values()
    if scope.is_default:
        values = [v for v in _ordered(resource) if v in consented]
        if not values:
            raise errors.consent_required(client_app.app_id, client_app.display_name)
    else:
        for value in scope.values:
            if value not in offered:
                raise errors.invalid_scope(f"{scope.resource_ref}/{value}")
        values = list(scope.values)
        if any(v not in consented for v in values):
            raise errors.consent_required(client_app.app_id, client_app.display_name)
    return Granted(resource, scope.resource_ref, values, [f"{scope.resource_ref}/{v}" for v in values])


def missing_consent(
    s: Session, tenant: Tenant, client_app: Application, user: User, scope: ScopeRequest
) -> list[dict[str, Any]]:
    """The resource scopes the user would be asked to consent to (empty if none)."""
    if scope.resource_ref is None:
        return []
    resource = find_resource(s, tenant, scope.resource_ref)
    if resource.is_graph:
        return []
    client_sp = ensure_service_principal(s, client_app, tenant)
    consented = consented_scopes(s, client_sp, resource.sp, user.id)
    wanted = list(resource.scope_values()) if scope.is_default else list(scope.values)
    for value in wanted:
        if value not in resource.scope_values():
            raise errors.invalid_scope(f"{scope.resource_ref}/{value}")
    return [sc for sc in resource.scopes if sc["value"] in wanted and sc["value"] not in consented]


def _ordered(resource: Resource) -> list[str]:
    return [sc["value"] for sc in resource.scopes if sc.get("isEnabled", True)]


def _oidc_for_response(scope: ScopeRequest) -> list[str]:
    # Entra lists the OpenID scopes it honoured, never offline_access.
    return [v for v in ("profile", "openid", "email") if v in scope.oidc]


def user_roles(
    s: Session, user: User, resource_sp: ServicePrincipal, app_roles: Sequence[dict[str, Any]]
) -> list[str]:
    """App roles assigned to the user, directly or through a group, minus default access."""
    principal_ids = [user.id, *groups_of(s, user)]
    ids = role_assignments(s, principal_ids, resource_sp)
    wanted = set(ids) - {DEFAULT_ACCESS_ROLE}
    return [r["value"] for r in app_roles if r["id"] in wanted and r.get("isEnabled", True)]


def optional_claims(app: Application, token: str) -> set[str]:
    return {c["name"] if isinstance(c, dict) else str(c) for c in app.optional_claims.get(token, [])}


def user_tokens(
    ctx: GrantContext,
    *,
    tenant: Tenant,
    client_app: Application,
    method: AuthMethod,
    user: User,
    scope: ScopeRequest,
    nonce: str | None,
    auth_time: float,
    sid: str | None,
) -> dict[str, Any]:
    """access_token (+ id_token with ``openid``, + ``client_info`` when asked) for a user."""
    settings = ctx.state.settings
    if ctx.req.v1 and scope.resource_ref is None:
        raise errors.resource_not_provided()
    granted = delegated_grant(ctx.s, tenant, client_app, user, scope)
    resource = granted.resource
    now = int(ctx.now)
    resource_app_roles = resource.app_roles
    at_claims = claims.user_access_token(
        origin=ctx.req.origin,
        tenant=tenant,
        resource=resource,
        audience=granted.audience,
        client_app_id=client_app.app_id,
        client_acr=ACR[method],
        user=user,
        scp=granted.values,
        roles=user_roles(ctx.s, user, resource.sp, resource_app_roles) if resource_app_roles else [],
        groups=groups_claim(
            ctx.s,
            user,
            setting=resource.group_membership_claims,
            optional=resource.optional_access_claims,
            app_sp=resource.sp,
            origin=ctx.req.origin,
        ),
        times=claims.Times(now, settings.lifetimes.access_token),
        auth_time=auth_time,
        sid=sid,
        ip=ctx.req.client_ip,
    )
    key = ctx.state.keys.active(ctx.unit)
    access_token = sign(at_claims, key, x5t_header=resource.token_version == 1, graph_nonce=resource.is_graph)
    body: dict[str, Any] = {
        "token_type": "Bearer",
        "scope": " ".join(granted.response_scope),
        "expires_in": settings.lifetimes.access_token,
        "ext_expires_in": settings.lifetimes.access_token,
        "access_token": access_token,
    }
    if "openid" in scope.oidc:
        optional = optional_claims(client_app, "idToken")
        client_sp = ensure_service_principal(ctx.s, client_app, tenant)
        id_roles = user_roles(ctx.s, user, client_sp, client_app.app_roles) if client_app.app_roles else []
        id_groups = groups_claim(
            ctx.s,
            user,
            setting=client_app.group_membership_claims,
            optional=optional,
            app_sp=client_sp,
            origin=ctx.req.origin,
        )
        id_times = claims.Times(now, settings.lifetimes.id_token)
        # v1 ID tokens from the token endpoint are signed like v2 ones. (Microsoft's v1 protocol
        # docs call them unsigned; a signature costs a client that ignores it nothing.)
        id_claims = (
            claims.id_token_v1(
                origin=ctx.req.origin,
                tenant=tenant,
                client_app_id=client_app.app_id,
                user=user,
                optional=optional,
                nonce=nonce,
                roles=id_roles,
                groups=id_groups,
                times=id_times,
                ip=ctx.req.client_ip,
            )
            if ctx.req.v1
            else claims.id_token(
                origin=ctx.req.origin,
                tenant=tenant,
                client_app_id=client_app.app_id,
                user=user,
                oidc_scopes=scope.oidc,
                optional=optional,
                nonce=nonce,
                auth_time=auth_time,
                sid=sid,
                roles=id_roles,
                groups=id_groups,
                times=id_times,
            )
        )
        # v1 ID tokens carry x5t in the header, as v1 access tokens do.
        body["id_token"] = sign(id_claims, key, x5t_header=ctx.req.v1)
    if ctx.req.param("client_info") == "1":
        body["client_info"] = client_info(user)
    if ctx.req.v1:
        return v1_answer(body, resource=granted.audience, scope=granted.values, now=now)
    return body


def v1_answer(body: dict[str, Any], *, resource: str, scope: list[str] | None, now: int) -> dict[str, Any]:
    """A token answer as the v1 endpoint gives it (``v1-protocols-oauth-code``,
    ``v1-oauth2-client-creds-grant-flow``): the lifetimes as strings, ``expires_on`` and
    ``not_before`` (epoch seconds, strings too), the ``resource`` the token is for, and for a
    user the granted ``scope`` values without the resource prefix."""
    lifetime = int(body["expires_in"])
    out: dict[str, Any] = {"token_type": "Bearer"}
    if scope is not None:
        out["scope"] = " ".join(scope)
    out.update(
        expires_in=str(lifetime),
        ext_expires_in=str(int(body["ext_expires_in"])),
        expires_on=str(now + lifetime),
        not_before=str(now - claims.BACKDATE),
        resource=resource,
        access_token=body["access_token"],
    )
    out.update({k: body[k] for k in ("refresh_token", "id_token", "client_info") if k in body})
    return out
