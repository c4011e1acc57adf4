"""The device code flow (RFC 8628) with MSAL Python and azure-identity's DeviceCodeCredential:
a person enters the user code on the verification page and signs in while the client polls;
and Entra's polling answers: authorization_pending, slow_down, authorization_declined,
expired_token."""

from __future__ import annotations

import re
from typing import Any

import httpx
import jwt
import pytest

from tessera.entra.testing import DemoTenant, RunningEmulator

from .conftest import form_of, new_demo, public


def _device_app(entra: RunningEmulator, demo: DemoTenant, *, public_flows: bool = True) -> str:
    """A command-line tool: no redirect URI, public client flows allowed."""
    created = entra.create_app(demo.tenant_id, "cli tool")
    entra.service.update_app(demo.tenant_id, created["appId"], fallback_public_client=public_flows)
    entra.service.add_permission(
        demo.tenant_id, created["appId"], demo.ui_client_id, scopes=["access_as_user"]
    )
    entra.service.grant_admin_consent(demo.tenant_id, created["appId"])
    return str(created["appId"])


def approve(
    http: httpx.Client, verification_uri: str, user_code: str, login: str, password: str
) -> httpx.Response:
    """What the person does in the browser: open the page, type the code, sign in."""
    page = http.get(verification_uri)
    assert page.status_code == 200
    assert 'id="devicelogin"' in page.text
    signin = http.post(verification_uri, data={"otc": user_code.lower()})  # case does not matter
    action, fields = form_of(signin)
    return http.post(action, data={**fields, "login": login, "passwd": password})


def _poll(http: httpx.Client, demo: DemoTenant, client_id: str, device_code: str) -> httpx.Response:
    return http.post(
        f"{demo.authority}/oauth2/v2.0/token",
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
            "client_id": client_id,
            "device_code": device_code,
        },
    )


def test_msal_device_flow(entra: RunningEmulator, demo: DemoTenant, http: httpx.Client) -> None:
    client_id = _device_app(entra, demo)
    app = public(entra, client_id, demo.authority)
    flow = app.initiate_device_flow(scopes=[demo.api_scope])
    assert flow["verification_uri"] == f"{entra.base_url}/devicelogin"
    assert flow["expires_in"] == 900
    assert flow["interval"] == 5
    assert re.fullmatch(r"[A-Z0-9]{9}", flow["user_code"])
    assert flow["user_code"] in flow["message"]
    # Before the person acts: one poll, pending.
    pending = app.acquire_token_by_device_flow(dict(flow), exit_condition=lambda _flow: True)
    assert pending["error"] == "authorization_pending"
    assert pending["error_codes"] == [70016]
    done = approve(
        http, flow["verification_uri"], flow["user_code"], demo.admin.user_principal_name, demo.admin.password
    )
    assert 'id="done"' in done.text
    entra.clock.advance(5)
    result = app.acquire_token_by_device_flow(flow)
    assert "access_token" in result, result
    assert result["id_token_claims"]["oid"] == demo.admin.id
    access = jwt.decode(result["access_token"], options={"verify_signature": False})
    assert (access["aud"], access["scp"], access["appid"]) == (
        demo.api_app_id_uri,
        "access_as_user",
        client_id,
    )
    assert "refresh_token" in result
    # A device code is good for one answer.
    again = _poll(http, demo, client_id, flow["device_code"])
    assert again.json()["error"] == "bad_verification_code"


def test_polling_answers(fresh_entra: RunningEmulator) -> None:
    entra = fresh_entra
    demo = new_demo(entra)
    client_id = _device_app(entra, demo)
    with httpx.Client(verify=entra.ssl_context(), follow_redirects=False) as http:

        def start() -> dict[str, Any]:
            response = http.post(
                f"{demo.authority}/oauth2/v2.0/devicecode",
                data={"client_id": client_id, "scope": demo.api_scope},
            )
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            return body

        flow = start()
        assert _poll(http, demo, client_id, flow["device_code"]).json()["error"] == "authorization_pending"
        too_fast = _poll(http, demo, client_id, flow["device_code"]).json()
        assert too_fast["error"] == "slow_down"
        entra.clock.advance(5)
        assert _poll(http, demo, client_id, flow["device_code"]).json()["error"] == "authorization_pending"
        # Signed in once, the person is not asked for the password again (the session cookie)...
        second = start()
        signed_in = approve(
            http,
            flow["verification_uri"],
            second["user_code"],
            demo.admin.user_principal_name,
            demo.admin.password,
        )
        assert 'id="done"' in signed_in.text  # consented already: approved at once
        # ... and cancels on the consent page of an app nobody consented to.
        other = entra.create_app(demo.tenant_id, "unconsented")
        entra.service.update_app(demo.tenant_id, other["appId"], fallback_public_client=True)
        asked = http.post(
            f"{demo.authority}/oauth2/v2.0/devicecode",
            data={"client_id": other["appId"], "scope": demo.api_scope},
        ).json()
        consent_page = http.post(
            asked["verification_uri"], data={"otc": asked["user_code"]}
        )  # session cookie: no password
        assert 'id="consent"' in consent_page.text
        action, fields = form_of(consent_page)
        assert 'id="declined"' in http.post(action, data={**fields, "consent": "cancel"}).text
        refused = _poll(http, demo, other["appId"], asked["device_code"]).json()
        assert refused["error"] == "authorization_declined"
        # Past expires_in.
        late = start()
        entra.clock.advance(901)
        expired = _poll(http, demo, client_id, late["device_code"]).json()
        assert (expired["error"], expired["error_codes"]) == ("expired_token", [70020])


def test_an_app_without_public_client_flows(
    entra: RunningEmulator, demo: DemoTenant, http: httpx.Client
) -> None:
    client_id = _device_app(entra, demo, public_flows=False)
    flow = http.post(
        f"{demo.authority}/oauth2/v2.0/devicecode", data={"client_id": client_id, "scope": demo.api_scope}
    ).json()
    approve(
        http, flow["verification_uri"], flow["user_code"], demo.admin.user_principal_name, demo.admin.password
    )
    refused = _poll(http, demo, client_id, flow["device_code"])
    assert refused.status_code == 401
    assert refused.json()["error_codes"] == [7000218]


def test_verification_page_refuses_a_wrong_code(entra: RunningEmulator, http: httpx.Client) -> None:
    page = http.post(f"{entra.base_url}/devicelogin", data={"otc": "NOPE12345"})
    assert "didn&#39;t work" in page.text
    assert "access-control-allow-origin" not in page.headers


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_azure_identity_device_code_credential(
    entra: RunningEmulator, demo: DemoTenant, http: httpx.Client
) -> None:
    from azure.identity import DeviceCodeCredential

    client_id = _device_app(entra, demo)

    def person(verification_uri: str, user_code: str, _expires_on: Any) -> None:
        approve(http, verification_uri, user_code, demo.admin.user_principal_name, demo.admin.password)

    credential = DeviceCodeCredential(
        client_id=client_id,
        tenant_id=demo.tenant_id,
        authority=entra.base_url,
        disable_instance_discovery=True,
        prompt_callback=person,
        connection_verify=str(entra.ca_file),
    )
    token = credential.get_token(demo.api_scope)
    claims = jwt.decode(token.token, options={"verify_signature": False})
    assert claims["oid"] == demo.admin.id
    assert claims["scp"] == "access_as_user"
