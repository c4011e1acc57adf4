"""App registrations ("App registrations" in the portal, Graph's ``application``) and their
service principals ("Enterprise applications", ``servicePrincipal``): redirect URIs, the exposed
API (Application ID URI, delegated scopes), app roles and required permissions."""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tessera.entra.directory import (
    GRAPH_APP_ID,
    GRAPH_NAME,
    SIGN_IN_AUDIENCES,
    DirectoryError,
    is_guid,
    new_id,
    not_found,
)
from tessera.entra.models import Application, ServicePrincipal, Tenant

# Stable per-tenant object ids for the built-in Graph service principal.
_GRAPH_SP_NAMESPACE = uuid.UUID("6b3c6ad5-3f47-4c2a-9a4e-2c1b7a0e9d11")


def create_application(
    s: Session,
    tenant: Tenant,
    *,
    display_name: str,
    sign_in_audience: str = "AzureADMyOrg",
    spa_redirect_uris: list[str] | None = None,
    web_redirect_uris: list[str] | None = None,
    public_client_redirect_uris: list[str] | None = None,
    app_id: str | None = None,
    now: float,
) -> Application:
    """Register an application and, as the portal does, its service principal in the home
    tenant (the "enterprise application")."""
    if sign_in_audience not in SIGN_IN_AUDIENCES:
        raise DirectoryError(
            f"signInAudience '{sign_in_audience}' is not one of {', '.join(SIGN_IN_AUDIENCES)}."
        )
    if app_id is not None and not is_guid(app_id):
        raise DirectoryError(f"appId '{app_id}' is not a GUID.")
    if app_id is not None and s.scalars(select(Application).where(Application.app_id == app_id)).first():
        raise DirectoryError(f"an application with appId '{app_id}' already exists.", status=409)
    for uri in [*(spa_redirect_uris or []), *(web_redirect_uris or [])]:
        validate_redirect_uri(uri)
    app = Application(
        id=new_id(),
        app_id=(app_id or new_id()).lower(),
        tenant_id=tenant.id,
        display_name=display_name,
        sign_in_audience=sign_in_audience,
        spa_redirect_uris=list(spa_redirect_uris or []),
        web_redirect_uris=list(web_redirect_uris or []),
        public_client_redirect_uris=list(public_client_redirect_uris or []),
        identifier_uris=[],
        oauth2_permission_scopes=[],
        app_roles=[],
        required_resource_access=[],
        optional_claims={},
        created=now,
    )
    s.add(app)
    s.flush()
    ensure_service_principal(s, app, tenant)
    return app


def validate_redirect_uri(uri: str) -> None:
    """``reply-url``: https, or http only for localhost / 127.0.0.1; no fragment."""
    if "#" in uri:
        raise DirectoryError(f"redirect URI '{uri}' must not contain a fragment.")
    lowered = uri.lower()
    if lowered.startswith("https://"):
        return
    if re.match(r"^http://(localhost|127\.0\.0\.1|\[::1\])([:/?]|$)", lowered):
        return
    raise DirectoryError(
        f"redirect URI '{uri}' must use https, except for http://localhost and http://127.0.0.1."
    )


def find_application(s: Session, ref: str, tenant: Tenant | None = None) -> Application | None:
    """By appId (client id), object id, or display name within ``tenant``."""
    ref_l = ref.strip().lower()
    app = s.scalars(
        select(Application).where(or_(Application.app_id == ref_l, Application.id == ref_l))
    ).first()
    if app is not None or tenant is None:
        return app
    matches = s.scalars(
        select(Application).where(Application.tenant_id == tenant.id, Application.display_name == ref)
    ).all()
    if len(matches) > 1:
        raise DirectoryError(f"several applications are named '{ref}': use the appId.", status=409)
    return matches[0] if matches else None


def get_application(s: Session, ref: str, tenant: Tenant | None = None) -> Application:
    app = find_application(s, ref, tenant)
    if app is None:
        raise not_found("application", ref)
    return app


def list_applications(s: Session, tenant: Tenant) -> list[Application]:
    return list(
        s.scalars(
            select(Application).where(Application.tenant_id == tenant.id).order_by(Application.created)
        ).all()
    )


def ensure_service_principal(s: Session, app: Application, tenant: Tenant) -> ServicePrincipal:
    sp = find_service_principal(s, app.app_id, tenant.id)
    if sp is None:
        sp = ServicePrincipal(
            id=new_id(), app_id=app.app_id, tenant_id=tenant.id, display_name=app.display_name
        )
        s.add(sp)
        s.flush()
    return sp


def find_service_principal(s: Session, app_id: str, tenant_id: str) -> ServicePrincipal | None:
    return s.scalars(
        select(ServicePrincipal).where(
            ServicePrincipal.app_id == app_id, ServicePrincipal.tenant_id == tenant_id
        )
    ).first()


def graph_service_principal(s: Session, tenant_id: str) -> ServicePrincipal:
    """Microsoft Graph's service principal, present in every tenant as in Entra."""
    sp = find_service_principal(s, GRAPH_APP_ID, tenant_id)
    if sp is None:
        sp = ServicePrincipal(
            id=str(uuid.uuid5(_GRAPH_SP_NAMESPACE, tenant_id)),
            app_id=GRAPH_APP_ID,
            tenant_id=tenant_id,
            display_name=GRAPH_NAME,
        )
        s.add(sp)
        s.flush()
    return sp


def expose_api(app: Application, app_id_uri: str | None = None) -> str:
    """ "Expose an API": set the Application ID URI, by default ``api://{appId}``."""
    uri = app_id_uri or f"api://{app.app_id}"
    if not re.match(r"^(api|https?)://", uri):
        raise DirectoryError(f"Application ID URI '{uri}' must start with api://, https:// or http://.")
    if uri not in app.identifier_uris:
        app.identifier_uris = [uri, *[u for u in app.identifier_uris if u != uri]]
    return uri


def add_scope(
    app: Application,
    *,
    value: str,
    consent_type: str = "User",
    admin_display_name: str | None = None,
    admin_description: str | None = None,
    user_display_name: str | None = None,
    user_description: str | None = None,
) -> dict[str, Any]:
    if consent_type not in ("User", "Admin"):
        raise DirectoryError("a scope's type is 'User' (users can consent) or 'Admin'.")
    if not re.fullmatch(r"[A-Za-z0-9_.:\-]+", value) or value == ".default":
        raise DirectoryError(f"scope value '{value}' may hold letters, digits and _ . : - only.")
    if not app.identifier_uris:
        expose_api(app)
    for existing in app.oauth2_permission_scopes:
        if existing["value"] == value:
            return dict(existing)
    scope = {
        "id": new_id(),
        "value": value,
        "type": consent_type,
        "adminConsentDisplayName": admin_display_name or value,
        "adminConsentDescription": admin_description or f"Allows the app to {value} on your behalf.",
        "userConsentDisplayName": user_display_name or admin_display_name or value,
        "userConsentDescription": user_description or admin_description or f"Allows the app to {value}.",
        "isEnabled": True,
    }
    app.oauth2_permission_scopes = [*app.oauth2_permission_scopes, scope]
    return scope


def add_app_role(
    app: Application,
    *,
    value: str,
    display_name: str | None = None,
    description: str | None = None,
    allowed_member_types: list[str] | None = None,
) -> dict[str, Any]:
    members = allowed_member_types or ["Application"]
    if not set(members) <= {"User", "Application"}:
        raise DirectoryError("allowedMemberTypes holds 'User' and/or 'Application'.")
    for existing in app.app_roles:
        if existing["value"] == value:
            return dict(existing)
    role = {
        "id": new_id(),
        "value": value,
        "displayName": display_name or value,
        "description": description or value,
        "allowedMemberTypes": members,
        "isEnabled": True,
    }
    app.app_roles = [*app.app_roles, role]
    return role


def scope_by_value(resource: Application, value: str) -> dict[str, Any]:
    for scope in resource.oauth2_permission_scopes:
        if scope["value"] == value:
            return dict(scope)
    raise DirectoryError(
        f"'{resource.display_name}' exposes no scope '{value}' (it has: "
        f"{', '.join(sc['value'] for sc in resource.oauth2_permission_scopes) or 'none'})."
    )


def role_by_value(resource: Application, value: str) -> dict[str, Any]:
    for role in resource.app_roles:
        if role["value"] == value:
            return dict(role)
    raise DirectoryError(
        f"'{resource.display_name}' defines no app role '{value}' (it has: "
        f"{', '.join(r['value'] for r in resource.app_roles) or 'none'})."
    )


def add_permission(
    app: Application,
    resource: Application,
    *,
    scopes: list[str] = (),  # type: ignore[assignment]
    roles: list[str] = (),  # type: ignore[assignment]
) -> list[dict[str, Any]]:
    """ "API permissions → Add a permission": ``requiredResourceAccess``. Consent is separate."""
    wanted = [{"id": scope_by_value(resource, v)["id"], "type": "Scope"} for v in scopes]
    wanted += [{"id": role_by_value(resource, v)["id"], "type": "Role"} for v in roles]
    entries = [dict(e) for e in app.required_resource_access]
    entry = next((e for e in entries if e["resourceAppId"] == resource.app_id), None)
    if entry is None:
        entry = {"resourceAppId": resource.app_id, "resourceAccess": []}
        entries.append(entry)
    have = {(a["id"], a["type"]) for a in entry["resourceAccess"]}
    entry["resourceAccess"] = [
        *entry["resourceAccess"],
        *[w for w in wanted if (w["id"], w["type"]) not in have],
    ]
    app.required_resource_access = entries
    return entries
