"""A sign-in never brings a deleted user back, and adminPrincipals means one thing for every way
of calling: a bare name is ``name@principalDomain``, and a person bound to another tenant's
identity is never an administrator by it, whatever token they call with."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx

from tessera.entra.testing import DemoTenant, DemoUser, RunningEmulator
from tests.integration.azure.conftest import AzureCatalog, person_tokens

PASSWORD = "Newc0mer!Passw0rd-x"


def _person(entra: RunningEmulator, tenant: DemoTenant, login: str) -> DemoUser:
    created = entra.create_user(tenant.tenant_id, login, PASSWORD, mail=login)
    return DemoUser(created["id"], login, login.split("@")[0].title(), PASSWORD)


def _me(catalog: AzureCatalog, entra: RunningEmulator, tenant: DemoTenant, http: httpx.Client, who: DemoUser):  # type: ignore[no-untyped-def]
    return catalog.get("/api/v1/users/loggedInUser", person_tokens(entra, tenant, http, who)["access_token"])


def test_a_sign_up_never_revives_a_deleted_administrator(
    entra: RunningEmulator, demo: DemoTenant, idp_http: httpx.Client, catalog_for: Callable[..., AzureCatalog]
) -> None:
    catalog = catalog_for(demo)
    admin = person_tokens(entra, demo, idp_http, demo.admin)["access_token"]
    created = catalog.client.post(
        "/api/v1/users",
        json={"name": "carol", "email": "carol@legacy.example", "isAdmin": True},
        headers={"Authorization": f"Bearer {admin}"},
    )
    assert created.status_code == 201, created.text
    old = created.json()
    deleted = catalog.client.delete(
        f"/api/v1/users/{old['id']}", headers={"Authorization": f"Bearer {admin}"}
    )
    assert deleted.status_code == 200
    # A different person, carol@<tenant domain>, signs in for the first time.
    newcomer = _me(catalog, entra, demo, idp_http, _person(entra, demo, f"carol@{demo.domain}"))
    assert newcomer.status_code == 200, newcomer.text
    me = newcomer.json()
    assert me["id"] != old["id"]
    assert me["name"] == "carol2"
    assert me["isAdmin"] is False
    assert me["email"] == f"carol@{demo.domain}"
    # The deleted administrator is exactly as it was: deleted, with its own email and flag.
    kept = catalog.get(f"/api/v1/users/{old['id']}?include=deleted", admin).json()
    assert (kept["deleted"], kept["email"], kept["isAdmin"]) == (True, "carol@legacy.example", True)


def test_a_failed_sign_in_does_not_undelete_a_bound_user(
    entra: RunningEmulator, demo: DemoTenant, idp_http: httpx.Client, catalog_for: Callable[..., AzureCatalog]
) -> None:
    catalog = catalog_for(demo)
    admin = person_tokens(entra, demo, idp_http, demo.admin)["access_token"]
    dave = _person(entra, demo, f"dave@{demo.domain}")
    first = _me(catalog, entra, demo, idp_http, dave).json()
    assert (
        catalog.client.delete(
            f"/api/v1/users/{first['id']}", headers={"Authorization": f"Bearer {admin}"}
        ).status_code
        == 200
    )
    # Dave's sign-in name goes to somebody else; that person signs in.
    moved = f"dave.old@{demo.domain}"
    entra.service.update_user(demo.tenant_id, dave.user_principal_name, user_principal_name=moved, mail=moved)
    other = _me(catalog, entra, demo, idp_http, _person(entra, demo, f"dave@{demo.domain}"))
    assert other.status_code == 200, other.text
    assert other.json()["name"] == "dave2"
    assert catalog.get(f"/api/v1/users/{first['id']}?include=deleted", admin).json()["deleted"] is True
    # Dave himself is told his user was deleted (not let in, not rebound).
    status, message = catalog.message(
        "/api/v1/users/loggedInUser",
        person_tokens(entra, demo, idp_http, DemoUser(dave.id, f"dave.old@{demo.domain}", "Dave", PASSWORD))[
            "access_token"
        ],
    )
    assert status == 403
    assert "was deleted" in message


def test_a_bare_admin_principal_is_a_name_at_the_principal_domain(
    entra: RunningEmulator, demo: DemoTenant, idp_http: httpx.Client, catalog_for: Callable[..., AzureCatalog]
) -> None:
    # OpenMetadata's documented configuration: AUTHORIZER_ADMIN_PRINCIPALS=[admin].
    assert demo.admin.user_principal_name == f"admin@{demo.domain}"
    catalog = catalog_for(demo, AUTHORIZER_ADMIN_PRINCIPALS="[admin]")
    me = _me(catalog, entra, demo, idp_http, demo.admin)
    assert me.status_code == 200, me.text
    assert me.json()["isAdmin"] is True
    alice = _me(catalog, entra, demo, idp_http, demo.users[1])
    assert alice.json()["isAdmin"] is False


def test_another_tenants_admin_is_no_administrator_through_a_personal_token(
    entra: RunningEmulator, demo: DemoTenant, idp_http: httpx.Client, catalog_for: Callable[..., AzureCatalog]
) -> None:
    other = entra.build_demo_tenant(domain=f"o{uuid.uuid4().hex[:12]}.onmicrosoft.com")
    audiences = [demo.ui_client_id, demo.api_app_id_uri, other.ui_client_id, other.api_app_id_uri]
    catalog = catalog_for(
        demo,
        AUTHENTICATION_AUTHORITY=f"{entra.base_url}/organizations",
        TESSERA_ALLOWED_TENANTS=f"[{demo.tenant_id},{other.tenant_id}]",
        TESSERA_ACCEPTED_AUDIENCES=f"[{','.join(audiences)}]",
        AUTHORIZER_ADMIN_PRINCIPALS="[admin]",
    )
    # The other tenant's own admin@<their domain> signs up: a person like any other.
    theirs = person_tokens(entra, other, idp_http, other.admin)["access_token"]
    me = catalog.get("/api/v1/users/loggedInUser", theirs)
    assert me.status_code == 200, me.text
    assert me.json()["name"] == "admin"  # the local part; no administrator named admin exists here
    assert me.json()["isAdmin"] is False
    created = catalog.client.put(
        "/api/v1/users/security/token",
        json={"tokenName": "laptop", "JWTTokenExpiry": "7"},
        headers={"Authorization": f"Bearer {theirs}"},
    )
    assert created.status_code == 201, created.text
    pat = created.json()["jwtToken"]
    assert catalog.get("/api/v1/users/loggedInUser", pat).json()["isAdmin"] is False
    assert catalog.get("/api/v1/audit/events", pat).status_code == 403
    # The catalog's own administrator is one, by token and by personal token alike.
    ours = person_tokens(entra, demo, idp_http, demo.admin)["access_token"]
    assert catalog.get("/api/v1/users/loggedInUser", ours).json()["isAdmin"] is True
    own_pat = catalog.client.put(
        "/api/v1/users/security/token",
        json={"tokenName": "laptop", "JWTTokenExpiry": "7"},
        headers={"Authorization": f"Bearer {ours}"},
    ).json()["jwtToken"]
    assert catalog.get("/api/v1/audit/events", own_pat).status_code == 200
