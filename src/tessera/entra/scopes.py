"""The ``scope`` parameter (RFC 6749 §3.3) as Entra reads it (``scopes-oidc``,
``permissions-consent-overview``).

A v2 request names one *resource* through its scopes: ``{resource}/{value}`` where the resource
is an Application ID URI (``api://…``) or an appId, ``{resource}/.default`` for "everything
consented", or a bare value (``User.Read``) that means Microsoft Graph. The OpenID Connect
scopes ``openid``, ``profile``, ``email`` and ``offline_access`` belong to no resource.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from tessera.entra import errors
from tessera.entra.directory import GRAPH_APP_ID, GRAPH_NAME, GRAPH_RESOURCE
from tessera.entra.models import Application, ServicePrincipal, Tenant
from tessera.entra.registrations import find_application, find_service_principal, graph_service_principal

OIDC_SCOPES = ("openid", "profile", "email", "offline_access")
DEFAULT = ".default"


@dataclass(frozen=True)
class Resource:
    """The API a token is for: a registered application or Microsoft Graph."""

    app_id: str
    display_name: str
    identifier_uris: tuple[str, ...]
    scopes: tuple[dict[str, Any], ...]
    app_roles: tuple[dict[str, Any], ...]
    token_version: int
    optional_access_claims: frozenset[str]
    sp: ServicePrincipal
    is_graph: bool = False
    group_membership_claims: str | None = None

    def scope_values(self) -> set[str]:
        return {sc["value"] for sc in self.scopes if sc.get("isEnabled", True)}

    def role_values(self, role_ids: list[str]) -> list[str]:
        wanted = set(role_ids)
        return [r["value"] for r in self.app_roles if r["id"] in wanted and r.get("isEnabled", True)]


@dataclass(frozen=True)
class ScopeRequest:
    raw: str
    oidc: tuple[str, ...]
    resource_ref: str | None
    """The resource as written in the scope (App ID URI, appId, Graph URL); None if only OIDC."""
    values: tuple[str, ...] = field(default=())
    """Scope values without the resource prefix; ``(".default",)`` for the default scope."""
    bare_graph: bool = False
    """Values were written without a resource (``User.Read``): Entra answers without a prefix."""

    @property
    def is_default(self) -> bool:
        return self.values == (DEFAULT,)


def parse(raw: str) -> ScopeRequest:
    oidc: list[str] = []
    resources: dict[str, list[str]] = {}
    bare = False
    for item in raw.split():
        if item in OIDC_SCOPES:
            if item not in oidc:
                oidc.append(item)
            continue
        if "/" in item:
            resource, _, value = item.rpartition("/")
            if not value:
                raise errors.invalid_scope(item)
        else:
            resource, value = GRAPH_RESOURCE, item
            bare = True
        resources.setdefault(_normalize(resource), []).append(value)
    if len(resources) > 1:
        raise errors.several_resources(raw)
    if not resources:
        return ScopeRequest(raw=raw, oidc=tuple(oidc), resource_ref=None)
    ref, values = next(iter(resources.items()))
    if DEFAULT in values and len(values) > 1:
        raise errors.invalid_scope(raw)
    return ScopeRequest(raw=raw, oidc=tuple(oidc), resource_ref=ref, values=tuple(values), bare_graph=bare)


def _normalize(resource: str) -> str:
    return resource.rstrip("/")


def find_resource(s: Session, tenant: Tenant, ref: str) -> Resource:
    """The resource named by an App ID URI or appId, with its service principal in ``tenant``
    (AADSTS500011 when either is missing)."""
    lowered = ref.lower().rstrip("/")
    if lowered in (GRAPH_RESOURCE, GRAPH_APP_ID, "https://graph.microsoft.com/v1.0"):
        return graph_resource(s, tenant)
    # By appId (never by object id, which Entra does not accept as a resource name) ...
    app = find_application(s, lowered) if _looks_like_guid(lowered) else None
    if app is not None and app.app_id != lowered:
        app = None
    if app is None:  # ... or by Application ID URI.
        app = _by_identifier_uri(s, ref.rstrip("/"))
    if app is None:
        raise errors.resource_not_found(ref, tenant.display_name)
    sp = find_service_principal(s, app.app_id, tenant.id)
    if sp is None:
        raise errors.resource_not_found(ref, tenant.display_name)
    return resource_of(app, sp)


def resource_of(app: Application, sp: ServicePrincipal) -> Resource:
    optional = {c["name"] if isinstance(c, dict) else c for c in app.optional_claims.get("accessToken", [])}
    return Resource(
        app_id=app.app_id,
        display_name=app.display_name,
        identifier_uris=tuple(app.identifier_uris),
        scopes=tuple(app.oauth2_permission_scopes),
        app_roles=tuple(app.app_roles),
        # `api.requestedAccessTokenVersion`: null or 1 means v1 tokens (reference-app-manifest).
        token_version=2 if app.requested_access_token_version == 2 else 1,
        optional_access_claims=frozenset(optional),
        sp=sp,
        group_membership_claims=app.group_membership_claims,
    )


def graph_resource(s: Session, tenant: Tenant) -> Resource:
    return Resource(
        app_id=GRAPH_APP_ID,
        display_name=GRAPH_NAME,
        identifier_uris=(GRAPH_RESOURCE,),
        scopes=(),
        app_roles=(),
        token_version=1,
        # Graph's own tokens carry idtyp (access-token-claims-reference).
        optional_access_claims=frozenset({"idtyp"}),
        sp=graph_service_principal(s, tenant.id),
        is_graph=True,
    )


def _looks_like_guid(value: str) -> bool:
    return len(value) == 36 and value.count("-") == 4


def _by_identifier_uri(s: Session, uri: str) -> Application | None:
    from sqlalchemy import select

    # identifierUris is a JSON list; the directory is small, so a scan is fine.
    for app in s.scalars(select(Application)).all():
        if any(u.rstrip("/") == uri for u in app.identifier_uris):
            return app
    return None
