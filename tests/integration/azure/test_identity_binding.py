"""One Entra identity per tessera user: an email match binds only a user that no directory
identity holds yet, and domain rules apply on every sign-in, not only the first."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tessera.entra.testing import DemoTenant, DemoUser, RunningEmulator
from tessera.storage import migrate
from tessera.storage.db import create_engine
from tessera.storage.schema import user_identity
from tests.integration.azure.conftest import AzureCatalog, person_tokens
from tests.integration.conftest import _create_server_database, _drop_server_database

PASSWORD = "Mall0ry!Passw0rd-x"


def _new_person(entra: RunningEmulator, tenant: DemoTenant, login: str, mail: str) -> DemoUser:
    created = entra.create_user(tenant.tenant_id, login, PASSWORD, mail=mail)
    return DemoUser(created["id"], login, "Mallory", PASSWORD)


def _refusal_names_the_binding(message: str, email: str) -> None:
    assert email.lower() in message
    assert "already bound to another Entra ID identity" in message
    assert "hardDelete=true" in message


def _two_tenants(
    entra: RunningEmulator, demo: DemoTenant, catalog_for: Callable[..., AzureCatalog], **env: str
) -> tuple[DemoTenant, AzureCatalog]:
    """A second tenant, and a catalog (multi-tenant authority) that allows both, ``demo`` first."""
    other = entra.build_demo_tenant(domain=f"o{uuid.uuid4().hex[:12]}.onmicrosoft.com")
    audiences = [demo.ui_client_id, demo.api_app_id_uri, other.ui_client_id, other.api_app_id_uri]
    catalog = catalog_for(
        demo,
        AUTHENTICATION_AUTHORITY=f"{entra.base_url}/organizations",
        TESSERA_ALLOWED_TENANTS=f"[{demo.tenant_id},{other.tenant_id}]",
        TESSERA_ACCEPTED_AUDIENCES=f"[{','.join(audiences)}]",
        **env,
    )
    return other, catalog


def _other_tenant_presents_the_admins_email(
    entra: RunningEmulator, demo: DemoTenant, other: DemoTenant, idp_http: httpx.Client, catalog: AzureCatalog
) -> tuple[int, str]:
    """The other tenant's administrator gives one of their users the admin's address as `mail`."""
    entra.service.update_app(other.tenant_id, other.ui_client_id, optional_claims={"accessToken": ["email"]})
    mallory = _new_person(entra, other, f"mallory@{other.domain}", demo.admin.user_principal_name)
    return catalog.message(
        "/api/v1/users/loggedInUser", person_tokens(entra, other, idp_http, mallory)["access_token"]
    )


def test_a_reused_sign_in_name_does_not_take_over_the_previous_owners_user(
    entra: RunningEmulator, demo: DemoTenant, idp_http: httpx.Client, catalog_for: Callable[..., AzureCatalog]
) -> None:
    catalog = catalog_for(demo)
    alice = demo.users[1]
    first = catalog.get(
        "/api/v1/users/loggedInUser", person_tokens(entra, demo, idp_http, alice)["access_token"]
    )
    assert first.status_code == 200, first.text
    # Alice is renamed at the IdP; her old sign-in name goes to a new person (a new oid).
    old = alice.user_principal_name
    renamed = f"alice.new@{demo.domain}"
    entra.service.update_user(demo.tenant_id, old, user_principal_name=renamed, mail=renamed)
    newcomer = _new_person(entra, demo, old, old)
    assert newcomer.id != alice.id
    status, message = catalog.message(
        "/api/v1/users/loggedInUser", person_tokens(entra, demo, idp_http, newcomer)["access_token"]
    )
    assert status == 403
    _refusal_names_the_binding(message, old)
    # Alice herself, under her new name, is still her user.
    moved = DemoUser(alice.id, renamed, alice.display_name, alice.password)
    again = catalog.get(
        "/api/v1/users/loggedInUser", person_tokens(entra, demo, idp_http, moved)["access_token"]
    )
    assert again.json()["id"] == first.json()["id"]


def test_an_email_claim_equal_to_the_admins_name_does_not_sign_in_as_the_admin(
    entra: RunningEmulator, demo: DemoTenant, idp_http: httpx.Client, catalog_for: Callable[..., AzureCatalog]
) -> None:
    catalog = catalog_for(demo)
    admin_token = person_tokens(entra, demo, idp_http, demo.admin)["access_token"]
    assert catalog.get("/api/v1/users/loggedInUser", admin_token).json()["isAdmin"] is True
    # The `email` optional claim carries the directory's `mail`, which is not unique.
    entra.service.update_app(demo.tenant_id, demo.ui_client_id, optional_claims={"accessToken": ["email"]})
    mallory = _new_person(entra, demo, f"mallory@{demo.domain}", demo.admin.user_principal_name)
    status, message = catalog.message(
        "/api/v1/users/loggedInUser", person_tokens(entra, demo, idp_http, mallory)["access_token"]
    )
    assert status == 403
    _refusal_names_the_binding(message, demo.admin.user_principal_name)


def test_another_allowed_tenant_cannot_claim_the_admins_email(
    entra: RunningEmulator, demo: DemoTenant, idp_http: httpx.Client, catalog_for: Callable[..., AzureCatalog]
) -> None:
    other, catalog = _two_tenants(entra, demo, catalog_for, AUTHENTICATION_ENABLE_SELF_SIGNUP="false")
    # The admin's first sign-in, allowed with self sign-up off because it is an admin principal.
    admin = catalog.get(
        "/api/v1/users/loggedInUser", person_tokens(entra, demo, idp_http, demo.admin)["access_token"]
    )
    assert admin.status_code == 200, admin.text
    assert admin.json()["isAdmin"] is True
    status, message = _other_tenant_presents_the_admins_email(entra, demo, other, idp_http, catalog)
    assert status == 403
    # Refused before any binding is looked at: administrators sign in from the catalog's tenant.
    assert f"own tenant ({demo.tenant_id}) only" in message
    # A person of the second tenant with their own address is let in (it is an allowed tenant)
    # only as far as self sign-up allows.
    status, message = catalog.message(
        "/api/v1/users/loggedInUser", person_tokens(entra, other, idp_http, other.users[1])["access_token"]
    )
    assert status == 403
    assert "self sign-up is off" in message


def test_only_the_catalogs_own_tenant_makes_an_administrators_first_sign_in(
    entra: RunningEmulator, demo: DemoTenant, idp_http: httpx.Client, catalog_for: Callable[..., AzureCatalog]
) -> None:
    other, catalog = _two_tenants(entra, demo, catalog_for)
    # Before the real administrator ever signs in, the other tenant presents the admin's address.
    status, message = _other_tenant_presents_the_admins_email(entra, demo, other, idp_http, catalog)
    assert status == 403
    assert f"own tenant ({demo.tenant_id}) only" in message
    assert other.tenant_id in message
    # The administrator of the catalog's own tenant still makes the first sign-in.
    admin = catalog.get(
        "/api/v1/users/loggedInUser", person_tokens(entra, demo, idp_http, demo.admin)["access_token"]
    )
    assert admin.status_code == 200, admin.text
    assert admin.json()["isAdmin"] is True


def test_the_database_holds_one_entra_identity_per_user(
    entra: RunningEmulator, demo: DemoTenant, idp_http: httpx.Client, catalog_for: Callable[..., AzureCatalog]
) -> None:
    catalog = catalog_for(demo)
    me = catalog.get(
        "/api/v1/users/loggedInUser", person_tokens(entra, demo, idp_http, demo.users[1])["access_token"]
    ).json()
    engine = create_engine(catalog.settings.database_url)
    try:
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(
                sa.insert(user_identity).values(
                    provider="azure",
                    tenant_id=demo.tenant_id,
                    object_id=str(uuid.uuid4()),
                    user_id=me["id"],
                    created_at=1,
                )
            )
    finally:
        engine.dispose()


def test_migration_0004_keeps_the_oldest_identity_of_each_user(backend: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}" if backend == "sqlite" else _create_server_database(backend)
    engine = create_engine(url)
    try:
        migrate.upgrade(engine, "0003")
        rows = [
            ("azure", "t1", "newer", "u1", 20),
            ("azure", "t1", "oldest", "u1", 10),
            ("azure", "t2", "newest", "u1", 30),
            ("azure", "t1", "only", "u2", 5),
            ("other", "t1", "x", "u1", 40),
        ]
        with engine.begin() as conn:
            conn.execute(
                sa.insert(user_identity),
                [
                    {"provider": p, "tenant_id": t, "object_id": o, "user_id": u, "created_at": c}
                    for p, t, o, u, c in rows
                ],
            )
        migrate.upgrade(engine)
        with engine.connect() as conn:
            kept = sorted(
                (r.provider, r.object_id, r.user_id)
                for r in conn.execute(
                    sa.select(user_identity.c.provider, user_identity.c.object_id, user_identity.c.user_id)
                )
            )
        assert kept == [("azure", "oldest", "u1"), ("azure", "only", "u2"), ("other", "x", "u1")]
        migrate.downgrade(engine, "0003")
        migrate.upgrade(engine)
    finally:
        engine.dispose()
        if backend != "sqlite":
            _drop_server_database(backend, url)


def test_domain_rules_apply_to_people_who_signed_in_before(
    entra: RunningEmulator, demo: DemoTenant, idp_http: httpx.Client, catalog_for: Callable[..., AzureCatalog]
) -> None:
    token = person_tokens(entra, demo, idp_http, demo.users[1])["access_token"]
    before = catalog_for(demo)
    assert before.get("/api/v1/users/loggedInUser", token).status_code == 200
    # Restarted with the principal domain enforced: a fresh process, a fresh token cache, and the
    # person already bound is refused like a newcomer would be.
    strict = catalog_for(
        demo, AUTHORIZER_ENFORCE_PRINCIPAL_DOMAIN="true", AUTHORIZER_PRINCIPAL_DOMAIN="example.org"
    )
    status, message = strict.message("/api/v1/users/loggedInUser", token)
    assert status == 403
    assert f"Email domain '{demo.domain}' is not allowed here" in message
    # ... and let in again once the domain is listed in allowedDomains.
    listed = catalog_for(
        demo,
        AUTHORIZER_ENFORCE_PRINCIPAL_DOMAIN="true",
        AUTHORIZER_PRINCIPAL_DOMAIN="example.org",
        AUTHORIZER_ALLOWED_DOMAINS=f"[{demo.domain}]",
    )
    assert listed.get("/api/v1/users/loggedInUser", token).status_code == 200
