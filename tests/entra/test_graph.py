"""The Graph subset with tokens MSAL Python obtains: /me and its groups, users, groups and
members, service principals and applications, with $select, $filter, $top and paging; only
Graph-audience tokens are answered."""

from __future__ import annotations

from typing import Any

import httpx

from tessera.entra.testing import DemoTenant, RunningEmulator

from .conftest import confidential, public, sign_in, start_flow
from .test_auth_code import NATIVE_REDIRECT, _native_client


def _delegated(entra: RunningEmulator, demo: DemoTenant, http: httpx.Client, scopes: list[str]) -> str:
    client_id = _native_client(entra, demo)
    app = public(entra, client_id, demo.authority)
    flow = start_flow(app, scopes, NATIVE_REDIRECT)
    params = sign_in(http, flow["auth_uri"], demo.admin.user_principal_name, demo.admin.password).params
    token: str = app.acquire_token_by_auth_code_flow(flow, params)["access_token"]
    return token


def _app_only(entra: RunningEmulator, demo: DemoTenant) -> str:
    app = confidential(entra, demo.ingestion_client_id, demo.ingestion_secret, demo.authority)
    token: str = app.acquire_token_for_client(["https://graph.microsoft.com/.default"])["access_token"]
    return token


def _get(http: httpx.Client, entra: RunningEmulator, path: str, token: str, **params: str) -> dict[str, Any]:
    response = http.get(
        f"{entra.base_url}/v1.0/{path}", params=params, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_me_and_its_groups(entra: RunningEmulator, demo: DemoTenant, http: httpx.Client) -> None:
    tid = demo.tenant_id
    inner = entra.service.create_group(tid, "Stewards", [demo.admin.id])
    outer = entra.service.create_group(tid, "Data", ["Stewards"])
    token = _delegated(entra, demo, http, ["User.Read"])
    me = _get(http, entra, "me", token)
    assert (me["id"], me["userPrincipalName"]) == (demo.admin.id, demo.admin.user_principal_name)
    assert _get(http, entra, "me", token, **{"$select": "displayName"}) == {
        "@odata.context": f"{entra.base_url}/v1.0/$metadata#users/$entity",
        "displayName": demo.admin.display_name,
    }
    direct = _get(http, entra, "me/memberOf", token)["value"]
    assert [(g["@odata.type"], g["id"]) for g in direct] == [("#microsoft.graph.group", inner["id"])]
    transitive = {g["id"] for g in _get(http, entra, "me/transitiveMemberOf", token)["value"]}
    assert transitive == {inner["id"], outer["id"]}
    members = _get(http, entra, f"groups/{outer['id']}/members", token)["value"]
    assert [m["@odata.type"] for m in members] == ["#microsoft.graph.group"]
    objects = http.post(
        f"{entra.base_url}/v1.0/users/{demo.admin.id}/getMemberObjects",
        json={"securityEnabledOnly": True},
        headers={"Authorization": f"Bearer {token}"},
    ).json()["value"]
    assert set(objects) == transitive


def test_collections_filter_select_and_page(
    entra: RunningEmulator, demo: DemoTenant, http: httpx.Client
) -> None:
    tid = demo.tenant_id
    for n in range(5):
        entra.create_user(tid, f"pager{n}", "Pager-Passw0rd", display_name=f"Pager {n}")
    token = _app_only(entra, demo)
    found = _get(
        http,
        entra,
        "users",
        token,
        **{"$filter": "startswith(displayName,'pager')", "$select": "displayName,id"},
    )
    assert [u["displayName"] for u in found["value"]] == [f"Pager {n}" for n in range(5)]
    assert set(found["value"][0]) == {"displayName", "id"}
    exact = _get(http, entra, "users", token, **{"$filter": f"userPrincipalName eq 'pager3@{demo.domain}'"})
    assert [u["displayName"] for u in exact["value"]] == ["Pager 3"]
    first = _get(http, entra, "users", token, **{"$filter": "startswith(displayName,'Pager')", "$top": "2"})
    seen = [u["displayName"] for u in first["value"]]
    link = first["@odata.nextLink"]
    while link:
        nxt = http.get(link, headers={"Authorization": f"Bearer {token}"}).json()
        seen += [u["displayName"] for u in nxt["value"]]
        link = nxt.get("@odata.nextLink")
    assert seen == [f"Pager {n}" for n in range(5)]
    apps = _get(http, entra, "applications", token, **{"$filter": "displayName eq 'tessera UI'"})["value"]
    assert [a["appId"] for a in apps] == [demo.ui_client_id]
    sps = _get(
        http, entra, "servicePrincipals", token, **{"$filter": f"appId eq '{demo.ingestion_client_id}'"}
    )["value"]
    assert [sp["id"] for sp in sps] == [demo.ingestion_object_id]
    bad = http.get(
        f"{entra.base_url}/v1.0/users",
        params={"$filter": "endswith(mail,'x')"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "Request_UnsupportedQuery"


def test_graph_tokens_only(entra: RunningEmulator, demo: DemoTenant, http: httpx.Client) -> None:
    app_token = _app_only(entra, demo)
    me = http.get(f"{entra.base_url}/v1.0/me", headers={"Authorization": f"Bearer {app_token}"})
    assert me.status_code == 400
    assert "delegated authentication flow" in me.json()["error"]["message"]
    api = confidential(entra, demo.ingestion_client_id, demo.ingestion_secret, demo.authority)
    api_token = api.acquire_token_for_client([demo.ingestion_scope])["access_token"]
    refused = http.get(f"{entra.base_url}/v1.0/users", headers={"Authorization": f"Bearer {api_token}"})
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert http.get(f"{entra.base_url}/v1.0/users").status_code == 401
    # A SPA calls Graph cross-origin with a bearer token, as it can with Graph.
    cors = http.get(
        f"{entra.base_url}/v1.0/users",
        headers={"Authorization": f"Bearer {app_token}", "Origin": "http://localhost:8585"},
    )
    assert cors.headers["access-control-allow-origin"] == "*"
