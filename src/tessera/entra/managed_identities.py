"""Managed identities (``managed-identities-azure-resources``): service principals of type
``ManagedIdentity`` with no app registration, system-assigned (the machine's own) or
user-assigned (named, chosen by ``client_id``, ``object_id`` or resource id). Their tokens are
app-only tokens (``appidacr`` 2) with the identity's Azure resource id in ``xms_mirid``; Entra
gives them 24 hours."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import literal_column, select
from sqlalchemy.orm import Session

from tessera.entra import claims as token_claims
from tessera.entra.consent import role_assignments
from tessera.entra.directory import DirectoryError, is_guid, new_id
from tessera.entra.models import ServicePrincipal, Tenant
from tessera.entra.scopes import find_resource

LIFETIME = 86399
_SUBSCRIPTIONS = uuid.UUID("0b7e5c1e-4d4f-4f8e-9a55-3b8b2b1c7d21")


def create(
    s: Session, tenant: Tenant, *, name: str, user_assigned: bool, client_id: str | None = None
) -> ServicePrincipal:
    if client_id is not None and not is_guid(client_id):
        raise DirectoryError(f"client id '{client_id}' is not a GUID.")
    subscription = uuid.uuid5(_SUBSCRIPTIONS, tenant.id)
    provider = (
        f"Microsoft.ManagedIdentity/userAssignedIdentities/{name}"
        if user_assigned
        else f"Microsoft.Compute/virtualMachines/{name}"
    )
    sp = ServicePrincipal(
        id=new_id(),
        app_id=(client_id or new_id()).lower(),
        tenant_id=tenant.id,
        display_name=name,
        service_principal_type="ManagedIdentity",
        managed_identity="UserAssigned" if user_assigned else "SystemAssigned",
        resource_id=f"/subscriptions/{subscription}/resourcegroups/tessera-entra/providers/{provider}",
    )
    s.add(sp)
    s.flush()
    return sp


def list_all(s: Session, tenant_id: str | None = None) -> list[ServicePrincipal]:
    query = select(ServicePrincipal).where(ServicePrincipal.service_principal_type == "ManagedIdentity")
    if tenant_id is not None:
        query = query.where(ServicePrincipal.tenant_id == tenant_id)
    # In the order they were made: the first system-assigned one is the machine's.
    return list(s.scalars(query.order_by(literal_column("service_principals.rowid"))).all())


def choose(
    s: Session, *, client_id: str | None, object_id: str | None, resource_id: str | None
) -> ServicePrincipal:
    """The identity a token request names, or the system-assigned one (the first made)."""
    identities = list_all(s)
    if client_id:
        found = [i for i in identities if i.app_id == client_id.lower()]
    elif object_id:
        found = [i for i in identities if i.id == object_id.lower()]
    elif resource_id:
        found = [i for i in identities if (i.resource_id or "").lower() == resource_id.lower()]
    else:
        found = [i for i in identities if i.managed_identity == "SystemAssigned"]
    if not found:
        wanted = client_id or object_id or resource_id
        raise DirectoryError(
            f"no managed identity {wanted!r} here" if wanted else "no system-assigned managed identity here",
            code="invalid_request",
        )
    return found[0]


def issue(
    s: Session, identity: ServicePrincipal, resource_ref: str, *, origin: str, now: int
) -> dict[str, Any]:
    """An access token for ``resource_ref`` (an App ID URI, an appId, or Graph)."""
    tenant = s.get(Tenant, identity.tenant_id)
    assert tenant is not None
    ref = resource_ref.removesuffix("/.default")
    resource = find_resource(s, tenant, ref)
    role_ids = set(role_assignments(s, [identity.id], resource.sp))
    roles = [r["value"] for r in resource.app_roles if r["id"] in role_ids and r.get("isEnabled", True)]
    out = token_claims.app_access_token(
        origin=origin,
        tenant=tenant,
        resource=resource,
        audience=ref,
        client_app_id=identity.app_id,
        client_acr="2",
        client_sp_id=identity.id,
        roles=roles,
        times=token_claims.Times(now, LIFETIME),
    )
    out["xms_mirid"] = identity.resource_id
    return {"claims": out, "resource": resource, "audience": ref}
