"""``/adminconsent``: an administrator signs in and grants an app's required permissions for the
whole tenant; anyone else is refused with ``access_denied``."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import jwt

from tessera.entra.testing import DemoTenant, RunningEmulator

from .conftest import confidential, form_of

REDIRECT = "https://portal.example/consented"


def _consenting_app(entra: RunningEmulator, demo: DemoTenant) -> str:
    tid = demo.tenant_id
    entra.service.add_app_role(tid, demo.ui_client_id, "Catalog.Read", allowed_member_types=["Application"])
    worker = entra.create_app(tid, "worker", web_redirect_uris=[REDIRECT])
    entra.service.add_permission(tid, worker["appId"], demo.ui_client_id, roles=["Catalog.Read"])
    return str(worker["appId"])


def _answer(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text[:500]
    location = response.headers["location"]
    assert location.startswith(REDIRECT + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def test_an_administrator_grants_admin_consent(
    entra: RunningEmulator, demo: DemoTenant, http: httpx.Client
) -> None:
    worker = _consenting_app(entra, demo)
    secret = entra.add_secret(demo.tenant_id, worker)["secretText"]
    before = confidential(entra, worker, secret, demo.authority).acquire_token_for_client(
        [demo.api_default_scope]
    )
    assert "roles" not in jwt.decode(before["access_token"], options={"verify_signature": False})
    url = f"{demo.authority}/adminconsent?client_id={worker}&redirect_uri={REDIRECT}&state=s1"
    page = http.get(url)
    assert page.status_code == 200
    action, fields = form_of(page)
    answer = _answer(
        http.post(
            action, data={**fields, "login": demo.admin.user_principal_name, "passwd": demo.admin.password}
        )
    )
    assert answer == {"admin_consent": "True", "tenant": demo.tenant_id, "state": "s1"}
    after = confidential(entra, worker, secret, demo.authority)
    token = after.acquire_token_for_client([demo.api_default_scope])["access_token"]
    assert jwt.decode(token, options={"verify_signature": False})["roles"] == ["Catalog.Read"]


def test_only_administrators_and_registered_redirects(
    entra: RunningEmulator, demo: DemoTenant, http: httpx.Client
) -> None:
    worker = _consenting_app(entra, demo)
    alice = demo.users[1]
    page = http.get(f"{demo.authority}/v2.0/adminconsent?client_id={worker}&redirect_uri={REDIRECT}&scope=x")
    action, fields = form_of(page)
    answer = _answer(
        http.post(action, data={**fields, "login": alice.user_principal_name, "passwd": alice.password})
    )
    assert answer["error"] == "access_denied"
    assert answer["error_description"].startswith("AADSTS90094")
    elsewhere = http.get(
        f"{demo.authority}/adminconsent?client_id={worker}&redirect_uri=https://evil.example/"
    )
    assert elsewhere.status_code == 400
    assert "AADSTS50011" in elsewhere.text
