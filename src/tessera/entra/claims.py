"""The claims of Entra's tokens (``id-token-claims-reference``, ``access-token-claims-reference``).

Access tokens come in two versions chosen by the *resource* app's
``api.requestedAccessTokenVersion`` (null or 1 → v1, 2 → v2), whatever endpoint issued them:

======== =================================== ==========================================
claim    v1                                  v2
======== =================================== ==========================================
iss      ``{origin}/{tid}/`` (sts.windows.net) ``{origin}/{tid}/v2.0``
aud      the resource as requested            the resource's appId
client   ``appid``, ``appidacr``              ``azp``, ``azpacr``
user     ``upn``, ``unique_name``, ``amr``…   ``preferred_username``
======== =================================== ==========================================

User ``sub`` is pairwise (OIDC Core §8.1): a different value for each app the user signs in to,
derived from a per-tenant salt. App-only tokens have ``sub`` = ``oid`` = the client's service
principal object id and no ``scp``.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from tessera.entra.models import Tenant, User
from tessera.entra.pki import b64url
from tessera.entra.scopes import Resource
from tessera.entra.tenants import v1_issuer, v2_issuer


def pairwise_sub(tenant: Tenant, user_id: str, app_id: str) -> str:
    digest = hashlib.sha256(f"{tenant.pairwise_salt}:{user_id}:{app_id}".encode()).digest()
    return b64url(digest)


def _opaque(nbytes: int) -> str:
    # Entra's aio/rh/uti are opaque internal values: random is as good as any.
    return b64url(secrets.token_bytes(nbytes))


def _rh() -> str:
    return f"0.A{_opaque(48)}."


# Entra back-dates iat and nbf by five minutes, which is what keeps a client whose clock runs a
# little ahead from rejecting a token it has just received.
BACKDATE = 300


@dataclass(frozen=True)
class Times:
    now: int
    lifetime: int

    @property
    def not_before(self) -> int:
        return self.now - BACKDATE

    def claims(self) -> dict[str, int]:
        # nbf = iat, back-dated as Entra does; exp after the lifetime, counted from now.
        return {"iat": self.not_before, "nbf": self.not_before, "exp": self.now + self.lifetime}


def user_access_token(
    *,
    origin: str,
    tenant: Tenant,
    resource: Resource,
    audience: str,
    client_app_id: str,
    client_acr: str,
    user: User,
    scp: list[str],
    roles: list[str],
    groups: dict[str, Any],
    times: Times,
    auth_time: float,
    sid: str | None,
    ip: str | None,
) -> dict[str, Any]:
    claims: dict[str, Any]
    if resource.token_version == 2:
        claims = {
            "aud": resource.app_id,
            "iss": v2_issuer(origin, tenant.id),
            **times.claims(),
            "aio": _opaque(48),
            "azp": client_app_id,
            "azpacr": client_acr,
            "name": user.display_name,
            "oid": user.id,
            "preferred_username": user.user_principal_name,
            "rh": _rh(),
            "scp": " ".join(scp),
            "sid": sid,
            "sub": pairwise_sub(tenant, user.id, resource.app_id),
            "tid": tenant.id,
            "uti": _opaque(16),
            "ver": "2.0",
        }
        if sid is None:
            del claims["sid"]
    else:
        claims = {
            "aud": audience,
            "iss": v1_issuer(origin, tenant.id),
            **times.claims(),
            "acr": "1",
            "aio": _opaque(48),
            "amr": ["pwd"],
            "appid": client_app_id,
            "appidacr": client_acr,
            "family_name": user.surname,
            "given_name": user.given_name,
            "ipaddr": ip or "127.0.0.1",
            "name": user.display_name,
            "oid": user.id,
            "rh": _rh(),
            "scp": " ".join(scp),
            "sub": pairwise_sub(tenant, user.id, resource.app_id),
            "tid": tenant.id,
            "unique_name": user.user_principal_name,
            "upn": user.user_principal_name,
            "uti": _opaque(16),
            "ver": "1.0",
        }
        for key in ("family_name", "given_name"):
            if claims[key] is None:
                del claims[key]
    if roles:
        claims["roles"] = roles
    claims.update(groups)
    optional = resource.optional_access_claims
    if "email" in optional and user.mail:
        claims["email"] = user.mail
    if "upn" in optional and resource.token_version == 2:
        claims["upn"] = user.user_principal_name
    if "idtyp" in optional:
        claims["idtyp"] = "user"
    if "auth_time" in optional:
        claims["auth_time"] = int(auth_time)
    return claims


def app_access_token(
    *,
    origin: str,
    tenant: Tenant,
    resource: Resource,
    audience: str,
    client_app_id: str,
    client_acr: str,
    client_sp_id: str,
    roles: list[str],
    times: Times,
) -> dict[str, Any]:
    if resource.token_version == 2:
        claims: dict[str, Any] = {
            "aud": resource.app_id,
            "iss": v2_issuer(origin, tenant.id),
            **times.claims(),
            "aio": _opaque(48),
            "azp": client_app_id,
            "azpacr": client_acr,
            "oid": client_sp_id,
            "rh": _rh(),
            "sub": client_sp_id,
            "tid": tenant.id,
            "uti": _opaque(16),
            "ver": "2.0",
        }
    else:
        issuer = v1_issuer(origin, tenant.id)
        claims = {
            "aud": audience,
            "iss": issuer,
            **times.claims(),
            "aio": _opaque(48),
            "appid": client_app_id,
            "appidacr": client_acr,
            "idp": issuer,
            "oid": client_sp_id,
            "rh": _rh(),
            "sub": client_sp_id,
            "tid": tenant.id,
            "uti": _opaque(16),
            "ver": "1.0",
        }
    if roles:
        # "roles" is absent, not empty, when nothing was granted (MicrosoftDocs/azure-docs#81503).
        claims["roles"] = roles
    if "idtyp" in resource.optional_access_claims:
        claims["idtyp"] = "app"
    return claims


def id_token(
    *,
    origin: str,
    tenant: Tenant,
    client_app_id: str,
    user: User,
    oidc_scopes: tuple[str, ...],
    optional: set[str],
    nonce: str | None,
    auth_time: float,
    sid: str | None,
    roles: list[str],
    groups: dict[str, Any],
    times: Times,
    hashes: dict[str, str] | None = None,
) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "aud": client_app_id,
        "iss": v2_issuer(origin, tenant.id),
        **times.claims(),
        "aio": _opaque(48),
    }
    if hashes:
        claims.update(hashes)
    if "profile" in oidc_scopes:
        claims["name"] = user.display_name
    if nonce is not None:
        claims["nonce"] = nonce
    claims["oid"] = user.id
    if "profile" in oidc_scopes:
        claims["preferred_username"] = user.user_principal_name
    claims["rh"] = _rh()
    if sid is not None:
        claims["sid"] = sid
    claims.update(
        {
            "sub": pairwise_sub(tenant, user.id, client_app_id),
            "tid": tenant.id,
            "uti": _opaque(16),
            "ver": "2.0",
        }
    )
    if user.mail and ("email" in oidc_scopes or "email" in optional):
        claims["email"] = user.mail
    if "upn" in optional:
        claims["upn"] = user.user_principal_name
    if "login_hint" in optional:
        claims["login_hint"] = b64url(f"{user.id}.{tenant.id}".encode())
    if "given_name" in optional and user.given_name:
        claims["given_name"] = user.given_name
    if "family_name" in optional and user.surname:
        claims["family_name"] = user.surname
    if "auth_time" in optional:
        claims["auth_time"] = int(auth_time)
    if roles:
        claims["roles"] = roles
    claims.update(groups)
    return claims


def id_token_v1(
    *,
    origin: str,
    tenant: Tenant,
    client_app_id: str,
    user: User,
    optional: set[str],
    nonce: str | None,
    roles: list[str],
    groups: dict[str, Any],
    times: Times,
    ip: str | None,
) -> dict[str, Any]:
    """The ID token of the v1 endpoints (``id-token-claims-reference``: v1 adds ``upn``,
    ``unique_name`` and ``amr``; issuer ``sts.windows.net``, ``ver`` 1.0). The profile claims are
    always there: v1 has no ``profile`` scope."""
    claims: dict[str, Any] = {
        "aud": client_app_id,
        "iss": v1_issuer(origin, tenant.id),
        **times.claims(),
        "amr": ["pwd"],
        "family_name": user.surname,
        "given_name": user.given_name,
        "ipaddr": ip or "127.0.0.1",
        "name": user.display_name,
        "nonce": nonce,
        "oid": user.id,
        "rh": _rh(),
        "sub": pairwise_sub(tenant, user.id, client_app_id),
        "tid": tenant.id,
        "unique_name": user.user_principal_name,
        "upn": user.user_principal_name,
        "uti": _opaque(16),
        "ver": "1.0",
    }
    claims = {k: v for k, v in claims.items() if v is not None}
    if user.mail and "email" in optional:
        claims["email"] = user.mail
    if roles:
        claims["roles"] = roles
    claims.update(groups)
    return claims
