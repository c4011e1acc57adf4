"""The Azure SSO guide's steps, one function each, done through the emulator's directory API.

The guide (``docs/azure-sso.md``) numbers two parts on their own: "Create Server
Credentials" (steps 1-3: the UI app) and "Create Service Application" (steps 1-10: tokens,
the exposed API and scope, the ingestion app with its permission, consent, App ID URI and
secret, and finally the ingestion bot). Each function here is one of those steps, in the
same order, with the same names, so the printed run reads as the guide does; step 10 changes
the catalog, and is in ``catalog.py``. ``tessera.entra.build_demo_tenant`` builds the same
tenant in one call; this module takes it apart so each step can be shown as it happens.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tessera.quickstart.errors import QuickstartError
from tessera.quickstart.state import DemoUserRecord, Secrets, TenantRecord

if TYPE_CHECKING:
    # The emulator's public face; its names load lazily, so they type as Any here.
    from tessera.entra import DirectoryService

DOMAIN = "tessera-demo.onmicrosoft.com"
TENANT_NAME = "tessera demo"
UI_APP = "tessera UI"
INGESTION_APP = "tessera ingestion"
SCOPE = "access_as_user"
SECRET_NAME = "ingestion"
SECRET_EXPIRY = "180d"
# (login, display name, catalog role): the first is in the server's adminPrincipals.
DEMO_USERS = (("admin", "Ada Admin", "catalog admin"), ("alice", "Alice Analyst", "data consumer"))

Report = Callable[[str, str], None]
"""``report(label, text)``: called once per step as it is done (label e.g. ``step 2``)."""


@dataclass(frozen=True)
class Guide:
    """The directory the steps work on, and the emulator's base URL for authorities."""

    service: DirectoryService
    base_url: str
    report: Report

    def authority(self, tenant_id: str) -> str:
        return f"{self.base_url}/{tenant_id}"


# --- Create Server Credentials ---------------------------------------------------------------


def server_step1_directory(guide: Guide, domain: str) -> str:
    """Step 1: Login to Azure Active Directory (here: create the directory to log in to)."""
    tenant = guide.service.create_tenant(domain, TENANT_NAME)
    guide.report("step 1", f"Azure Active Directory: tenant {domain} ({TENANT_NAME}), id {tenant['id']}")
    return str(tenant["id"])


def server_step2_register_ui(guide: Guide, tid: str, redirect_uri: str) -> str:
    """Step 2: App registrations > New registration, redirect URI as a Single-page application."""
    app = guide.service.create_app(tid, UI_APP, spa_redirect_uris=[redirect_uri])
    guide.report("step 2", f'New registration "{UI_APP}": Single-page application redirect {redirect_uri}')
    return str(app["appId"])


def server_step3_credentials(guide: Guide, tid: str, ui: str) -> None:
    """Step 3: the Client ID and Tenant ID on the Overview page, and the authority."""
    guide.report("step 3", f"Overview: client id {ui}, tenant id {tid}, authority {guide.authority(tid)}")


# --- Create Service Application ----------------------------------------------------------------


def service_step1_tokens(guide: Guide, tid: str, ui: str) -> None:
    """Step 1: Authentication > Access tokens and ID tokens."""
    guide.service.update_app(tid, ui, id_tokens=True, access_tokens=True)
    guide.report("step 1", f'"{UI_APP}" > Authentication: Access tokens and ID tokens checked')


def service_step2_expose_api(guide: Guide, tid: str, ui: str) -> str:
    """Step 2: Expose an API: the App ID URI (default ``api://<client id>``)."""
    uri = str(guide.service.expose_api(tid, ui))
    guide.report("step 2", f'"{UI_APP}" > Expose an API: App ID URI {uri}')
    return uri


def service_step3_add_scope(guide: Guide, tid: str, ui: str, api_uri: str) -> str:
    """Step 3: Add a scope. Then, as an administrator would for a demo, consent to it for the UI
    itself, so the first sign-in goes straight in instead of stopping at a consent page."""
    guide.service.add_scope(tid, ui, SCOPE, admin_display_name="Access tessera")
    guide.service.add_permission(tid, ui, ui, scopes=[SCOPE])
    guide.service.grant_admin_consent(tid, ui)
    guide.report(
        "step 3",
        f'"{UI_APP}" > Add a scope: {api_uri}/{SCOPE} (admin-consented for the UI, so signing in '
        "skips the consent page)",
    )
    return f"{api_uri}/{SCOPE}"


def service_step4_register_ingestion(guide: Guide, tid: str) -> str:
    """Step 4: register another application for ingestion, with no redirect URI."""
    app = guide.service.create_app(tid, INGESTION_APP)
    guide.report("step 4", f'New registration "{INGESTION_APP}" (no redirect URI): client id {app["appId"]}')
    return str(app["appId"])


def service_step5_permission(guide: Guide, tid: str, ingestion: str, ui: str) -> None:
    """Step 5: API permissions > Add a permission > the scope of step 3."""
    guide.service.add_permission(tid, ingestion, ui, scopes=[SCOPE])
    guide.report("step 5", f'"{INGESTION_APP}" > API permissions: {UI_APP} > {SCOPE}')


def service_step6_admin_consent(guide: Guide, tid: str, ingestion: str) -> None:
    """Step 6: Enterprise applications > the ingestion app > Grant admin consent."""
    guide.service.grant_admin_consent(tid, ingestion)
    guide.report(
        "step 6", f'Enterprise applications > "{INGESTION_APP}" > Grant admin consent for {TENANT_NAME}'
    )


def service_step7_app_id_uri(guide: Guide, tid: str, ingestion: str) -> str:
    """Step 7: the ingestion app's Application ID URI (what its client-credentials scope names)."""
    uri = str(guide.service.expose_api(tid, ingestion))
    guide.report("step 7", f'"{INGESTION_APP}" > Expose an API: App ID URI {uri}')
    return uri


def service_step8_secret(guide: Guide, tid: str, ingestion: str) -> tuple[str, str]:
    """Step 8: Certificates & secrets > New client secret. Returns (value, expiry)."""
    secret = guide.service.add_secret(tid, ingestion, display_name=SECRET_NAME, expires=SECRET_EXPIRY)
    expires = str(secret["endDateTime"])
    guide.report(
        "step 8",
        f'"{INGESTION_APP}" > Certificates & secrets: client secret "{SECRET_NAME}", expires {expires}',
    )
    return str(secret["secretText"]), expires


def service_step9_note(guide: Guide, tid: str, ingestion: str) -> dict[str, Any]:
    """Step 9: note down client id, authority, scopes and the enterprise app's object id."""
    shown: dict[str, Any] = dict(guide.service.show_app(tid, ingestion, origin=guide.base_url))
    guide.report(
        "step 9",
        f"Noted: clientId {shown['clientId']}, authority {shown['authority']}, scopes "
        f"{' '.join(shown['scopes'])}, enterprise app object id {shown['enterpriseAppObjectId']}",
    )
    return shown


def demo_users(guide: Guide, tid: str, domain: str) -> tuple[list[DemoUserRecord], dict[str, str]]:
    """Two people to sign in as; passwords generated by the directory (none ship)."""
    records, passwords = [], {}
    for login, name, role in DEMO_USERS:
        created = guide.service.create_user(
            tid, f"{login}@{domain}", None, display_name=name, mail=f"{login}@{domain}"
        )
        records.append(DemoUserRecord(created["id"], created["userPrincipalName"], name, role))
        passwords[login] = str(created["password"])
    return records, passwords


def build_tenant(
    guide: Guide, *, domain: str, redirect_uri: str, announce: Callable[[str], None] = lambda part: None
) -> tuple[TenantRecord, Secrets]:
    """The whole tenant, step by step, in the guide's order; ``announce`` names each part."""
    announce("Create Server Credentials")
    tid = server_step1_directory(guide, domain)
    ui = server_step2_register_ui(guide, tid, redirect_uri)
    server_step3_credentials(guide, tid, ui)
    announce("Create Service Application")
    service_step1_tokens(guide, tid, ui)
    api_uri = service_step2_expose_api(guide, tid, ui)
    api_scope = service_step3_add_scope(guide, tid, ui, api_uri)
    ingestion = service_step4_register_ingestion(guide, tid)
    service_step5_permission(guide, tid, ingestion, ui)
    service_step6_admin_consent(guide, tid, ingestion)
    ingestion_uri = service_step7_app_id_uri(guide, tid, ingestion)
    secret, expires = service_step8_secret(guide, tid, ingestion)
    shown = service_step9_note(guide, tid, ingestion)
    users, passwords = demo_users(guide, tid, domain)
    tenant = TenantRecord(
        tenantId=tid,
        domain=domain,
        uiClientId=ui,
        apiAppIdUri=api_uri,
        apiScope=api_scope,
        ingestionClientId=ingestion,
        ingestionObjectId=str(shown["enterpriseAppObjectId"]),
        ingestionAppIdUri=ingestion_uri,
        ingestionScope=f"{ingestion_uri}/.default",
        secretExpires=expires,
        users=users,
    )
    return tenant, Secrets(secret, passwords)


def check_tenant(guide: Guide, tenant: TenantRecord, redirect_uri: str) -> bool:
    """A rerun: the remembered tenant must still be in the directory. Adds the UI's redirect
    URI if the catalog's port changed (step 2 again). False when the tenant is gone."""
    service = guide.service
    if not any(t["id"] == tenant.tenantId for t in service.tenants()):
        return False
    for client_id, name in ((tenant.uiClientId, UI_APP), (tenant.ingestionClientId, INGESTION_APP)):
        if service.find_app(tenant.tenantId, client_id) is None:
            raise QuickstartError(
                f'the app "{name}" (client id {client_id}) is gone from the emulator\'s tenant '
                f"{tenant.domain}",
                fix="Start over with: tessera quickstart --fresh",
            )
    ui = service.find_app(tenant.tenantId, tenant.uiClientId) or {}
    if redirect_uri not in (ui.get("spa") or {}).get("redirectUris", []):
        service.update_app(tenant.tenantId, tenant.uiClientId, add_spa_redirect_uris=[redirect_uri])
        guide.report("step 2", f'"{UI_APP}" > Authentication: added redirect {redirect_uri} (new port)')
    return True


def new_secret(guide: Guide, tenant: TenantRecord) -> str:
    """A rerun whose secrets.env was lost: the emulator keeps only a hash, so make a new one."""
    secret, _ = service_step8_secret(guide, tenant.tenantId, tenant.ingestionClientId)
    return secret
