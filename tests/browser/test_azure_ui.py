"""The UI with Azure SSO against tessera.entra, as the Azure SSO guide sets it up: the UI is a
single-page application in Entra, signs people in with the authorization code flow and PKCE,
redeems the code from the browser, and calls tessera with an access token for tessera's own
scope. Then the guide's step 10 (the ingestion bot switched to Azure SSO in Settings » Bots),
personal access tokens, renewal, a non-admin's view and signing out at the IdP."""

from __future__ import annotations

import base64
import hashlib
import json
import ssl
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest

from tessera.entra.testing import DemoTenant, DemoUser, RunningEmulator
from tests.browser.conftest import Api, Ui, seed_catalog
from tests.browser.firefox import Firefox
from tests.integration.azure.conftest import azure_env, ingestion_token, person_tokens
from tests.integration.servers import free_port, tessera_server

pytestmark = pytest.mark.browser


@dataclass
class Site:
    base: str
    api: Api
    demo: DemoTenant
    entra: RunningEmulator


def start_site(
    entra: RunningEmulator, tmp_path_factory: pytest.TempPathFactory, *, api_scope: bool
) -> Iterator[Site]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    demo = entra.build_demo_tenant(
        domain=f"ui{uuid.uuid4().hex[:10]}.onmicrosoft.com", spa_redirect_uris=(f"{base}/callback",)
    )
    env = azure_env(entra, demo)
    if api_scope:
        env["TESSERA_AUTH_SCOPES"] = f"openid,profile,email,offline_access,{demo.api_scope}"
    home = tmp_path_factory.mktemp("azure-ui")
    with tessera_server(home, f"sqlite:///{home / 'tessera.db'}", env=env, port=port):
        context = ssl.create_default_context(cafile=str(entra.ca_file))
        with httpx.Client(verify=context, follow_redirects=False, timeout=15) as idp_http:
            token = person_tokens(entra, demo, idp_http, demo.admin)["access_token"]
        api = Api(base, token)
        yield Site(base, api, demo, entra)
        api.close()


@pytest.fixture(scope="module")
def site(entra: RunningEmulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    for started in start_site(entra, tmp_path_factory, api_scope=True):
        me = started.api.ok("GET", "/api/v1/users/loggedInUser")
        seed_catalog(started.api, me["id"])
        yield started


def start_sign_in(ui: Ui, site: Site, path: str = "/explore") -> dict[str, str]:
    """From the UI's sign-in page to Entra's; returns the authorization request's parameters."""
    page = ui.page
    ui.goto(f"{site.base}{path}")
    page.click("#sign-in-microsoft")
    page.wait_for_url(f"{site.demo.authority}/oauth2/v2.0/authorize*")
    return {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}


def enter_password(ui: Ui, user: DemoUser) -> None:
    page = ui.page
    page.fill("#login", user.user_principal_name)
    page.fill("#passwd", user.password)
    page.click("#idSIButton9")


def sign_in(ui: Ui, site: Site, user: DemoUser, path: str = "/explore") -> None:
    start_sign_in(ui, site, path)
    enter_password(ui, user)
    ui.at(f"{site.base}{path}")


def session_of(ui: Ui) -> dict[str, Any]:
    session: dict[str, Any] = json.loads(ui.session_storage()["tessera.session"])
    return session


def claims(token: str) -> dict[str, Any]:
    decoded: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return decoded


def test_azure_sign_in_with_pkce_then_search_and_open_a_table(ui: Ui, site: Site) -> None:
    page = ui.page
    sign_in(ui, site, site.demo.admin)
    assert page.inner_text("main h1") == "Explore"
    # The authorization request: code + PKCE S256, state and nonce, the code in the fragment.
    authorize = next(r for r in ui.requests if "/oauth2/v2.0/authorize?" in r.url)
    params = {k: v[0] for k, v in parse_qs(urlsplit(authorize.url).query).items()}
    assert params["response_type"] == "code"
    assert params["code_challenge_method"] == "S256"
    assert params["response_mode"] == "fragment"
    assert params["redirect_uri"] == f"{site.base}/callback"
    assert site.demo.api_scope in params["scope"].split()
    assert len(params["state"]) >= 16
    assert len(params["nonce"]) >= 16
    # The code was redeemed by the browser, cross-origin, with the page's Origin (Entra's SPA rule).
    redeem = next(r for r in ui.requests if r.url.endswith("/oauth2/v2.0/token") and r.method == "POST")
    form = {k: v[0] for k, v in parse_qs(redeem.post_data).items()}
    assert form["grant_type"] == "authorization_code"
    assert "client_secret" not in form
    verifier = form["code_verifier"]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert challenge == params["code_challenge"]
    assert redeem.all_headers()["origin"] == site.base
    # Tokens in sessionStorage only; the API is called with the access token for tessera's scope.
    session = session_of(ui)
    assert ui.local_storage_keys() == []
    assert session["tokenKind"] == "access_token"
    assert claims(session["token"])["aud"] in (site.demo.api_app_id_uri, site.demo.ui_client_id)
    assert claims(session["idToken"])["nonce"] == params["nonce"]
    assert "code=" not in page.url
    me = next(r for r in ui.requests if "/api/v1/users/loggedInUser" in r.url)
    assert me.headers["authorization"] == f"Bearer {session['token']}"
    # Search and open the table.
    page.fill("#search-q", "orders")
    page.press("#search-q", "Enter")
    ui.at(f"{site.base}/explore?q=orders")
    assert page.inner_text("#result-count").startswith("1 result")
    page.click("#results >> text=orders")
    ui.at(f"{site.base}/tables/warehouse.sales.public.orders")
    assert page.inner_text("main h1") == "orders"
    assert page.inner_text("#owner").startswith(site.demo.admin.display_name)
    rows = page.locator("#columns tbody tr")
    assert rows.nth(0).inner_text().split("\t")[:4] == ["id", "BIGINT", "Primary key", "Order number"]
    placed_at = rows.nth(2).inner_text().split("\t")[:4]
    assert placed_at == ["placed_at", "TIMESTAMP", "", "When the order was placed"]
    assert "PII.Sensitive" in page.inner_text("#tags")
    versions = page.locator("#versions li").all_inner_texts()
    assert [v.split(" · ")[0] for v in versions] == ["Version 0.2", "Version 0.1"]
    assert "changed description" in versions[0] or "added" in versions[0]


STATE_REFUSED = "The sign-in response's state does not match the request, so it was refused. Sign in again."
NONCE_REFUSED = "The ID token's nonce does not match the sign-in request, so it was refused."


def refused_with(ui: Ui, site: Site, reason: str) -> None:
    """Back on the sign-in page, told why, with no session and nothing pending."""
    ui.at(f"{site.base}/signin")
    assert ui.page.inner_text("#notice") == reason
    stored = ui.session_storage()
    assert "tessera.session" not in stored
    assert "tessera.oidc.pending" not in stored
    assert ui.local_storage_keys() == []


def forge_hidden_field(ui: Ui, name: str, value: str) -> None:
    """Changes one of the authorize parameters that Entra's sign-in form carries along."""
    ui.page.locator(f"input[type=hidden][name={name}]").evaluate(
        "(input, value) => (input.value = value)", value
    )


def redemptions(ui: Ui) -> list[Any]:
    return [r for r in ui.requests if r.url.endswith("/oauth2/v2.0/token") and r.method == "POST"]


def test_azure_a_response_with_a_forged_state_is_refused(ui: Ui, site: Site) -> None:
    # A sign-in is under way in this tab; a crafted link lands on the callback with a code and
    # a state of someone else's (RFC 6749 §10.12: login CSRF). The code is never redeemed.
    start_sign_in(ui, site)
    ui.goto(f"{site.base}/callback#code=attackers-code&state=forged-state-0123456789")
    refused_with(ui, site, STATE_REFUSED)
    assert redemptions(ui) == []
    # Again with a real code from Entra, issued for a state this tab never sent: Entra returns
    # whatever state the request carried, so the request's is forged on Entra's page.
    sent = start_sign_in(ui, site)
    forge_hidden_field(ui, "state", "forged-state-0123456789")
    enter_password(ui, site.demo.admin)
    refused_with(ui, site, STATE_REFUSED)
    callback = next(r for r in ui.requests if urlsplit(r.url).path == "/callback" and r.redirected_from)
    location = callback.redirected_from.response().headers["location"]
    returned = {k: v[0] for k, v in parse_qs(urlsplit(location).fragment).items()}
    assert returned["state"] == "forged-state-0123456789" != sent["state"]
    assert returned["code"]
    assert redemptions(ui) == []


def test_azure_an_id_token_for_another_nonce_is_refused(ui: Ui, site: Site) -> None:
    page = ui.page
    # Entra puts the request's nonce in the ID token. Forged on Entra's page, the state and the
    # PKCE verifier still match, so the code is redeemed; only the nonce check can refuse the
    # ID token (OpenID Connect Core §3.1.3.7 item 11: a replayed ID token).
    sent = start_sign_in(ui, site)
    forge_hidden_field(ui, "nonce", "replayed-nonce-0123456789")
    with page.expect_response(lambda r: r.url.endswith("/oauth2/v2.0/token")) as redeemed:
        enter_password(ui, site.demo.admin)
    assert redeemed.value.status == 200
    id_token = redeemed.value.json()["id_token"]
    assert claims(id_token)["nonce"] == "replayed-nonce-0123456789" != sent["nonce"]
    refused_with(ui, site, NONCE_REFUSED)
    assert len(redemptions(ui)) == 1


def test_azure_switch_the_ingestion_bot_to_azure_sso(ui: Ui, site: Site) -> None:
    page = ui.page
    demo = site.demo
    sign_in(ui, site, demo.admin)
    page.click("nav >> text=Bots")
    ui.at(f"{site.base}/settings/bots")
    page.click("#bots >> text=Ingestion Bot")
    ui.at(f"{site.base}/settings/bots/ingestion-bot")
    page.select_option("#auth-type", "SSO")
    assert page.is_hidden("#jwt-section")
    page.fill("#bot-email", f"{demo.ingestion_object_id}@{demo.domain}")
    page.fill("#client-secret", demo.ingestion_secret)
    page.fill("#client-id", demo.ingestion_client_id)
    page.fill("#authority", demo.authority)
    page.fill("#scopes", demo.ingestion_scope)
    page.click("#save-bot")
    page.wait_for_selector("#form-status .message-success")
    # OpenMetadata's calls, in OpenMetadata's order: PUT /users, then PUT /bots.
    puts = [r for r in ui.requests if r.method == "PUT" and "/api/v1/" in r.url]
    assert [urlsplit(r.url).path for r in puts] == ["/api/v1/users", "/api/v1/bots"]
    saved = json.loads(puts[0].post_data)
    assert saved["isBot"] is True
    assert saved["botName"] == "ingestion-bot"
    assert saved["authenticationMechanism"] == {
        "authType": "SSO",
        "config": {
            "ssoServiceType": "azure",
            "authConfig": {
                "clientId": demo.ingestion_client_id,
                "clientSecret": demo.ingestion_secret,
                "authority": demo.authority,
                "scopes": [demo.ingestion_scope],
            },
        },
    }
    assert json.loads(puts[1].post_data)["botUser"] == "ingestion-bot"
    page.click("nav >> text=Bots")
    ui.at(f"{site.base}/settings/bots")
    assert f"Azure SSO ({demo.ingestion_client_id})" in page.inner_text("#bots")
    page.click("#bots >> text=Ingestion Bot")
    ui.at(f"{site.base}/settings/bots/ingestion-bot")
    # Reloaded: Azure SSO, the secret masked.
    page.reload()
    ui.settled()
    assert page.input_value("#auth-type") == "SSO"
    assert page.input_value("#client-secret") == "*********"
    assert page.input_value("#client-id") == demo.ingestion_client_id
    assert page.input_value("#bot-email") == f"{demo.ingestion_object_id}@{demo.domain}"
    # And it works: the ingestion application's client-credentials token acts as the bot.
    token = ingestion_token(site.entra, demo)
    assert site.api.call("GET", "/api/v1/tables", token=token).status_code == 200
    # Saving again with the mask keeps the stored secret.
    page.click("#save-bot")
    page.wait_for_selector("#form-status .message-success")
    assert site.api.call("GET", "/api/v1/tables", token=ingestion_token(site.entra, demo)).status_code == 200


def test_azure_personal_access_token_create_copy_and_revoke(ui: Ui, site: Site) -> None:
    ui.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.base)
    page = ui.page
    sign_in(ui, site, site.demo.admin)
    page.click("nav >> text=Ada Admin")
    ui.at(f"{site.base}/profile")
    page.fill("#pat-name", "ci-pipeline")
    page.select_option("#pat-expiry", "7")
    page.click("#pat-create")
    page.wait_for_selector("#pat-token")
    token = page.input_value("#pat-token")
    assert "shown only this once" in page.inner_text("#pat-output")
    page.click("#pat-token-copy")
    page.wait_for_selector("#pat-output >> text=Copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == token
    me = site.api.call("GET", "/api/v1/users/loggedInUser", token=token)
    assert me.status_code == 200, me.text
    assert me.json()["email"] == site.demo.admin.user_principal_name.lower()
    # Shown once: after a reload only its name and expiry remain.
    page.reload()
    ui.settled()
    assert page.locator("#pat-token").count() == 0
    assert "ci-pipeline" in page.inner_text("#pats")
    page.click("#pats button[aria-label='Revoke ci-pipeline']")
    page.click("dialog[open] button[value=confirm]")
    page.wait_for_selector("#pat-status >> text=revoked")
    assert page.locator("#pats >> text=ci-pipeline").count() == 0
    assert page.evaluate("document.activeElement.closest('#pat-status') !== null")
    refused = site.api.call("GET", "/api/v1/users/loggedInUser", token=token)
    assert refused.status_code == 401
    assert refused.json()["message"] == "Not Authorized! Personal access token was revoked"


def test_azure_non_admin_sees_no_bots_and_gets_a_403_on_the_url(ui: Ui, site: Site) -> None:
    ui.console.expect_http(403)
    page = ui.page
    alice = site.demo.users[1]
    sign_in(ui, site, alice)
    nav = page.inner_text("nav")
    assert "Bots" not in nav
    assert "Settings" not in nav
    assert "Audit log" not in nav
    assert "Explore" in nav
    for path in ("/settings/bots", "/settings/bots/ingestion-bot"):
        ui.goto(f"{site.base}{path}")
        assert page.inner_text("main h1") == "Not allowed"
        shown = page.inner_text("main [role=alert]")
        assert shown.startswith("403 Forbidden.")
        assert shown == (
            "403 Forbidden. Only administrators can see how bots and other users sign in; "
            f"{alice.user_principal_name.lower()} is not an administrator"
        )


def test_azure_session_is_renewed_with_the_refresh_token(ui: Ui, site: Site) -> None:
    page = ui.page
    sign_in(ui, site, site.demo.admin)
    before = session_of(ui)
    # As if the access token had 20 seconds left: renewed at once, from the browser.
    page.evaluate(
        """() => {
            const s = JSON.parse(sessionStorage.getItem('tessera.session'));
            s.expiresAt = Date.now() + 20000;
            sessionStorage.setItem('tessera.session', JSON.stringify(s));
        }"""
    )
    with page.expect_request(lambda r: r.url.endswith("/oauth2/v2.0/token")) as renewal:
        page.reload()
    form = {k: v[0] for k, v in parse_qs(renewal.value.post_data).items()}
    assert form["grant_type"] == "refresh_token"
    assert form["refresh_token"] == before["refreshToken"]
    page.wait_for_function(
        "(old) => JSON.parse(sessionStorage.getItem('tessera.session')).token !== old", arg=before["token"]
    )
    after = session_of(ui)
    assert after["refreshToken"] != before["refreshToken"]  # Entra rotates refresh tokens
    assert after["expiresAt"] > before["expiresAt"]
    page.click("nav >> text=Browse")
    ui.at(f"{site.base}/browse")
    assert site.api.call("GET", "/api/v1/users/loggedInUser", token=after["token"]).status_code == 200


def test_azure_sign_out_ends_the_session_at_the_idp(ui: Ui, site: Site) -> None:
    page = ui.page
    sign_in(ui, site, site.demo.admin)
    page.click("#sign-out")
    ui.at(f"{site.base}/signin")
    logout = next(r for r in ui.requests if "/oauth2/v2.0/logout" in r.url)
    params = {k: v[0] for k, v in parse_qs(urlsplit(logout.url).query).items()}
    assert params["post_logout_redirect_uri"] == f"{site.base}/callback"
    assert params["client_id"] == site.demo.ui_client_id
    assert page.inner_text("#notice") == "You are signed out of tessera and of Microsoft Entra ID."
    assert "tessera.session" not in ui.session_storage()
    # Signed out at the IdP too: signing in again asks for the password instead of passing.
    page.click("#sign-in-microsoft")
    page.wait_for_url(f"{site.demo.authority}/oauth2/v2.0/authorize*")
    assert page.is_visible("#passwd")


def test_azure_sign_in_and_out_in_firefox(firefox_page: Firefox, site: Site) -> None:
    """Debian's Firefox: code + PKCE (S256) through tessera.entra, redeemed from the page, the
    API called with the access token, then signing out at the IdP."""
    browser = firefox_page
    user = site.demo.admin
    ready = "document.documentElement.dataset.state === 'ready'"
    at_entra = f"location.href.startsWith({json.dumps(site.demo.authority + '/oauth2/v2.0/authorize?')})"
    browser.goto(f"{site.base}/explore")
    browser.wait_for(f"{ready} && !!document.querySelector('#sign-in-microsoft')")
    browser.evaluate("document.querySelector('#sign-in-microsoft').click(); true")
    browser.wait_for(f"{at_entra} && !!document.querySelector('#passwd')")
    authorize = urlsplit(browser.evaluate("location.href"))
    params = {k: v[0] for k, v in parse_qs(authorize.query).items()}
    assert params["response_type"] == "code"
    assert params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) == 43
    assert params["redirect_uri"] == f"{site.base}/callback"
    browser.evaluate(
        f"document.querySelector('#login').value = {json.dumps(user.user_principal_name)};"
        f"document.querySelector('#passwd').value = {json.dumps(user.password)};"
        "document.querySelector('#idSIButton9').click(); true"
    )
    browser.wait_for(
        f"location.origin === {json.dumps(site.base)} && location.pathname === '/explore' && {ready}"
        " && document.querySelector('main h1')?.textContent === 'Explore'"
    )
    assert browser.evaluate("location.hash") == ""
    session = json.loads(browser.evaluate("sessionStorage.getItem('tessera.session')"))
    assert session["tokenKind"] == "access_token"
    assert claims(session["idToken"])["nonce"] == params["nonce"]
    assert "tessera.oidc.pending" not in browser.evaluate("Object.keys(sessionStorage)")
    assert browser.evaluate("Object.keys(localStorage).length") == 0
    # The page's API calls carried the token: the navigation names the signed-in person.
    assert user.display_name in browser.evaluate("document.querySelector('nav').textContent")
    assert site.api.call("GET", "/api/v1/users/loggedInUser", token=session["token"]).status_code == 200
    # Signing out ends the session at Entra too, which returns to the callback, then sign-in.
    browser.evaluate("document.querySelector('#sign-out').click(); true")
    browser.wait_for(
        f"location.origin === {json.dumps(site.base)} && location.pathname === '/signin' && {ready}"
        " && !!document.querySelector('#notice')"
    )
    notice = browser.evaluate("document.querySelector('#notice').textContent")
    assert notice == "You are signed out of tessera and of Microsoft Entra ID."
    assert browser.evaluate("sessionStorage.getItem('tessera.session')") is None
    browser.evaluate("document.querySelector('#sign-in-microsoft').click(); true")
    browser.wait_for(f"{at_entra} && !!document.querySelector('#passwd')")
    assert browser.errors() == []


@pytest.fixture(scope="module")
def id_token_site(entra: RunningEmulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from start_site(entra, tmp_path_factory, api_scope=False)


def test_azure_without_an_api_scope_the_id_token_is_sent(ui: Ui, id_token_site: Site) -> None:
    site = id_token_site
    page = ui.page
    sign_in(ui, site, site.demo.users[1], path="/browse")
    session = session_of(ui)
    assert session["tokenKind"] == "id_token"
    assert session["token"] == session["idToken"]
    assert claims(session["token"])["aud"] == site.demo.ui_client_id
    assert page.inner_text("main h1") == "Database services"
    csp = site.api.http.get("/").headers["content-security-policy"]
    assert f"connect-src 'self' {site.entra.base_url};" in csp
    # At another origin than the registered redirect URI's, the sign-in page says where to go.
    elsewhere = site.base.replace("127.0.0.1", "localhost")
    ui.goto(f"{elsewhere}/browse")
    assert page.locator("#sign-in-microsoft").count() == 0
    assert f"Sign-in returns to {site.base}/callback" in page.inner_text("main")
    assert page.get_attribute("main .message a", "href") == site.base
