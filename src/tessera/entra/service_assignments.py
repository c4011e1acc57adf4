"""Assignments of app roles ("Enterprise applications → Users and groups", and app-to-app
``appRoleAssignment``), part of :class:`tessera.entra.service.DirectoryService`."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from tessera.entra import consent, groups, managed_identities
from tessera.entra import directory as d
from tessera.entra import registrations as reg
from tessera.entra.clock import Clock
from tessera.entra.models import Application, AppRoleAssignment, ServicePrincipal, Tenant
from tessera.entra.store import Store

DEFAULT_ACCESS = "00000000-0000-0000-0000-000000000000"


def _assignment_json(a: AppRoleAssignment) -> dict[str, Any]:
    return {
        "id": a.id,
        "principalId": a.principal_id,
        "principalType": a.principal_type,
        "resourceId": a.resource_id,
        "appRoleId": a.app_role_id,
    }


def _role_id(app: Application, role: str | None, member_type: str) -> str:
    """Without a role, the default access role (the all-zero GUID), as in Entra."""
    if not role:
        return DEFAULT_ACCESS
    found = reg.role_by_value(app, role)
    if member_type not in found["allowedMemberTypes"]:
        who = "applications" if member_type == "Application" else "users and groups"
        raise d.DirectoryError(
            f"app role '{role}' cannot be assigned to {who} "
            f"(allowedMemberTypes: {', '.join(found['allowedMemberTypes'])})."
        )
    return str(found["id"])


def _client_service_principal(s: Session, tenant: Tenant, ref: str) -> ServicePrincipal:
    """An app's service principal (by appId, object id or name), or a managed identity's (by
    client id, object id or name)."""
    for identity in managed_identities.list_all(s, tenant.id):
        if ref.lower() in (identity.app_id, identity.id) or ref == identity.display_name:
            return identity
    return reg.ensure_service_principal(s, reg.get_application(s, ref, tenant), tenant)


def managed_identity_json(sp: ServicePrincipal) -> dict[str, Any]:
    return {
        "id": sp.id,
        "appId": sp.app_id,
        "displayName": sp.display_name,
        "servicePrincipalType": "ManagedIdentity",
        "managedIdentityType": sp.managed_identity,
        "alternativeNames": [sp.resource_id],
    }


class AssignmentOps:
    store: Store
    clock: Clock

    def assign_user(self, tenant: str | None, ref: str, user: str, role: str | None = None) -> dict[str, Any]:
        """A user in an app role of ``ref`` (the API), or with default access."""
        with self.store.transaction() as s:
            t = d.get_tenant(s, tenant)
            app = reg.get_application(s, ref, t)
            target = d.get_user(s, t, user)
            a = consent.assign_user_role(s, t, app, target, role)
            return _assignment_json(a)

    def assign_group(
        self, tenant: str | None, ref: str, group: str, role: str | None = None
    ) -> dict[str, Any]:
        """A group in an app role of ``ref``: its members, transitively, get the role."""
        with self.store.transaction() as s:
            t = d.get_tenant(s, tenant)
            app = reg.get_application(s, ref, t)
            g = groups.get_group(s, t, group)
            sp = reg.ensure_service_principal(s, app, t)
            a = consent.assign_app_role(
                s,
                t,
                principal_id=g.id,
                principal_type="Group",
                resource_sp=sp,
                app_role_id=_role_id(app, role, "User"),
            )
            return _assignment_json(a)

    def assign_service_principal(
        self, tenant: str | None, ref: str, client: str, role: str
    ) -> dict[str, Any]:
        """Another app's service principal, or a managed identity, in an app role of ``ref`` (an
        application permission granted directly, what admin consent to a required ``Role``
        permission does)."""
        with self.store.transaction() as s:
            t = d.get_tenant(s, tenant)
            app = reg.get_application(s, ref, t)
            client_sp = _client_service_principal(s, t, client)
            sp = reg.ensure_service_principal(s, app, t)
            a = consent.assign_app_role(
                s,
                t,
                principal_id=client_sp.id,
                principal_type="ServicePrincipal",
                resource_sp=sp,
                app_role_id=_role_id(app, role, "Application"),
            )
            return _assignment_json(a)

    def create_managed_identity(
        self, tenant: str | None, name: str, *, user_assigned: bool = False, client_id: str | None = None
    ) -> dict[str, Any]:
        """A managed identity (or the existing one of that name in the tenant)."""
        with self.store.transaction() as s:
            t = d.get_tenant(s, tenant)
            for identity in managed_identities.list_all(s, t.id):
                if identity.display_name == name:
                    return managed_identity_json(identity)
            return managed_identity_json(
                managed_identities.create(s, t, name=name, user_assigned=user_assigned, client_id=client_id)
            )

    def managed_identities(self, tenant: str | None = None) -> list[dict[str, Any]]:
        with self.store.transaction() as s:
            tenant_id = d.get_tenant(s, tenant).id if tenant is not None else None
            return [managed_identity_json(i) for i in managed_identities.list_all(s, tenant_id)]
