"""Entra app roles and groups become tessera's administrators, roles and teams
(authorizerConfiguration.providerMappings), with MSAL Python getting the tokens from
tessera.entra: added and removed by the identity provider alone, what an administrator granted
by hand untouched, the groups overage read from Graph, and sign-in going on when Graph is down.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from tessera.entra.testing import DemoTenant, DemoUser, RunningEmulator
from tests.integration.azure.conftest import AzureCatalog, ingestion_token, person_tokens


def _user(entra: RunningEmulator, demo: DemoTenant, login: str) -> DemoUser:
    created = entra.create_user(demo.tenant_id, f"{login}@{demo.domain}", mail=f"{login}@{demo.domain}")
    return DemoUser(created["id"], created["userPrincipalName"], login, created["password"])


def _app_roles(entra: RunningEmulator, demo: DemoTenant) -> None:
    """The API app's roles, and groups in the tokens it gets (the resource's setting)."""
    for value, members in (("Catalog.Admin", ["User"]), ("Catalog.Steward", ["User"])):
        entra.service.add_app_role(demo.tenant_id, demo.ui_client_id, value, allowed_member_types=members)
    entra.service.add_app_role(
        demo.tenant_id, demo.ui_client_id, "Catalog.Ingest", allowed_member_types=["Application"]
    )
    entra.service.update_app(demo.tenant_id, demo.ui_client_id, group_membership_claims="SecurityGroup")


def _mappings(*entries: dict[str, Any]) -> str:
    return json.dumps(list(entries))


def _me(catalog: AzureCatalog, token: str) -> dict[str, Any]:
    response = catalog.get("/api/v1/users/loggedInUser?fields=roles,teams", token)
    assert response.status_code == 200, response.text
    me: dict[str, Any] = response.json()
    return me


def _names(refs: list[dict[str, Any]] | None) -> set[str]:
    return {ref["name"] for ref in refs or []}


def _team(catalog: AzureCatalog, admin: str, name: str) -> dict[str, Any]:
    created = catalog.put("/api/v1/teams", admin, {"name": name, "teamType": "Group"})
    assert created.status_code in (200, 201), created.text
    team: dict[str, Any] = created.json()
    return team


def _actions(catalog: AzureCatalog, admin: str) -> list[tuple[str, str, dict[str, Any]]]:
    events = catalog.get("/api/v1/audit/events?limit=200", admin).json()["data"]
    return [(e["action"], e["target"], e["detail"] or {}) for e in events]


def test_app_roles_and_groups_are_granted_and_revoked_by_the_idp_alone(
    entra: RunningEmulator,
    demo: DemoTenant,
    idp_http: httpx.Client,
    catalog_for: Callable[..., AzureCatalog],
) -> None:
    _app_roles(entra, demo)
    stewards = entra.service.create_group(demo.tenant_id, "Stewards")
    finance = entra.service.create_group(demo.tenant_id, "Finance")
    # Nested: members of Analysts are in Finance too (the groups claim is transitive).
    analysts = entra.service.create_group(demo.tenant_id, "Analysts")
    entra.service.add_group_member(demo.tenant_id, "Finance", analysts["id"])
    entra.service.assign_group(demo.tenant_id, demo.ui_client_id, "Stewards", "Catalog.Steward")
    alice, carol = demo.users[1], _user(entra, demo, "carol")
    for group in ("Stewards", "Analysts"):
        entra.service.add_group_member(demo.tenant_id, group, alice.id)
    entra.service.assign_user(demo.tenant_id, demo.ui_client_id, carol.id, "Catalog.Admin")
    catalog = catalog_for(
        demo,
        TESSERA_PROVIDER_MAPPINGS=_mappings(
            {"appRole": "Catalog.Admin", "admin": True},
            {"appRole": "Catalog.Steward", "roles": ["DataSteward"]},
            {"group": finance["id"], "teams": ["Finance"]},
            {"group": stewards["id"], "teams": ["Stewards"]},
        ),
    )
    admin = person_tokens(entra, demo, idp_http, demo.admin)["access_token"]
    for name in ("Finance", "Stewards", "Handpicked"):
        _team(catalog, admin, name)

    # The first sign-in: the app role through a group, and both teams through (nested) groups.
    me = _me(catalog, person_tokens(entra, demo, idp_http, alice)["access_token"])
    assert _names(me["roles"]) == {"DataConsumer", "DataSteward"}
    assert _names(me["teams"]) == {"Finance", "Stewards"}
    assert me["isAdmin"] is False
    assert _me(catalog, person_tokens(entra, demo, idp_http, carol)["access_token"])["isAdmin"] is True
    sources = catalog.get(f"/api/v1/users/{me['id']}/membershipSources", admin).json()["data"]
    assert {(s["kind"], s["name"], tuple(s["sources"])) for s in sources} == {
        ("role", "DataSteward", ("Entra ID app role Catalog.Steward",)),
        ("team", "Finance", (f"Entra ID group {finance['id']}",)),
        ("team", "Stewards", (f"Entra ID group {stewards['id']}",)),
    }

    # By hand, an administrator adds a team; Stewards is granted by hand as well as by Entra.
    handpicked = catalog.get("/api/v1/teams/name/Handpicked", admin).json()
    reference = {key: handpicked[key] for key in ("id", "name", "fullyQualifiedName")}
    patched = catalog.client.patch(
        f"/api/v1/users/{me['id']}",
        json=[{"op": "add", "path": "/teams/-", "value": {**reference, "type": "team"}}],
        headers={"Authorization": f"Bearer {admin}", "Content-Type": "application/json-patch+json"},
    )
    assert patched.status_code == 200, patched.text

    # Entra takes the groups away: at the next sign-in, what Entra granted goes, the rest stays.
    for group in ("Stewards", "Analysts"):
        entra.service.remove_group_member(demo.tenant_id, group, alice.id)
    me = _me(catalog, person_tokens(entra, demo, idp_http, alice)["access_token"])
    assert _names(me["roles"]) == {"DataConsumer"}
    assert _names(me["teams"]) == {"Handpicked"}
    assert catalog.get(f"/api/v1/users/{me['id']}/membershipSources", admin).json()["data"] == []
    actions = _actions(catalog, admin)
    revoked = {(d["membership"], d["name"]) for a, t, d in actions if a == "idp-membership-revoked"}
    assert revoked == {("role", "DataSteward"), ("team", "Finance"), ("team", "Stewards")}
    granted = [(t, d["name"]) for a, t, d in actions if a == "idp-membership-granted"]
    assert ("carol", "administrator") in granted


def test_a_bots_app_roles_grant_roles_and_never_administration(
    entra: RunningEmulator,
    demo: DemoTenant,
    idp_http: httpx.Client,
    catalog_for: Callable[..., AzureCatalog],
) -> None:
    _app_roles(entra, demo)
    entra.service.assign_service_principal(
        demo.tenant_id, demo.ui_client_id, demo.ingestion_client_id, "Catalog.Ingest"
    )
    catalog = catalog_for(
        demo,
        TESSERA_PROVIDER_MAPPINGS=_mappings(
            {"appRole": "Catalog.Ingest", "roles": ["DataSteward"], "admin": True}
        ),
    )
    admin = person_tokens(entra, demo, idp_http, demo.admin)["access_token"]
    bot = catalog.put(
        "/api/v1/users",
        admin,
        {"name": "loader", "email": f"{demo.ingestion_object_id}@{demo.domain}", "isBot": True},
    )
    assert bot.status_code in (200, 201), bot.text
    token = ingestion_token(entra, demo, demo.api_default_scope)
    me = _me(catalog, token)
    assert me["name"] == "loader"
    assert _names(me["roles"]) == {"DataSteward"}
    assert me.get("isAdmin") is not True


def test_the_groups_overage_is_read_from_graph_and_sign_in_survives_graph_being_down(
    entra: RunningEmulator,
    demo: DemoTenant,
    idp_http: httpx.Client,
    catalog_for: Callable[..., AzureCatalog],
) -> None:
    _app_roles(entra, demo)
    dave = _user(entra, demo, "dave")
    hub = entra.service.create_group(demo.tenant_id, f"hub-{uuid.uuid4().hex[:6]}", [dave.id])
    # 201 groups through one: past Entra's 200, the token carries the overage, not the list.
    groups = [entra.service.create_group(demo.tenant_id, f"g{i:03}", [hub["id"]]) for i in range(201)]
    mapped = groups[-1]
    catalog = catalog_for(
        demo,
        TESSERA_PROVIDER_MAPPINGS=_mappings({"group": mapped["id"], "teams": ["Overage"]}),
        # The catalog's own app registration reads Graph; the demo's ingestion app plays it.
        OIDC_CLIENT_ID=demo.ingestion_client_id,
        OIDC_CLIENT_SECRET=demo.ingestion_secret,
        TESSERA_GROUPS_CACHE_SECONDS="0",
    )
    admin = person_tokens(entra, demo, idp_http, demo.admin)["access_token"]
    _team(catalog, admin, "Overage")
    tokens = person_tokens(entra, demo, idp_http, dave)
    assert "_claim_names" in _claims(tokens["access_token"])
    assert "groups" not in _claims(tokens["access_token"])
    assert _names(_me(catalog, tokens["access_token"])["teams"]) == {"Overage"}

    # Graph down, and dave has left the group meanwhile: sign-in goes on with what was known.
    entra.service.remove_group_member(demo.tenant_id, mapped["id"], hub["id"])
    fault = entra.service.add_fault("graph", status=503)
    try:
        me = _me(catalog, person_tokens(entra, demo, idp_http, dave)["access_token"])
    finally:
        entra.service.clear_faults(fault["id"])
    assert _names(me["teams"]) == {"Overage"}
    unavailable = [d for a, t, d in _actions(catalog, admin) if a == "idp-groups-unavailable" and t == "dave"]
    assert unavailable
    assert "503" in unavailable[0]["reason"]

    # Graph back: the next sign-in applies what it says.
    assert _names(_me(catalog, person_tokens(entra, demo, idp_http, dave)["access_token"])["teams"]) == set()


def _claims(token: str) -> dict[str, Any]:
    import jwt

    decoded: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return decoded
