"""Microsoft Graph v1.0 JSON shapes of the directory objects (``application``,
``servicePrincipal``, ``user``, ``group``, ``organization``), used by the admin API, ``app show``
and the Graph subset."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tessera.entra.clock import iso
from tessera.entra.credentials import key_credentials, password_credentials
from tessera.entra.models import (
    Application,
    AppRoleAssignment,
    Group,
    OAuth2PermissionGrant,
    ServicePrincipal,
    Tenant,
    User,
)
from tessera.entra.registrations import find_service_principal
from tessera.entra.tenants import TenantSettings


def tenant_json(t: Tenant) -> dict[str, Any]:
    return {
        "id": t.id,
        "displayName": t.display_name,
        "verifiedDomains": [{"name": t.domain, "isDefault": True, "isInitial": True}],
        "createdDateTime": iso(t.created),
        "settings": TenantSettings.of(t).json(),
    }


def user_json(u: User) -> dict[str, Any]:
    return {
        "id": u.id,
        "userPrincipalName": u.user_principal_name,
        "mail": u.mail,
        "displayName": u.display_name,
        "givenName": u.given_name,
        "surname": u.surname,
        "accountEnabled": u.account_enabled,
        "passwordPolicies": u.password_policies,
        "identities": [
            {
                "signInType": "federated",
                "issuer": u.federated_issuer,
                "issuerAssignedId": u.user_principal_name,
            }
        ]
        if u.federated_issuer
        else [],
        # Not Graph properties: the emulator's stand-ins for a per-user MFA requirement and for
        # membership of an administrator role (who may grant admin consent).
        "mfaRequired": bool(u.mfa_required),
        "administrator": bool(u.administrator),
    }


def group_json(g: Group) -> dict[str, Any]:
    return {
        "id": g.id,
        "displayName": g.display_name,
        "description": g.description,
        "securityEnabled": True,
        "mailEnabled": False,
        "groupTypes": [],
    }


def application_json(s: Session, app: Application) -> dict[str, Any]:
    return {
        "id": app.id,
        "appId": app.app_id,
        "displayName": app.display_name,
        "signInAudience": app.sign_in_audience,
        "identifierUris": list(app.identifier_uris),
        "isFallbackPublicClient": app.is_fallback_public_client,
        "api": {
            "requestedAccessTokenVersion": app.requested_access_token_version,
            "oauth2PermissionScopes": list(app.oauth2_permission_scopes),
            "preAuthorizedApplications": [],
        },
        "appRoles": list(app.app_roles),
        "spa": {"redirectUris": list(app.spa_redirect_uris)},
        "web": {
            "redirectUris": list(app.web_redirect_uris),
            "logoutUrl": app.logout_url,
            "implicitGrantSettings": {
                "enableIdTokenIssuance": app.enable_id_token_issuance,
                "enableAccessTokenIssuance": app.enable_access_token_issuance,
            },
        },
        "publicClient": {"redirectUris": list(app.public_client_redirect_uris)},
        "requiredResourceAccess": list(app.required_resource_access),
        "optionalClaims": {
            k: [{"name": c, "essential": False} if isinstance(c, str) else c for c in v]
            for k, v in app.optional_claims.items()
        },
        "groupMembershipClaims": app.group_membership_claims,
        "passwordCredentials": [
            {
                "keyId": c.key_id,
                "displayName": c.display_name,
                "hint": c.hint,
                "startDateTime": iso(c.start),
                "endDateTime": iso(c.end),
                "secretText": None,
            }
            for c in password_credentials(s, app)
        ],
        "keyCredentials": [
            {
                "keyId": c.key_id,
                "displayName": c.display_name,
                "type": "AsymmetricX509Cert",
                "usage": "Verify",
                "customKeyIdentifier": c.thumbprint_sha1,
                "startDateTime": iso(c.start),
                "endDateTime": iso(c.end),
            }
            for c in key_credentials(s, app)
        ],
        "createdDateTime": iso(app.created),
    }


def service_principal_json(s: Session, sp: ServicePrincipal, app: Application | None) -> dict[str, Any]:
    grants = s.scalars(select(OAuth2PermissionGrant).where(OAuth2PermissionGrant.client_id == sp.id)).all()
    assignments = s.scalars(select(AppRoleAssignment).where(AppRoleAssignment.principal_id == sp.id)).all()
    return {
        "id": sp.id,
        "appId": sp.app_id,
        "appOwnerOrganizationId": app.tenant_id if app else None,
        "displayName": sp.display_name,
        "servicePrincipalType": "Application",
        "servicePrincipalNames": [sp.app_id, *(app.identifier_uris if app else [])],
        "appRoleAssignmentRequired": sp.app_role_assignment_required,
        "accountEnabled": sp.account_enabled,
        "oauth2PermissionGrants": [
            {
                "id": g.id,
                "clientId": g.client_id,
                "consentType": g.consent_type,
                "principalId": g.principal_id,
                "resourceId": g.resource_id,
                "scope": g.scope,
            }
            for g in grants
        ],
        "appRoleAssignments": [
            {
                "id": a.id,
                "principalId": a.principal_id,
                "principalType": a.principal_type,
                "resourceId": a.resource_id,
                "appRoleId": a.app_role_id,
            }
            for a in assignments
        ],
    }


def enterprise_app(s: Session, app: Application, tenant_id: str) -> ServicePrincipal | None:
    return find_service_principal(s, app.app_id, tenant_id)
