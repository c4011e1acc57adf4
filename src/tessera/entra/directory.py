"""The app model: tenants, users, groups, app registrations, service principals, credentials
and consent, with Microsoft Graph v1.0's semantics (``application``, ``servicePrincipal``,
``oauth2PermissionGrant``, ``appRoleAssignment``, ``addPassword``).

Functions take a SQLAlchemy session and return rows; they know nothing of HTTP. The CLI, the
admin API, the tenant file and ``tessera.entra.testing`` all go through them.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tessera.entra.models import (
    Application,
    AppRoleAssignment,
    Group,
    KeyCredential,
    OAuth2PermissionGrant,
    PasswordCredential,
    ServicePrincipal,
    Tenant,
    User,
)

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
GRAPH_RESOURCE = "https://graph.microsoft.com"
GRAPH_NAME = "Microsoft Graph"
# Stable per-tenant object ids for the built-in Graph service principal.
_GRAPH_SP_NAMESPACE = uuid.UUID("6b3c6ad5-3f47-4c2a-9a4e-2c1b7a0e9d11")

SIGN_IN_AUDIENCES = (
    "AzureADMyOrg",
    "AzureADMultipleOrgs",
    "AzureADandPersonalMicrosoftAccount",
    "PersonalMicrosoftAccount",
)
OPTIONAL_CLAIMS = ("email", "upn", "groups", "idtyp", "login_hint", "family_name", "given_name")


class DirectoryError(Exception):
    """A directory operation that cannot be done: unknown object, duplicate, bad value."""

    def __init__(self, message: str, *, status: int = 400, code: str = "Request_BadRequest") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


def not_found(kind: str, ref: str) -> DirectoryError:
    return DirectoryError(f"{kind} '{ref}' does not exist.", status=404, code="Request_ResourceNotFound")


def new_id() -> str:
    return str(uuid.uuid4())


def is_guid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return len(value) == 36


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# --- passwords (people choose them: slow hash) ----------------------------------------------


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        _, salt_hex, digest_hex = stored.split("$")
    except ValueError:
        return False
    digest = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt_hex), n=2**14, r=8, p=1)
    return hmac.compare_digest(digest.hex(), digest_hex)


DISABLE_STRONG_PASSWORD = "DisableStrongPassword"
_PASSWORD_CLASSES = (str.islower, str.isupper, str.isdigit, lambda c: not c.isalnum())


def check_password_strength(password: str, policies: str | None = None) -> None:
    """Entra's password policy (``concept-password-ban-bad``, "Password policies that apply to
    all user accounts"): 8 to 256 characters, three of lower case, upper case, digits and
    symbols; waived by Graph's ``passwordPolicies: DisableStrongPassword``."""
    if DISABLE_STRONG_PASSWORD in (policies or ""):
        if not password:
            raise DirectoryError("a password cannot be empty.")
        return
    classes = sum(any(test(c) for c in password) for test in _PASSWORD_CLASSES)
    if not 8 <= len(password) <= 256 or classes < 3:
        raise DirectoryError(
            "the password does not meet Entra's policy: 8 to 256 characters with three of lower "
            "case, upper case, digits and symbols (or set passwordPolicies: DisableStrongPassword)."
        )


def generate_password() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(16)) + "!9a"


# --- client secrets (random: fast hash) --------------------------------------------------------

_SECRET_TAIL = string.ascii_letters + string.digits + "_.~-"


def generate_client_secret() -> str:
    """A value shaped like the portal's: three characters (the hint), a digit, ``Q~``, then 34
    characters; 40 in all."""
    head = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(3))
    return (
        head + secrets.choice(string.digits) + "Q~" + "".join(secrets.choice(_SECRET_TAIL) for _ in range(34))
    )


# --- tenants ----------------------------------------------------------------------------------


def create_tenant(
    s: Session, *, domain: str, display_name: str | None = None, tenant_id: str | None = None, now: float
) -> Tenant:
    domain = domain.lower()
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]*\.[a-z]{2,}", domain):
        raise DirectoryError(f"'{domain}' is not a domain name (e.g. contoso.onmicrosoft.com).")
    if tenant_id is not None and not is_guid(tenant_id):
        raise DirectoryError(f"tenant id '{tenant_id}' is not a GUID.")
    if s.scalars(select(Tenant).where(Tenant.domain == domain)).first() is not None:
        raise DirectoryError(f"a tenant with domain '{domain}' already exists.", status=409)
    tenant = Tenant(
        id=(tenant_id or new_id()).lower(),
        domain=domain,
        display_name=display_name or domain.split(".")[0].capitalize(),
        pairwise_salt=secrets.token_hex(32),
        created=now,
    )
    s.add(tenant)
    s.flush()
    return tenant


def find_tenant(s: Session, ref: str) -> Tenant | None:
    """A tenant by GUID or by domain (Entra accepts both in the authority path)."""
    ref = ref.lower()
    return s.scalars(select(Tenant).where(or_(Tenant.id == ref, Tenant.domain == ref))).first()


def get_tenant(s: Session, ref: str | None) -> Tenant:
    if ref is None:
        tenants = s.scalars(select(Tenant)).all()
        if len(tenants) == 1:
            return tenants[0]
        if not tenants:
            raise DirectoryError("there is no tenant yet: create one with `tessera entra tenant create`.")
        raise DirectoryError("there are several tenants: say which one with --tenant.")
    tenant = find_tenant(s, ref)
    if tenant is None:
        raise not_found("tenant", ref)
    return tenant


def list_tenants(s: Session) -> list[Tenant]:
    return list(s.scalars(select(Tenant).order_by(Tenant.created)).all())


# --- users and groups -------------------------------------------------------------------------


def create_user(
    s: Session,
    tenant: Tenant,
    *,
    user_principal_name: str,
    password: str,
    display_name: str | None = None,
    mail: str | None = None,
    given_name: str | None = None,
    surname: str | None = None,
    user_id: str | None = None,
    password_policies: str | None = None,
    now: float,
) -> User:
    check_password_strength(password, password_policies)
    upn = user_principal_name.strip()
    if "@" not in upn:
        upn = f"{upn}@{tenant.domain}"
    if s.scalars(select(User).where(User.user_principal_name == upn.lower())).first() is not None:
        raise DirectoryError(f"a user '{upn}' already exists.", status=409)
    user = User(
        id=(user_id or new_id()).lower(),
        tenant_id=tenant.id,
        user_principal_name=upn.lower(),
        mail=mail,
        display_name=display_name or upn.split("@")[0].replace(".", " ").title(),
        given_name=given_name,
        surname=surname,
        password_hash=hash_password(password),
        account_enabled=True,
        created=now,
        password_policies=password_policies,
    )
    s.add(user)
    s.flush()
    return user


def find_user(s: Session, tenant: Tenant | None, ref: str) -> User | None:
    ref = ref.strip().lower()
    query = select(User).where(or_(User.id == ref, User.user_principal_name == ref, User.mail == ref))
    if tenant is not None:
        query = query.where(User.tenant_id == tenant.id)
    return s.scalars(query).first()


def directory_user_by_login(s: Session, tenant_id: str | None, login: str) -> User | None:
    """The account a sign-in name designates: within the tenant, or, on /common and
    /organizations, in whichever tenant holds it (home realm discovery by UPN)."""
    login = login.strip().lower()
    if not login:
        return None
    query = select(User).where(or_(User.user_principal_name == login, User.mail == login))
    if tenant_id is not None:
        query = query.where(User.tenant_id == tenant_id)
    return s.scalars(query).first()


def get_user(s: Session, tenant: Tenant, ref: str) -> User:
    user = find_user(s, tenant, ref)
    if user is None:
        raise not_found("user", ref)
    return user


def list_users(s: Session, tenant: Tenant) -> list[User]:
    return list(s.scalars(select(User).where(User.tenant_id == tenant.id).order_by(User.created)).all())


def create_group(s: Session, tenant: Tenant, *, display_name: str, group_id: str | None = None) -> Group:
    group = Group(id=group_id or new_id(), tenant_id=tenant.id, display_name=display_name, members=[])
    s.add(group)
    s.flush()
    return group


def find_group(s: Session, tenant: Tenant, ref: str) -> Group | None:
    return s.scalars(
        select(Group).where(Group.tenant_id == tenant.id, or_(Group.id == ref, Group.display_name == ref))
    ).first()


def add_group_member(s: Session, group: Group, user: User) -> None:
    if user.id not in group.members:
        group.members = [*group.members, user.id]


def groups_of(s: Session, user: User) -> list[str]:
    groups = s.scalars(select(Group).where(Group.tenant_id == user.tenant_id)).all()
    return [g.id for g in groups if user.id in g.members]


# --- applications and service principals ------------------------------------------------------


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


def _scope_by_value(resource: Application, value: str) -> dict[str, Any]:
    for scope in resource.oauth2_permission_scopes:
        if scope["value"] == value:
            return dict(scope)
    raise DirectoryError(
        f"'{resource.display_name}' exposes no scope '{value}' (it has: "
        f"{', '.join(sc['value'] for sc in resource.oauth2_permission_scopes) or 'none'})."
    )


def _role_by_value(resource: Application, value: str) -> dict[str, Any]:
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
    wanted = [{"id": _scope_by_value(resource, v)["id"], "type": "Scope"} for v in scopes]
    wanted += [{"id": _role_by_value(resource, v)["id"], "type": "Role"} for v in roles]
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
        role = _role_by_value(resource, role_value)
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


# --- credentials -------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewSecret:
    credential: PasswordCredential
    secret_text: str


def add_password(
    s: Session,
    app: Application,
    *,
    display_name: str | None,
    lifetime_seconds: float,
    now: float,
    secret_text: str | None = None,
) -> NewSecret:
    """``application: addPassword``: the value is returned once; only its hint and hash stay."""
    value = secret_text or generate_client_secret()
    credential = PasswordCredential(
        key_id=new_id(),
        application_id=app.id,
        display_name=display_name,
        hint=value[:3],
        secret_hash=sha256_hex(value),
        start=now,
        end=now + lifetime_seconds,
    )
    s.add(credential)
    s.flush()
    return NewSecret(credential, value)


def password_credentials(s: Session, app: Application) -> list[PasswordCredential]:
    return list(
        s.scalars(select(PasswordCredential).where(PasswordCredential.application_id == app.id)).all()
    )


def add_key_credential(
    s: Session, app: Application, *, certificate_der: bytes, display_name: str | None
) -> KeyCredential:
    from cryptography import x509

    cert = x509.load_der_x509_certificate(certificate_der)
    credential = KeyCredential(
        key_id=new_id(),
        application_id=app.id,
        display_name=display_name or cert.subject.rfc4514_string(),
        certificate=certificate_der,
        thumbprint_sha1=hashlib.sha1(certificate_der, usedforsecurity=False).hexdigest().upper(),
        thumbprint_sha256=hashlib.sha256(certificate_der).hexdigest().upper(),
        start=cert.not_valid_before_utc.timestamp(),
        end=cert.not_valid_after_utc.timestamp(),
    )
    s.add(credential)
    s.flush()
    return credential


def key_credentials(s: Session, app: Application) -> list[KeyCredential]:
    return list(s.scalars(select(KeyCredential).where(KeyCredential.application_id == app.id)).all())


def is_confidential(s: Session, app: Application) -> bool:
    return bool(password_credentials(s, app) or key_credentials(s, app))
