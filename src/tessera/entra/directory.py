"""The directory's core: its error, identifiers, passwords, tenants and users, with Microsoft
Graph v1.0's semantics. The rest of the app model is beside it: groups (``groups.py``), app
registrations and service principals (``registrations.py``), consent and app role assignments
(``consent.py``), client credentials (``credentials.py``).

Functions take a SQLAlchemy session and return rows; they know nothing of HTTP. The CLI, the
admin API, the tenant file and ``tessera.entra.testing`` all go through them (by way of
``service.DirectoryService``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
import uuid

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tessera.entra.models import Tenant, User

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
GRAPH_RESOURCE = "https://graph.microsoft.com"
GRAPH_NAME = "Microsoft Graph"

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
