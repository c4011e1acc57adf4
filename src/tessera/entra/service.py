"""The directory as a Python API: every operation of the portal's app registration pages, in
one place, for the CLI, the admin REST API, the tenant file and tests.

Each method is one transaction and returns plain JSON-able data in Microsoft Graph's shapes,
never database rows, so callers in other threads or processes hold nothing live.
Objects are named flexibly: a tenant by GUID or domain, an app by appId, object id or display
name, a user by object id, UPN or mail.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy.orm import Session

from tessera.entra import consent, groups
from tessera.entra import credentials as creds
from tessera.entra import directory as d
from tessera.entra import registrations as reg
from tessera.entra.clock import Clock, iso
from tessera.entra.faults import FaultOps
from tessera.entra.graph.shapes import (
    application_json,
    group_json,
    service_principal_json,
    tenant_json,
    user_json,
)
from tessera.entra.group_claims import GROUP_MEMBERSHIP_CLAIMS
from tessera.entra.keys import KeyRing
from tessera.entra.models import Application, Tenant
from tessera.entra.service_assignments import AssignmentOps
from tessera.entra.store import Store
from tessera.entra.tenants import REFRESH_TOKEN_REUSE

DAY = 86400
_DURATION = re.compile(r"^\s*(\d+)\s*([hdwmy])\s*$", re.IGNORECASE)
_UNITS = {"h": 3600, "d": DAY, "w": 7 * DAY, "m": 30 * DAY, "y": 365 * DAY}


def parse_expiry(value: str | int | float, now: float) -> float:
    """``180d``, ``6m``, ``2y``, ``12h``, a number of seconds, or an ISO date/time; returns the
    expiry as epoch seconds. The portal offers 90d, 180d (recommended), 365d, 545d and 730d."""
    if isinstance(value, int | float):
        return now + float(value)
    match = _DURATION.match(value)
    if match:
        return now + int(match.group(1)) * _UNITS[match.group(2).lower()]
    if value.strip().lstrip("-").isdigit():
        return now + int(value)
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise d.DirectoryError(
            f"'{value}' is not an expiry: use e.g. 180d, 6m, 2y, 12h or a date like 2030-01-31."
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def load_certificate(data: bytes) -> bytes:
    """A certificate in PEM or DER; returns DER."""
    if b"-----BEGIN CERTIFICATE-----" in data:
        return x509.load_pem_x509_certificate(data).public_bytes(serialization.Encoding.DER)
    return x509.load_der_x509_certificate(data).public_bytes(serialization.Encoding.DER)


class DirectoryService(AssignmentOps, FaultOps):
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    # --- tenants and people ----------------------------------------------------------------

    def create_tenant(
        self, domain: str, display_name: str | None = None, tenant_id: str | None = None
    ) -> dict[str, Any]:
        with self.store.transaction() as s:
            tenant = d.create_tenant(
                s, domain=domain, display_name=display_name, tenant_id=tenant_id, now=self.clock.now()
            )
            reg.graph_service_principal(s, tenant.id)
            return tenant_json(tenant)

    def ensure_tenant(
        self, domain: str, display_name: str | None = None, tenant_id: str | None = None
    ) -> dict[str, Any]:
        with self.store.transaction() as s:
            existing = d.find_tenant(s, tenant_id or domain) or d.find_tenant(s, domain)
            if existing is not None:
                return tenant_json(existing)
        return self.create_tenant(domain, display_name, tenant_id)

    def update_tenant(
        self, ref: str | None, *, refresh_token_reuse: str | None = None, display_name: str | None = None
    ) -> dict[str, Any]:
        with self.store.transaction() as s:
            tenant = d.get_tenant(s, ref)
            if display_name is not None:
                tenant.display_name = display_name
            if refresh_token_reuse is not None:
                if refresh_token_reuse not in REFRESH_TOKEN_REUSE:
                    raise d.DirectoryError(
                        f"refreshTokenReuse is one of {', '.join(REFRESH_TOKEN_REUSE)}, "
                        f"not '{refresh_token_reuse}'."
                    )
                tenant.settings = {**(tenant.settings or {}), "refreshTokenReuse": refresh_token_reuse}
            return tenant_json(tenant)

    def tenants(self) -> list[dict[str, Any]]:
        with self.store.transaction() as s:
            return [tenant_json(t) for t in d.list_tenants(s)]

    def tenant(self, ref: str | None = None) -> dict[str, Any]:
        with self.store.transaction() as s:
            return tenant_json(d.get_tenant(s, ref))

    def create_user(
        self,
        tenant: str | None,
        user_principal_name: str,
        password: str | None = None,
        *,
        display_name: str | None = None,
        mail: str | None = None,
        given_name: str | None = None,
        surname: str | None = None,
        user_id: str | None = None,
        password_policies: str | None = None,
        mfa_required: bool = False,
        federated_issuer: str | None = None,
        administrator: bool = False,
    ) -> dict[str, Any]:
        """Returns the user; with ``password`` set to the generated one if none was given.
        Passwords follow Entra's policy unless ``password_policies="DisableStrongPassword"``."""
        chosen = password or d.generate_password()
        with self.store.transaction() as s:
            t = d.get_tenant(s, tenant)
            user = d.create_user(
                s,
                t,
                user_principal_name=user_principal_name,
                password=chosen,
                display_name=display_name,
                mail=mail,
                given_name=given_name,
                surname=surname,
                user_id=user_id,
                password_policies=password_policies,
                now=self.clock.now(),
            )
            user.mfa_required = mfa_required
            user.federated_issuer = federated_issuer
            user.administrator = administrator
            out = user_json(user)
        if password is None:
            out["password"] = chosen
        return out

    def find_user(self, tenant: str | None, ref: str) -> dict[str, Any] | None:
        with self.store.transaction() as s:
            user = d.find_user(s, d.get_tenant(s, tenant), ref)
            return user_json(user) if user else None

    def update_user(
        self,
        tenant: str | None,
        user: str,
        *,
        user_principal_name: str | None = None,
        mail: str | None = None,
        display_name: str | None = None,
    ) -> dict[str, Any]:
        """Graph's PATCH /users/{id}: the object id (``oid``) never changes, the names may."""
        with self.store.transaction() as s:
            t = d.get_tenant(s, tenant)
            found = d.get_user(s, t, user)
            if user_principal_name is not None:
                upn = user_principal_name.strip().lower()
                other = d.find_user(s, t, upn)
                if other is not None and other.id != found.id:
                    raise d.DirectoryError(f"a user '{upn}' already exists.", status=409)
                found.user_principal_name = upn
            if mail is not None:
                found.mail = mail
            if display_name is not None:
                found.display_name = display_name
            return user_json(found)

    def set_password(self, tenant: str | None, user: str, password: str) -> None:
        with self.store.transaction() as s:
            found = d.get_user(s, d.get_tenant(s, tenant), user)
            d.check_password_strength(password, found.password_policies)
            found.password_hash = d.hash_password(password)

    def users(self, tenant: str | None) -> list[dict[str, Any]]:
        with self.store.transaction() as s:
            return [user_json(u) for u in d.list_users(s, d.get_tenant(s, tenant))]

    def create_group(
        self,
        tenant: str | None,
        name: str,
        members: list[str] = (),  # type: ignore[assignment]
        *,
        description: str | None = None,
        group_id: str | None = None,
    ) -> dict[str, Any]:
        """A security group (or the existing one of that name), with ``members`` added: users by
        UPN, mail or object id, groups by name or object id."""
        with self.store.transaction() as s:
            t = d.get_tenant(s, tenant)
            group = groups.find_group(s, t, group_id or name) or groups.create_group(
                s, t, display_name=name, group_id=group_id, description=description
            )
            for ref in members:
                groups.add_group_member(s, group, _member_id(s, t, ref))
            return {**group_json(group), "members": list(group.members)}

    def add_group_member(self, tenant: str | None, group: str, member: str) -> dict[str, Any]:
        return self.create_group(tenant, group, [member])

    def remove_group_member(self, tenant: str | None, group: str, member: str) -> dict[str, Any]:
        with self.store.transaction() as s:
            t = d.get_tenant(s, tenant)
            found = groups.get_group(s, t, group)
            groups.remove_group_member(found, _member_id(s, t, member))
            return {**group_json(found), "members": list(found.members)}

    def groups(self, tenant: str | None) -> list[dict[str, Any]]:
        with self.store.transaction() as s:
            return [
                {**group_json(g), "members": list(g.members)}
                for g in groups.list_groups(s, d.get_tenant(s, tenant).id)
            ]

    # --- app registrations ------------------------------------------------------------------

    def create_app(
        self,
        tenant: str | None,
        name: str,
        *,
        spa_redirect_uris: list[str] = (),  # type: ignore[assignment]
        web_redirect_uris: list[str] = (),  # type: ignore[assignment]
        public_client_redirect_uris: list[str] = (),  # type: ignore[assignment]
        sign_in_audience: str = "AzureADMyOrg",
        app_id: str | None = None,
    ) -> dict[str, Any]:
        with self.store.transaction() as s:
            t = d.get_tenant(s, tenant)
            app = reg.create_application(
                s,
                t,
                display_name=name,
                sign_in_audience=sign_in_audience,
                spa_redirect_uris=list(spa_redirect_uris),
                web_redirect_uris=list(web_redirect_uris),
                public_client_redirect_uris=list(public_client_redirect_uris),
                app_id=app_id,
                now=self.clock.now(),
            )
            return application_json(s, app)

    def find_app(self, tenant: str | None, ref: str) -> dict[str, Any] | None:
        with self.store.transaction() as s:
            app = reg.find_application(s, ref, d.get_tenant(s, tenant))
            return application_json(s, app) if app else None

    def apps(self, tenant: str | None) -> list[dict[str, Any]]:
        with self.store.transaction() as s:
            return [application_json(s, a) for a in reg.list_applications(s, d.get_tenant(s, tenant))]

    def update_app(
        self,
        tenant: str | None,
        ref: str,
        *,
        id_tokens: bool | None = None,
        access_tokens: bool | None = None,
        token_version: int | None = None,
        fallback_public_client: bool | None = None,
        assignment_required: bool | None = None,
        group_membership_claims: str | None = None,
        logout_url: str | None = None,
        add_spa_redirect_uris: list[str] = (),  # type: ignore[assignment]
        add_web_redirect_uris: list[str] = (),  # type: ignore[assignment]
        add_public_client_redirect_uris: list[str] = (),  # type: ignore[assignment]
        optional_claims: dict[str, list[str]] | None = None,
        sign_in_audience: str | None = None,
    ) -> dict[str, Any]:
        with self.store.transaction() as s:
            t = d.get_tenant(s, tenant)
            app = reg.get_application(s, ref, t)
            if id_tokens is not None:
                app.enable_id_token_issuance = id_tokens
            if access_tokens is not None:
                app.enable_access_token_issuance = access_tokens
            if token_version is not None:
                if token_version not in (1, 2):
                    raise d.DirectoryError("requestedAccessTokenVersion is 1 or 2.")
                app.requested_access_token_version = token_version
            if fallback_public_client is not None:
                app.is_fallback_public_client = fallback_public_client
            if group_membership_claims is not None:
                if group_membership_claims.replace(" ", "") not in GROUP_MEMBERSHIP_CLAIMS:
                    raise d.DirectoryError(
                        f"groupMembershipClaims is one of {', '.join(GROUP_MEMBERSHIP_CLAIMS)}."
                    )
                app.group_membership_claims = group_membership_claims
            if logout_url is not None:
                reg.validate_redirect_uri(logout_url)
                app.logout_url = logout_url
            if sign_in_audience is not None:
                if sign_in_audience not in d.SIGN_IN_AUDIENCES:
                    raise d.DirectoryError(f"signInAudience is one of {', '.join(d.SIGN_IN_AUDIENCES)}.")
                app.sign_in_audience = sign_in_audience
            for attr, new in (
                ("spa_redirect_uris", add_spa_redirect_uris),
                ("web_redirect_uris", add_web_redirect_uris),
                ("public_client_redirect_uris", add_public_client_redirect_uris),
            ):
                for uri in new:
                    if attr != "public_client_redirect_uris":
                        reg.validate_redirect_uri(uri)
                current = list(getattr(app, attr))
                setattr(app, attr, current + [u for u in new if u not in current])
            if optional_claims is not None:
                for token_kind, names in optional_claims.items():
                    if token_kind not in ("idToken", "accessToken", "saml2Token"):
                        raise d.DirectoryError("optional claims go in idToken, accessToken or saml2Token.")
                    unknown = [n for n in names if n not in d.OPTIONAL_CLAIMS]
                    if unknown:
                        raise d.DirectoryError(
                            f"optional claim(s) {', '.join(unknown)} not supported; use "
                            f"{', '.join(d.OPTIONAL_CLAIMS)}."
                        )
                merged = dict(app.optional_claims)
                merged.update({k: list(v) for k, v in optional_claims.items()})
                app.optional_claims = merged
            if assignment_required is not None:
                reg.ensure_service_principal(s, app, t).app_role_assignment_required = assignment_required
            return application_json(s, app)

    def expose_api(self, tenant: str | None, ref: str, app_id_uri: str | None = None) -> str:
        with self.store.transaction() as s:
            return reg.expose_api(reg.get_application(s, ref, d.get_tenant(s, tenant)), app_id_uri)

    def add_scope(
        self,
        tenant: str | None,
        ref: str,
        value: str,
        *,
        consent_type: str = "User",
        admin_display_name: str | None = None,
        admin_description: str | None = None,
        user_display_name: str | None = None,
        user_description: str | None = None,
    ) -> dict[str, Any]:
        with self.store.transaction() as s:
            app = reg.get_application(s, ref, d.get_tenant(s, tenant))
            return reg.add_scope(
                app,
                value=value,
                consent_type=consent_type,
                admin_display_name=admin_display_name,
                admin_description=admin_description,
                user_display_name=user_display_name,
                user_description=user_description,
            )

    def add_app_role(
        self,
        tenant: str | None,
        ref: str,
        value: str,
        *,
        allowed_member_types: list[str] | None = None,
        display_name: str | None = None,
        description: str | None = None,
    ) -> dict[str, Any]:
        with self.store.transaction() as s:
            app = reg.get_application(s, ref, d.get_tenant(s, tenant))
            return reg.add_app_role(
                app,
                value=value,
                display_name=display_name,
                description=description,
                allowed_member_types=allowed_member_types,
            )

    def add_permission(
        self,
        tenant: str | None,
        ref: str,
        api: str,
        *,
        scopes: list[str] = (),  # type: ignore[assignment]
        roles: list[str] = (),  # type: ignore[assignment]
    ) -> list[dict[str, Any]]:
        with self.store.transaction() as s:
            t = d.get_tenant(s, tenant)
            app = reg.get_application(s, ref, t)
            if api.lower() in ("graph", "microsoft graph", d.GRAPH_APP_ID, d.GRAPH_RESOURCE):
                return _add_graph_permission(app, list(scopes))
            resource = reg.get_application(s, api, t)
            if not resource.identifier_uris and scopes:
                raise d.DirectoryError(f"'{resource.display_name}' exposes no API: run expose-api first.")
            return reg.add_permission(app, resource, scopes=list(scopes), roles=list(roles))

    def grant_admin_consent(self, tenant: str | None, ref: str) -> dict[str, Any]:
        with self.store.transaction() as s:
            t = d.get_tenant(s, tenant)
            return consent.grant_admin_consent(s, reg.get_application(s, ref, t), t)

    def add_secret(
        self,
        tenant: str | None,
        ref: str,
        *,
        display_name: str | None = None,
        expires: str | float = "180d",
        value: str | None = None,
    ) -> dict[str, Any]:
        """``addPassword``: the returned ``secretText`` is the only time the value is seen."""
        now = self.clock.now()
        end = parse_expiry(expires, now)
        with self.store.transaction() as s:
            app = reg.get_application(s, ref, d.get_tenant(s, tenant))
            new = creds.add_password(
                s, app, display_name=display_name, lifetime_seconds=end - now, now=now, secret_text=value
            )
            c = new.credential
            return {
                "keyId": c.key_id,
                "displayName": c.display_name,
                "hint": c.hint,
                "startDateTime": iso(c.start),
                "endDateTime": iso(c.end),
                "secretText": new.secret_text,
            }

    def add_certificate(
        self, tenant: str | None, ref: str, certificate: bytes, *, display_name: str | None = None
    ) -> dict[str, Any]:
        der = load_certificate(certificate)
        with self.store.transaction() as s:
            app = reg.get_application(s, ref, d.get_tenant(s, tenant))
            c = creds.add_key_credential(s, app, certificate_der=der, display_name=display_name)
            return {
                "keyId": c.key_id,
                "displayName": c.display_name,
                "thumbprint": c.thumbprint_sha1,
                "startDateTime": iso(c.start),
                "endDateTime": iso(c.end),
            }

    def show_app(self, tenant: str | None, ref: str, *, origin: str) -> dict[str, Any]:
        """What the seed's step 9 asks to note down, plus the full registration."""
        with self.store.transaction() as s:
            t = d.get_tenant(s, tenant)
            app = reg.get_application(s, ref, t)
            sp = reg.ensure_service_principal(s, app, t)
            registration = application_json(s, app)
            enterprise = service_principal_json(s, sp, app)
            scopes = [f"{uri}/.default" for uri in app.identifier_uris[:1]]
            return {
                "clientId": app.app_id,
                "tenantId": t.id,
                "tenantDomain": t.domain,
                "authority": f"{origin}/{t.id}",
                "appIdUri": app.identifier_uris[0] if app.identifier_uris else None,
                "scopes": scopes,
                "delegatedScopes": [
                    f"{app.identifier_uris[0]}/{sc['value']}" for sc in app.oauth2_permission_scopes
                ]
                if app.identifier_uris
                else [],
                "enterpriseAppObjectId": sp.id,
                "applicationObjectId": app.id,
                "application": registration,
                "servicePrincipal": enterprise,
            }

    # --- keys -------------------------------------------------------------------------------

    def rotate_keys(self, *, force: bool = False) -> str:
        """Sign with the next key (published beforehand); ``force``: with a new, unannounced one."""
        return KeyRing(self.store, self.clock).rotate(force=force)

    def signing_keys(self) -> list[dict[str, Any]]:
        ring = KeyRing(self.store, self.clock)
        ring.ensure()
        return ring.describe()


def _member_id(s: Session, tenant: Tenant, ref: str) -> str:
    user = d.find_user(s, tenant, ref)
    if user is not None:
        return user.id
    group = groups.find_group(s, tenant, ref)
    if group is not None:
        return group.id
    raise d.not_found("user or group", ref)


def _add_graph_permission(app: Application, scopes: list[str]) -> list[dict[str, Any]]:
    # The emulator's Graph has no scope GUIDs: the value stands in for the id.
    entries = [dict(e) for e in app.required_resource_access]
    entry = next((e for e in entries if e["resourceAppId"] == d.GRAPH_APP_ID), None)
    if entry is None:
        entry = {"resourceAppId": d.GRAPH_APP_ID, "resourceAccess": []}
        entries.append(entry)
    have = {a["id"] for a in entry["resourceAccess"]}
    entry["resourceAccess"] = [
        *entry["resourceAccess"],
        *[{"id": v, "type": "Scope"} for v in scopes if v not in have],
    ]
    app.required_resource_access = entries
    return entries
