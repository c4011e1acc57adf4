"""Authorization code + PKCE with MSAL Python's PublicClientApplication, driven by a test that
fills in the sign-in form; silent refresh; and the failures Entra reports on this path."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest

from tessera.entra.testing import DemoTenant, RunningEmulator

from .conftest import answer, confidential, new_demo, public, sign_in, start_flow

NATIVE_REDIRECT = "http://localhost:8400"


def _native_client(entra: RunningEmulator, demo: DemoTenant) -> str:
    """A desktop app (publicClient redirect) allowed to call the demo API on users' behalf."""
    created = entra.create_app(demo.tenant_id, "desktop", public_client_redirect_uris=["http://localhost"])
    entra.service.add_permission(
        demo.tenant_id, created["appId"], demo.ui_client_id, scopes=["access_as_user"]
    )
    entra.service.grant_admin_consent(demo.tenant_id, created["appId"])
    return str(created["appId"])


def _login(
    entra: RunningEmulator, demo: DemoTenant, http: httpx.Client, scopes: list[str]
) -> tuple[Any, dict[str, Any]]:
    client_id = _native_client(entra, demo)
    app = public(entra, client_id, demo.authority)
    flow = start_flow(app, scopes, NATIVE_REDIRECT, login_hint=demo.admin.user_principal_name)
    result = sign_in(http, flow["auth_uri"], demo.admin.user_principal_name, demo.admin.password)
    assert "code" in result.params, result.params
    tokens = app.acquire_token_by_auth_code_flow(flow, result.params)
    assert "access_token" in tokens, tokens
    return app, tokens


def test_msal_public_client_auth_code_pkce(
    entra: RunningEmulator, demo: DemoTenant, http: httpx.Client
) -> None:
    app, tokens = _login(entra, demo, http, [demo.api_scope])
    assert tokens["token_type"] == "Bearer"
    assert tokens["scope"] == demo.api_scope
    assert "refresh_token" in tokens
    claims = tokens["id_token_claims"]
    assert claims["tid"] == demo.tenant_id
    assert claims["oid"] == demo.admin.id
    assert claims["preferred_username"] == demo.admin.user_principal_name
    assert claims["iss"] == f"{demo.authority}/v2.0"
    # client_info keys the account by uid.utid, as with Entra.
    info = json.loads(base64.urlsafe_b64decode(tokens["client_info"] + "=="))
    assert info == {"uid": demo.admin.id, "utid": demo.tenant_id}
    account = app.get_accounts()[0]
    assert account["home_account_id"] == f"{demo.admin.id}.{demo.tenant_id}"
    access = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert access["ver"] == "1.0"  # the API did not ask for v2 tokens
    assert access["aud"] == demo.api_app_id_uri
    assert access["scp"] == "access_as_user"
    assert access["oid"] == demo.admin.id
    # Pairwise: the same user has a different `sub` for each app.
    assert access["sub"] != claims["sub"]


def test_silent_refresh_rotates_and_old_tokens_stay_valid(
    entra: RunningEmulator, demo: DemoTenant, http: httpx.Client
) -> None:
    app, tokens = _login(entra, demo, http, [demo.api_scope])
    account = app.get_accounts()[0]
    first_rt = tokens["refresh_token"]
    silent = app.acquire_token_silent([demo.api_scope], account, force_refresh=True)
    assert silent is not None
    assert "access_token" in silent, silent
    assert silent["access_token"] != tokens["access_token"]
    # Entra: a refresh token stays valid until it expires or is revoked, rotation or not.
    again = app.acquire_token_by_refresh_token(first_rt, [demo.api_scope])
    assert "access_token" in again, again
    assert again["refresh_token"] != first_rt


def test_refresh_token_reuse_revokes_the_family_when_the_tenant_asks(
    entra: RunningEmulator, demo: DemoTenant, http: httpx.Client
) -> None:
    settings = entra.service.update_tenant(demo.tenant_id, refresh_token_reuse="revokeFamily")
    assert settings["settings"] == {"refreshTokenReuse": "revokeFamily"}
    app, tokens = _login(entra, demo, http, [demo.api_scope])
    account = app.get_accounts()[0]
    first_rt = tokens["refresh_token"]
    assert "access_token" in (app.acquire_token_silent([demo.api_scope], account, force_refresh=True) or {})
    reused = app.acquire_token_by_refresh_token(first_rt, [demo.api_scope])
    assert reused["error"] == "invalid_grant"
    assert reused["error_codes"] == [50173]
    again = app.acquire_token_silent_with_error([demo.api_scope], account, force_refresh=True)
    assert again is not None
    assert again["error_codes"] == [50173]


def test_code_redeemed_twice(entra: RunningEmulator, demo: DemoTenant, http: httpx.Client) -> None:
    client_id = _native_client(entra, demo)
    app = public(entra, client_id, demo.authority)
    flow = start_flow(app, [demo.api_scope], NATIVE_REDIRECT)
    params = sign_in(http, flow["auth_uri"], demo.admin.user_principal_name, demo.admin.password).params
    assert "access_token" in app.acquire_token_by_auth_code_flow(dict(flow), params)
    second = app.acquire_token_by_auth_code_flow(dict(flow), params)
    assert second["error"] == "invalid_grant"
    assert second["error_codes"] == [54005]
    assert second["error_description"].startswith(
        "AADSTS54005: OAuth2 Authorization code was already redeemed"
    )


def test_pkce_mismatch(entra: RunningEmulator, demo: DemoTenant, http: httpx.Client) -> None:
    client_id = _native_client(entra, demo)
    app = public(entra, client_id, demo.authority)
    flow = start_flow(app, [demo.api_scope], NATIVE_REDIRECT)
    params = sign_in(http, flow["auth_uri"], demo.admin.user_principal_name, demo.admin.password).params
    flow["code_verifier"] = "x" * 43
    result = app.acquire_token_by_auth_code_flow(flow, params)
    assert result["error"] == "invalid_grant"
    assert result["error_codes"] == [501481]
    assert "Code_Verifier does not match the code_challenge" in result["error_description"]


def test_wrong_password_and_unknown_user_stay_on_the_page(
    entra: RunningEmulator, demo: DemoTenant, http: httpx.Client
) -> None:
    client_id = _native_client(entra, demo)
    flow = start_flow(public(entra, client_id, demo.authority), [demo.api_scope], NATIVE_REDIRECT)
    wrong = sign_in(http, flow["auth_uri"], demo.admin.user_principal_name, "not-the-password")
    assert wrong.response.status_code == 200
    assert "AADSTS50126" in wrong.response.text
    nobody = sign_in(http, flow["auth_uri"], f"nobody@{demo.domain}", "x")
    assert "AADSTS50034" in nobody.response.text


def test_redirect_uri_mismatch_is_an_error_page(
    entra: RunningEmulator, demo: DemoTenant, http: httpx.Client
) -> None:
    url = (
        f"{demo.authority}/oauth2/v2.0/authorize?client_id={demo.ui_client_id}&response_type=code"
        "&redirect_uri=https://evil.example/cb&scope=openid"
    )
    page = http.get(url)
    assert page.status_code == 400
    assert "text/html" in page.headers["content-type"]
    assert (
        "AADSTS50011: The redirect URI &#39;https://evil.example/cb&#39; specified in the request"
        in page.text
    )
    unknown = http.get(url.replace(demo.ui_client_id, "11111111-2222-3333-4444-555555555555"))
    assert "AADSTS700016" in unknown.text


def test_localhost_redirect_port_is_ignored(
    entra: RunningEmulator, demo: DemoTenant, http: httpx.Client
) -> None:
    client_id = _native_client(entra, demo)  # registered as http://localhost
    app = public(entra, client_id, demo.authority)
    flow = start_flow(app, [demo.api_scope], "http://localhost:53211")
    result = sign_in(http, flow["auth_uri"], demo.admin.user_principal_name, demo.admin.password)
    assert 'action="http://localhost:53211"' in result.response.text
    assert "code" in result.params


def test_consent_missing(entra: RunningEmulator, demo: DemoTenant, http: httpx.Client) -> None:
    # An app with a permission on the API but no consent: interactive sign-in asks, silent fails.
    client = entra.create_app(demo.tenant_id, "unconsented", public_client_redirect_uris=["http://localhost"])
    app = public(entra, client["appId"], demo.authority)
    flow = start_flow(app, [demo.api_scope], NATIVE_REDIRECT, prompt="none")
    # No session yet: prompt=none gets login_required back at the redirect URI.
    silent = answer(http.get(flow["auth_uri"]))
    assert silent["error"] == "login_required"
    # Sign in without consenting to the API (only the OpenID scopes), then ask silently for it.
    first = start_flow(app, [], NATIVE_REDIRECT)
    params = sign_in(http, first["auth_uri"], demo.admin.user_principal_name, demo.admin.password).params
    tokens = app.acquire_token_by_auth_code_flow(first, params)
    assert "refresh_token" in tokens, tokens
    refreshed = app.acquire_token_by_refresh_token(tokens["refresh_token"], [demo.api_scope])
    assert refreshed["error"] == "invalid_grant"
    assert refreshed["error_codes"] == [65001]
    assert refreshed["suberror"] == "consent_required"
    assert refreshed["error_description"].startswith(
        f"AADSTS65001: The user or administrator has not consented to use the application with ID "
        f"'{client['appId']}' named 'unconsented'."
    )
    flow = start_flow(app, [demo.api_scope], NATIVE_REDIRECT, prompt="none")
    silent = answer(http.get(flow["auth_uri"]))
    assert silent["error"] == "consent_required"
    assert silent["suberror"] == "consent_required"
    # Interactively, the user is asked and can consent.
    flow = start_flow(app, [demo.api_scope], NATIVE_REDIRECT)
    page = http.get(flow["auth_uri"])
    assert page.status_code == 200
    assert 'id="consent"' in page.text
    result = sign_in(http, flow["auth_uri"], "", "")
    assert "access_token" in app.acquire_token_by_auth_code_flow(flow, result.params)


def test_sso_session_and_prompt_none(entra: RunningEmulator, demo: DemoTenant, http: httpx.Client) -> None:
    app, _ = _login(entra, demo, http, [demo.api_scope])
    flow = start_flow(app, [demo.api_scope], NATIVE_REDIRECT, prompt="none")
    params = answer(http.get(flow["auth_uri"]))
    assert "code" in params
    assert "access_token" in app.acquire_token_by_auth_code_flow(flow, params)
    logout = http.get(
        f"{demo.authority}/oauth2/v2.0/logout",
        params={"post_logout_redirect_uri": "http://localhost:8400/", "state": "s1"},
    )
    assert logout.status_code == 302
    assert logout.headers["location"] == "http://localhost:8400/?state=s1"
    flow = start_flow(app, [demo.api_scope], NATIVE_REDIRECT, prompt="none")
    assert answer(http.get(flow["auth_uri"]))["error"] == "login_required"


def test_logout_never_redirects_to_an_unregistered_uri(
    entra: RunningEmulator, demo: DemoTenant, http: httpx.Client
) -> None:
    app, _ = _login(entra, demo, http, [demo.api_scope])
    for extra in ({}, {"client_id": demo.ui_client_id}):
        signed_out = http.get(
            f"{demo.authority}/oauth2/v2.0/logout",
            params={"post_logout_redirect_uri": "https://evil.example/after", "state": "s1", **extra},
        )
        # The signed-out page, not an open redirect.
        assert signed_out.status_code == 200
        assert "location" not in signed_out.headers
        assert "evil.example" not in signed_out.text
        assert "You signed out of your account" in signed_out.text
    # The session is over all the same.
    flow = start_flow(app, [demo.api_scope], NATIVE_REDIRECT, prompt="none")
    assert answer(http.get(flow["auth_uri"]))["error"] == "login_required"


def test_idtyp_optional_claim_on_the_apps_own_api(
    entra: RunningEmulator, demo: DemoTenant, http: httpx.Client
) -> None:
    """The API (the UI app's exposed API) asks for ``idtyp``: app-only tokens say "app", user
    tokens "user"; without the optional claim neither has it."""
    app, tokens = _login(entra, demo, http, [demo.api_scope])
    assert "idtyp" not in jwt.decode(tokens["access_token"], options={"verify_signature": False})
    entra.service.update_app(demo.tenant_id, demo.ui_client_id, optional_claims={"accessToken": ["idtyp"]})
    silent = app.acquire_token_silent([demo.api_scope], app.get_accounts()[0], force_refresh=True)
    assert silent is not None
    user = jwt.decode(silent["access_token"], options={"verify_signature": False})
    assert user["idtyp"] == "user"
    assert user["aud"] == demo.api_app_id_uri
    ingestion = confidential(entra, demo.ingestion_client_id, demo.ingestion_secret, demo.authority)
    result = ingestion.acquire_token_for_client([demo.api_default_scope])
    assert "access_token" in result, result
    app_only = jwt.decode(result["access_token"], options={"verify_signature": False})
    assert app_only["idtyp"] == "app"
    assert app_only["oid"] == demo.ingestion_object_id


def test_user_not_assigned(entra: RunningEmulator, demo: DemoTenant, http: httpx.Client) -> None:
    client_id = _native_client(entra, demo)
    entra.service.update_app(demo.tenant_id, client_id, assignment_required=True)
    app = public(entra, client_id, demo.authority)
    flow = start_flow(app, [demo.api_scope], NATIVE_REDIRECT)
    page = sign_in(http, flow["auth_uri"], demo.admin.user_principal_name, demo.admin.password).response
    assert page.status_code == 400
    assert "AADSTS50105" in page.text
    entra.service.assign_user(demo.tenant_id, client_id, demo.admin.user_principal_name)
    result = sign_in(http, flow["auth_uri"], demo.admin.user_principal_name, demo.admin.password)
    assert "code" in result.params


def _spa_code(entra: RunningEmulator, demo: DemoTenant, http: httpx.Client, **extra: str) -> dict[str, str]:
    params = {
        "client_id": demo.ui_client_id,
        "response_type": "code",
        "redirect_uri": demo.ui_redirect_uri,
        "scope": f"{demo.api_scope} openid profile offline_access",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
        "state": "xyz",
        **extra,
    }
    url = str(httpx.URL(f"{demo.authority}/oauth2/v2.0/authorize", params=params))
    return sign_in(http, url, demo.admin.user_principal_name, demo.admin.password).params


VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"  # RFC 7636 appendix B


def _redeem(
    demo: DemoTenant, http: httpx.Client, code: str, headers: dict[str, str], **extra: str
) -> httpx.Response:
    return http.post(
        f"{demo.authority}/oauth2/v2.0/token",
        data={
            "client_id": demo.ui_client_id,
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": demo.ui_redirect_uri,
            "code_verifier": VERIFIER,
            "scope": demo.api_scope,
            **extra,
        },
        headers=headers,
    )


def test_spa_origin_rules(entra: RunningEmulator, demo: DemoTenant, http: httpx.Client) -> None:
    code = _spa_code(entra, demo, http)["code"]
    no_origin = _redeem(demo, http, code, {})
    assert no_origin.status_code == 400
    assert no_origin.json()["error_codes"] == [9002327]
    assert no_origin.json()["error"] == "invalid_request"
    ok = _redeem(demo, http, code, {"Origin": "http://localhost:8585"})
    assert ok.status_code == 200, ok.text
    assert ok.headers["access-control-allow-origin"] in ("*", "http://localhost:8585")
    assert ok.json()["refresh_token_expires_in"] == 86400
    # The SPA refresh token, too, only cross-origin.
    rt = ok.json()["refresh_token"]
    refresh = {"client_id": demo.ui_client_id, "grant_type": "refresh_token", "refresh_token": rt}
    assert http.post(f"{demo.authority}/oauth2/v2.0/token", data=refresh).json()["error_codes"] == [9002327]
    # Cross-origin redemption without PKCE.
    bare = _spa_code(entra, demo, http, code_challenge="", code_challenge_method="")["code"]
    no_pkce = _redeem(demo, http, bare, {"Origin": "http://localhost:8585"})
    assert no_pkce.json()["error_codes"] == [9002325]


def test_origin_on_a_non_spa_code(entra: RunningEmulator, demo: DemoTenant, http: httpx.Client) -> None:
    client_id = _native_client(entra, demo)
    app = public(entra, client_id, demo.authority)
    flow = start_flow(app, [demo.api_scope], NATIVE_REDIRECT)
    params = sign_in(http, flow["auth_uri"], demo.admin.user_principal_name, demo.admin.password).params
    response = http.post(
        f"{demo.authority}/oauth2/v2.0/token",
        data={
            "client_id": client_id,
            "grant_type": "authorization_code",
            "code": params["code"],
            "redirect_uri": NATIVE_REDIRECT,
            "code_verifier": flow["code_verifier"],
        },
        headers={"Origin": "https://app.example"},
    )
    body = response.json()
    assert body["error_codes"] == [9002326]
    assert body["error_description"].startswith(
        "AADSTS9002326: Cross-origin token redemption is permitted only for the 'Single-Page "
        "Application' client-type. Request origin: 'https://app.example'."
    )


def test_spa_refresh_token_has_a_fixed_lifetime(fresh_entra: RunningEmulator) -> None:
    from .conftest import tls_context

    demo = new_demo(fresh_entra)
    with httpx.Client(verify=tls_context(fresh_entra), follow_redirects=False) as http:
        code = _spa_code(fresh_entra, demo, http)["code"]
        origin = {"Origin": "http://localhost:8585"}
        rt = _redeem(demo, http, code, origin).json()["refresh_token"]
        clock = fresh_entra.clock
        assert hasattr(clock, "advance")
        clock.advance(23 * 3600)
        form = {"client_id": demo.ui_client_id, "grant_type": "refresh_token", "refresh_token": rt}
        rotated = http.post(f"{demo.authority}/oauth2/v2.0/token", data=form, headers=origin).json()
        assert "access_token" in rotated, rotated
        clock.advance(2 * 3600)
        form["refresh_token"] = rotated["refresh_token"]
        expired = http.post(f"{demo.authority}/oauth2/v2.0/token", data=form, headers=origin).json()
        assert expired["error_codes"] == [700084]


def test_expired_code(fresh_entra: RunningEmulator) -> None:
    from .conftest import tls_context

    demo = new_demo(fresh_entra)
    with httpx.Client(verify=tls_context(fresh_entra), follow_redirects=False) as http:
        code = _spa_code(fresh_entra, demo, http)["code"]
        fresh_entra.clock.advance(11 * 60)  # type: ignore[attr-defined]
        body = _redeem(demo, http, code, {"Origin": "http://localhost:8585"}).json()
        assert body["error_codes"] == [70008]


@pytest.mark.parametrize("mode", ["query", "fragment", "form_post"])
def test_response_modes(entra: RunningEmulator, demo: DemoTenant, http: httpx.Client, mode: str) -> None:
    client_id = _native_client(entra, demo)
    app = public(entra, client_id, demo.authority)
    if mode != "form_post":
        with pytest.warns(UserWarning, match="form_post"):
            flow = start_flow(app, [demo.api_scope], NATIVE_REDIRECT, response_mode=mode)
    else:
        flow = start_flow(app, [demo.api_scope], NATIVE_REDIRECT, response_mode=mode)
    result = sign_in(http, flow["auth_uri"], demo.admin.user_principal_name, demo.admin.password)
    if mode != "form_post":
        # The code travels in the query or in the fragment, never in the other one.
        location = urlsplit(result.response.headers["location"])
        carrier, other = (location.query, location.fragment)[:: 1 if mode == "query" else -1]
        assert "code" in parse_qs(carrier)
        assert other == ""
        assert (location.scheme, location.netloc) == ("http", "localhost:8400")
        assert "access_token" in app.acquire_token_by_auth_code_flow(flow, result.params)
    else:
        assert result.response.status_code == 200
        assert f'action="{NATIVE_REDIRECT}"' in result.response.text
        assert 'name="code"' in result.response.text


def test_msal_rejects_nothing_of_the_account_cache(
    entra: RunningEmulator, demo: DemoTenant, http: httpx.Client
) -> None:
    app, _ = _login(entra, demo, http, [demo.api_scope])
    accounts = app.get_accounts(username=demo.admin.user_principal_name)
    assert len(accounts) == 1
    cached = app.acquire_token_silent([demo.api_scope], accounts[0])
    assert cached is not None
    assert cached["token_source"] == "cache"


def test_organizations_authority(entra: RunningEmulator, demo: DemoTenant, http: httpx.Client) -> None:
    client_id = _native_client(entra, demo)
    single = public(entra, client_id, entra.authority("organizations"))
    flow = start_flow(single, [demo.api_scope], NATIVE_REDIRECT)
    page = http.get(flow["auth_uri"])
    assert page.status_code == 400
    assert "AADSTS50194" in page.text  # a single-tenant app on a multi-tenant endpoint
    entra.service.update_app(demo.tenant_id, client_id, sign_in_audience="AzureADMultipleOrgs")
    app = public(entra, client_id, entra.authority("organizations"))
    flow = start_flow(app, [demo.api_scope], NATIVE_REDIRECT)
    params = sign_in(http, flow["auth_uri"], demo.admin.user_principal_name, demo.admin.password).params
    tokens = app.acquire_token_by_auth_code_flow(flow, params)
    assert tokens["id_token_claims"]["iss"] == f"{demo.authority}/v2.0"  # the user's tenant
    assert tokens["id_token_claims"]["tid"] == demo.tenant_id
    account = app.get_accounts()[0]
    silent = app.acquire_token_silent([demo.api_scope], account, force_refresh=True)
    assert silent is not None
    assert "access_token" in silent


def test_web_app_is_a_confidential_client(
    entra: RunningEmulator, demo: DemoTenant, http: httpx.Client
) -> None:
    from .conftest import confidential

    web = entra.create_app(demo.tenant_id, "web", web_redirect_uris=["https://app.example/signin-oidc"])
    secret = entra.add_secret(demo.tenant_id, web["appId"])["secretText"]
    entra.service.add_permission(demo.tenant_id, web["appId"], demo.ui_client_id, scopes=["access_as_user"])
    entra.service.grant_admin_consent(demo.tenant_id, web["appId"])
    app = confidential(entra, web["appId"], secret, demo.authority)
    flow = start_flow(app, [demo.api_scope], "https://app.example/signin-oidc")
    params = sign_in(http, flow["auth_uri"], demo.admin.user_principal_name, demo.admin.password).params
    tokens = app.acquire_token_by_auth_code_flow(dict(flow), params)
    assert jwt.decode(tokens["access_token"], options={"verify_signature": False})["appidacr"] == "1"
    # The same code flow without the secret: a web redirect URI means a confidential client.
    flow = start_flow(app, [demo.api_scope], "https://app.example/signin-oidc")
    params = sign_in(http, flow["auth_uri"], demo.admin.user_principal_name, demo.admin.password).params
    without = public(entra, web["appId"], demo.authority).acquire_token_by_auth_code_flow(dict(flow), params)
    assert without["error"] == "invalid_client"
    assert without["error_codes"] == [7000218]


def test_public_client_sending_a_secret(entra: RunningEmulator, demo: DemoTenant, http: httpx.Client) -> None:
    from .conftest import confidential

    client_id = _native_client(entra, demo)
    secret = entra.add_secret(demo.tenant_id, client_id)["secretText"]
    app = confidential(entra, client_id, secret, demo.authority)
    flow = start_flow(app, [demo.api_scope], NATIVE_REDIRECT)
    params = sign_in(http, flow["auth_uri"], demo.admin.user_principal_name, demo.admin.password).params
    result = app.acquire_token_by_auth_code_flow(flow, params)
    assert result["error"] == "invalid_client"
    assert result["error_codes"] == [700025]
    assert result["error_description"].startswith(
        "AADSTS700025: Client is public so neither 'client_assertion' nor 'client_secret' should be "
        "presented."
    )
