"""Consent and assignments: admin consent for an app's required permissions, delegated grants
(Graph's ``oauth2PermissionGrant``) and app role assignments (``appRoleAssignment``) to users,
groups and service principals."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tessera.entra.directory import GRAPH_APP_ID, GRAPH_NAME, DirectoryError, not_found
from tessera.entra.models import (
    Application,
    AppRoleAssignment,
    OAuth2PermissionGrant,
    ServicePrincipal,
    Tenant,
    User,
)
from tessera.entra.registrations import (
    ensure_service_principal,
    find_application,
    graph_service_principal,
    role_by_value,
)


def grant_admin_consent(s: Session, app: Application, tenant: Tenant) -> dict[str, Any]:
    """ "Grant admin consent for {tenant}": for every required permission, an
    ``oauth2PermissionGrant`` (AllPrincipals) for delegated scopes and an ``appRoleAssignment``
    for application roles. Creates the client's service principal in ``tenant`` if needed."""
    client_sp = ensure_service_principal(s, app, tenant)
    granted: dict[str, Any] = {"delegated": {}, "application": {}}
    for entry in app.required_resource_access:
        resource_app_id = entry["resourceAppId"]
        if resource_app_id == GRAPH_APP_ID:
            resource_sp = graph_service_principal(s, tenant.id)
            values = [a["id"] for a in entry["resourceAccess"] if a["type"] == "Scope"]
            if values:
                grant_delegated(s, tenant, client_sp, resource_sp, values)
                granted["delegated"][GRAPH_NAME] = values
            continue
        resource = find_application(s, resource_app_id)
        if resource is None:
            raise not_found("application", resource_app_id)
        resource_sp = ensure_service_principal(s, resource, tenant)
        scope_ids = {a["id"] for a in entry["resourceAccess"] if a["type"] == "Scope"}
        role_ids = {a["id"] for a in entry["resourceAccess"] if a["type"] == "Role"}
        scope_values = [sc["value"] for sc in resource.oauth2_permission_scopes if sc["id"] in scope_ids]
        if scope_values:
            grant_delegated(s, tenant, client_sp, resource_sp, scope_values)
            granted["delegated"][resource.display_name] = scope_values
        roles = [r for r in resource.app_roles if r["id"] in role_ids]
        for role in roles:
            assign_app_role(
                s,
                tenant,
                principal_id=client_sp.id,
                principal_type="ServicePrincipal",
                resource_sp=resource_sp,
                app_role_id=role["id"],
            )
        if roles:
            granted["application"][resource.display_name] = [r["value"] for r in roles]
    return granted


def grant_delegated(
    s: Session,
    tenant: Tenant,
    client_sp: ServicePrincipal,
    resource_sp: ServicePrincipal,
    scopes: list[str],
    *,
    principal_id: str | None = None,
) -> OAuth2PermissionGrant:
    consent_type = "Principal" if principal_id else "AllPrincipals"
    grant = s.scalars(
        select(OAuth2PermissionGrant).where(
            OAuth2PermissionGrant.client_id == client_sp.id,
            OAuth2PermissionGrant.resource_id == resource_sp.id,
            OAuth2PermissionGrant.consent_type == consent_type,
            OAuth2PermissionGrant.principal_id == principal_id
            if principal_id
            else OAuth2PermissionGrant.principal_id.is_(None),
        )
    ).first()
    if grant is None:
        grant = OAuth2PermissionGrant(
            id=secrets.token_urlsafe(32),
            tenant_id=tenant.id,
            client_id=client_sp.id,
            consent_type=consent_type,
            principal_id=principal_id,
            resource_id=resource_sp.id,
            scope="",
        )
        s.add(grant)
    have = grant.scope.split()
    grant.scope = " ".join([*have, *[v for v in scopes if v not in have]])
    s.flush()
    return grant


def consented_scopes(
    s: Session, client_sp: ServicePrincipal, resource_sp: ServicePrincipal, user_id: str
) -> set[str]:
    grants = s.scalars(
        select(OAuth2PermissionGrant).where(
            OAuth2PermissionGrant.client_id == client_sp.id,
            OAuth2PermissionGrant.resource_id == resource_sp.id,
            or_(
                OAuth2PermissionGrant.consent_type == "AllPrincipals",
                OAuth2PermissionGrant.principal_id == user_id,
            ),
        )
    ).all()
    return {v for g in grants for v in g.scope.split()}


def assign_app_role(
    s: Session,
    tenant: Tenant,
    *,
    principal_id: str,
    principal_type: str,
    resource_sp: ServicePrincipal,
    app_role_id: str,
) -> AppRoleAssignment:
    existing = s.scalars(
        select(AppRoleAssignment).where(
            AppRoleAssignment.principal_id == principal_id,
            AppRoleAssignment.resource_id == resource_sp.id,
            AppRoleAssignment.app_role_id == app_role_id,
        )
    ).first()
    if existing is not None:
        return existing
    assignment = AppRoleAssignment(
        id=secrets.token_urlsafe(32),
        tenant_id=tenant.id,
        principal_id=principal_id,
        principal_type=principal_type,
        resource_id=resource_sp.id,
        app_role_id=app_role_id,
    )
    s.add(assignment)
    s.flush()
    return assignment


def assign_user_role(
    s: Session, tenant: Tenant, resource: Application, user: User, role_value: str | None
) -> AppRoleAssignment:
    """Enterprise app → Users and groups → Add assignment. Without a role, the default access
    role (the all-zero GUID), as in Entra."""
    resource_sp = ensure_service_principal(s, resource, tenant)
    role_id = "00000000-0000-0000-0000-000000000000"
    if role_value:
        role = role_by_value(resource, role_value)
        if "User" not in role["allowedMemberTypes"]:
            raise DirectoryError(f"app role '{role_value}' cannot be assigned to users.")
        role_id = role["id"]
    return assign_app_role(
        s, tenant, principal_id=user.id, principal_type="User", resource_sp=resource_sp, app_role_id=role_id
    )


def role_assignments(s: Session, principal_ids: list[str], resource_sp: ServicePrincipal) -> list[str]:
    return list(
        s.scalars(
            select(AppRoleAssignment.app_role_id).where(
                AppRoleAssignment.principal_id.in_(principal_ids),
                AppRoleAssignment.resource_id == resource_sp.id,
            )
        ).all()
    )
