"""The ``{tenant}`` path segment (``v2-protocols``): a GUID, a verified domain, or one of the
multi-tenant aliases ``common`` (work and personal accounts), ``organizations`` (work accounts)
and ``consumers`` (personal accounts, which the emulator has none of).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from tessera.entra import errors
from tessera.entra.directory import find_tenant
from tessera.entra.models import Tenant

MULTI_TENANT_ALIASES = ("common", "organizations", "consumers")
# The tenant of personal Microsoft accounts; Entra's `consumers` issuer uses it.
CONSUMERS_TENANT_ID = "9188040d-6c67-4c5b-b112-36a304b66dad"


@dataclass(frozen=True)
class TenantPath:
    segment: str
    """As the client wrote it: endpoints in discovery keep it."""
    tenant_id: str | None
    """The tenant GUID; None for the multi-tenant aliases."""
    display_name: str

    @property
    def is_alias(self) -> bool:
        return self.tenant_id is None


REFRESH_TOKEN_REUSE = ("allow", "revokeFamily")


@dataclass(frozen=True)
class TenantSettings:
    """How the emulator behaves in one tenant, where a test may want other than Entra's way."""

    refresh_token_reuse: str = "allow"
    """``allow``: a redeemed refresh token stays valid until it expires or is revoked, as Entra
    documents ("refresh-tokens": rotation does not invalidate earlier tokens).
    ``revokeFamily``: presenting one again revokes every token of its sign-in (AADSTS50173), the
    OAuth 2.0 Security BCP's reuse detection, for tests of a client's handling of it."""

    @classmethod
    def of(cls, tenant: Tenant) -> TenantSettings:
        raw: dict[str, Any] = tenant.settings or {}
        return cls(refresh_token_reuse=str(raw.get("refreshTokenReuse", "allow")))

    def json(self) -> dict[str, Any]:
        return {"refreshTokenReuse": self.refresh_token_reuse}


def resolve(s: Session, segment: str) -> TenantPath:
    lowered = segment.lower()
    if lowered in MULTI_TENANT_ALIASES:
        return TenantPath(segment=lowered, tenant_id=None, display_name=lowered)
    tenant = find_tenant(s, lowered)
    if tenant is None:
        raise errors.tenant_not_found(segment)
    return TenantPath(segment=segment, tenant_id=tenant.id, display_name=tenant.display_name)


def require_tenant(s: Session, path: TenantPath) -> Tenant:
    if path.tenant_id is None:
        raise errors.no_tenant_information()
    tenant = s.get(Tenant, path.tenant_id)
    if tenant is None:  # deleted between two statements of the same request
        raise errors.tenant_not_found(path.segment)
    return tenant


def v2_issuer(origin: str, tenant_id: str) -> str:
    """``https://login.microsoftonline.com/{tid}/v2.0`` with the emulator's own origin."""
    return f"{origin}/{tenant_id}/v2.0"


def v1_issuer(origin: str, tenant_id: str) -> str:
    """Entra's v1 issuer is ``https://sts.windows.net/{tid}/``. A relying party of the emulator
    cannot check a host it never talks to, so the emulator's origin stands in for
    ``sts.windows.net``: ``{origin}/{tid}/`` (published by the v1 discovery document)."""
    return f"{origin}/{tenant_id}/"
