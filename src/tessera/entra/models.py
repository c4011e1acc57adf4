"""The directory and the grants it has issued, as SQLAlchemy 2 tables.

Names follow Microsoft Graph v1.0 (``application``, ``servicePrincipal``,
``oauth2PermissionGrant``, ``appRoleAssignment``, ``passwordCredential``, ``keyCredential``)
so that the admin API and the tenant file can use Graph's JSON shapes unchanged.

Secrets never persist: client secrets, authorization codes, refresh tokens and session cookies
are stored as SHA-256 hashes (they are long random values, so a fast hash is enough and keeps
the token endpoint fast); user passwords, which people choose, are stored with scrypt.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, list[str]: JSON}


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    domain: Mapped[str] = mapped_column(String(255), unique=True)
    display_name: Mapped[str] = mapped_column(String(255))
    # Per-tenant salt of the pairwise `sub` (OIDC Core §8.1): not derivable from public ids.
    pairwise_salt: Mapped[str] = mapped_column(String(64))
    created: Mapped[float] = mapped_column(Float)
    # The emulator's per-tenant behaviour switches (``TenantSettings``); NULL in older homes.
    settings: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=dict)


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the `oid`
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    user_principal_name: Mapped[str] = mapped_column(String(255), unique=True)
    mail: Mapped[str | None] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(255))
    given_name: Mapped[str | None] = mapped_column(String(255))
    surname: Mapped[str | None] = mapped_column(String(255))
    password_hash: Mapped[str] = mapped_column(String(255))
    account_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created: Mapped[float] = mapped_column(Float)
    # Graph's passwordPolicies: "DisableStrongPassword" lets a test give a weak password.
    password_policies: Mapped[str | None] = mapped_column(String(255))
    # What the resource owner password grant refuses, as Entra does: a user who must pass MFA,
    # and one whose password lives with a federated identity provider (its issuer).
    mfa_required: Mapped[bool] = mapped_column(Boolean, default=False)
    federated_issuer: Mapped[str | None] = mapped_column(String(255))
    # Holds an administrator role (Global Administrator): may grant admin consent.
    administrator: Mapped[bool] = mapped_column(Boolean, default=False)


class Group(Base):
    __tablename__ = "groups"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    display_name: Mapped[str] = mapped_column(String(255))
    members: Mapped[list[str]] = mapped_column(default=list)
    """Object ids of member users and groups."""
    description: Mapped[str | None] = mapped_column(String(1024))


class Application(Base):
    __tablename__ = "applications"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # object id
    app_id: Mapped[str] = mapped_column(String(36), unique=True)  # client id
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    display_name: Mapped[str] = mapped_column(String(255))
    sign_in_audience: Mapped[str] = mapped_column(String(64), default="AzureADMyOrg")
    spa_redirect_uris: Mapped[list[str]] = mapped_column(default=list)
    web_redirect_uris: Mapped[list[str]] = mapped_column(default=list)
    public_client_redirect_uris: Mapped[list[str]] = mapped_column(default=list)
    logout_url: Mapped[str | None] = mapped_column(String(2048))
    enable_id_token_issuance: Mapped[bool] = mapped_column(Boolean, default=False)
    enable_access_token_issuance: Mapped[bool] = mapped_column(Boolean, default=False)
    is_fallback_public_client: Mapped[bool] = mapped_column(Boolean, default=False)
    identifier_uris: Mapped[list[str]] = mapped_column(default=list)
    requested_access_token_version: Mapped[int | None] = mapped_column(Integer)
    oauth2_permission_scopes: Mapped[list[Any]] = mapped_column(default=list)
    app_roles: Mapped[list[Any]] = mapped_column(default=list)
    required_resource_access: Mapped[list[Any]] = mapped_column(default=list)
    optional_claims: Mapped[dict[str, Any]] = mapped_column(default=dict)
    group_membership_claims: Mapped[str | None] = mapped_column(String(64))
    created: Mapped[float] = mapped_column(Float)


class PasswordCredential(Base):
    __tablename__ = "password_credentials"

    key_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    display_name: Mapped[str | None] = mapped_column(String(255))
    hint: Mapped[str] = mapped_column(String(3))
    secret_hash: Mapped[str] = mapped_column(String(64), index=True)
    start: Mapped[float] = mapped_column(Float)
    end: Mapped[float] = mapped_column(Float)


class KeyCredential(Base):
    __tablename__ = "key_credentials"

    key_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    display_name: Mapped[str | None] = mapped_column(String(255))
    certificate: Mapped[bytes] = mapped_column(LargeBinary)  # DER
    thumbprint_sha1: Mapped[str] = mapped_column(String(64))  # hex, upper case, as the portal shows
    thumbprint_sha256: Mapped[str] = mapped_column(String(64))
    start: Mapped[float] = mapped_column(Float)
    end: Mapped[float] = mapped_column(Float)


class ServicePrincipal(Base):
    __tablename__ = "service_principals"
    __table_args__ = (UniqueConstraint("app_id", "tenant_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # `oid` of app-only tokens
    app_id: Mapped[str] = mapped_column(String(36), index=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    display_name: Mapped[str] = mapped_column(String(255))
    app_role_assignment_required: Mapped[bool] = mapped_column(Boolean, default=False)
    account_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # "Application", or "ManagedIdentity" for a managed identity (which has no app registration).
    service_principal_type: Mapped[str] = mapped_column(String(32), default="Application")
    managed_identity: Mapped[str | None] = mapped_column(String(16))  # SystemAssigned | UserAssigned
    # A managed identity's Azure resource id (its `xms_mirid` claim, IMDS's `msi_res_id`).
    resource_id: Mapped[str | None] = mapped_column(String(512))


class OAuth2PermissionGrant(Base):
    __tablename__ = "oauth2_permission_grants"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[str] = mapped_column(String(36), index=True)  # client SP id
    consent_type: Mapped[str] = mapped_column(String(16))  # AllPrincipals | Principal
    principal_id: Mapped[str | None] = mapped_column(String(36))
    resource_id: Mapped[str] = mapped_column(String(36))  # resource SP id
    scope: Mapped[str] = mapped_column(String(4000), default="")


class AppRoleAssignment(Base):
    __tablename__ = "app_role_assignments"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    principal_id: Mapped[str] = mapped_column(String(36), index=True)
    principal_type: Mapped[str] = mapped_column(String(32))  # User | Group | ServicePrincipal
    resource_id: Mapped[str] = mapped_column(String(36), index=True)  # resource SP id
    app_role_id: Mapped[str] = mapped_column(String(36))


class SigningKey(Base):
    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_key_pem: Mapped[bytes] = mapped_column(LargeBinary)
    certificate: Mapped[bytes] = mapped_column(LargeBinary)  # DER
    created: Mapped[float] = mapped_column(Float)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    # "next": published, not signing yet; "active": has signed (older homes: all active).
    state: Mapped[str] = mapped_column(String(16), default="active")
    # The order keys began signing in; the highest signs. NULL for keys of older homes.
    activation: Mapped[int | None] = mapped_column(Integer)


class AuthorizationCode(Base):
    __tablename__ = "authorization_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    client_id: Mapped[str] = mapped_column(String(36))
    user_id: Mapped[str] = mapped_column(String(36))
    redirect_uri: Mapped[str] = mapped_column(String(2048))
    redirect_type: Mapped[str] = mapped_column(String(16))  # spa | web | publicClient
    scope: Mapped[str] = mapped_column(String(4000))
    nonce: Mapped[str | None] = mapped_column(String(512))
    code_challenge: Mapped[str | None] = mapped_column(String(256))
    code_challenge_method: Mapped[str | None] = mapped_column(String(16))
    auth_time: Mapped[float] = mapped_column(Float)
    session_id: Mapped[str | None] = mapped_column(String(64))
    expires: Mapped[float] = mapped_column(Float)
    redeemed: Mapped[float | None] = mapped_column(Float)


class RefreshToken(Base):
    __tablename__ = "refresh_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    family_id: Mapped[str] = mapped_column(String(64), index=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    client_id: Mapped[str] = mapped_column(String(36))
    user_id: Mapped[str] = mapped_column(String(36))
    is_spa: Mapped[bool] = mapped_column(Boolean, default=False)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    scope: Mapped[str] = mapped_column(String(4000), default="")
    nonce: Mapped[str | None] = mapped_column(String(512))
    auth_time: Mapped[float] = mapped_column(Float)
    session_id: Mapped[str | None] = mapped_column(String(64))
    family_issued: Mapped[float] = mapped_column(Float)
    issued: Mapped[float] = mapped_column(Float)
    expires: Mapped[float] = mapped_column(Float)
    redeemed: Mapped[float | None] = mapped_column(Float)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class SignInSession(Base):
    __tablename__ = "sign_in_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    sid: Mapped[str] = mapped_column(String(36))  # the `sid` claim
    tenant_id: Mapped[str] = mapped_column(String(36))
    user_id: Mapped[str] = mapped_column(String(36))
    auth_time: Mapped[float] = mapped_column(Float)
    expires: Mapped[float] = mapped_column(Float)


class DeviceCode(Base):
    """A device authorization (RFC 8628) waiting for, or given, a person's approval."""

    __tablename__ = "device_codes"

    device_code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_code: Mapped[str] = mapped_column(String(16), unique=True)
    tenant_id: Mapped[str | None] = mapped_column(String(36))  # None on common/organizations
    client_id: Mapped[str] = mapped_column(String(36))
    scope: Mapped[str] = mapped_column(String(4000))
    interval: Mapped[int] = mapped_column(Integer)
    expires: Mapped[float] = mapped_column(Float)
    last_poll: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # approved|declined|redeemed
    user_id: Mapped[str | None] = mapped_column(String(36))
    auth_time: Mapped[float | None] = mapped_column(Float)
    session_id: Mapped[str | None] = mapped_column(String(64))


class Fault(Base):
    """A fault injected on demand (``faults.py``): an error answer or a delay for an endpoint."""

    __tablename__ = "faults"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    endpoint: Mapped[str] = mapped_column(String(32))  # token | keys | discovery | devicecode | any
    kind: Mapped[str] = mapped_column(String(16))  # error | latency
    status: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(64))
    code: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(String(1024))
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    probability: Mapped[float] = mapped_column(Float, default=1.0)
    remaining: Mapped[int | None] = mapped_column(Integer)  # None: until cleared


class EmulatorValue(Base):
    """Emulator-wide values that the CLI changes under a running server (the clock offset)."""

    __tablename__ = "emulator_values"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[float] = mapped_column(Float)
