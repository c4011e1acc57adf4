"""The UI with basic authentication: sign-in, the server's wrong-password and throttling answer,
a 401 that returns the person to sign-in with the reason, users (delete, and the default
administrator), the audit log, browsing, renewal, keyboard and small screens, and the HTTP
side (CSP and the other headers, caching, client-side routing)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tessera.users.accounts import INVALID_LOGIN
from tests.browser.conftest import Api, Ui, basic_password, seed_catalog, unique
from tests.browser.firefox import Firefox
from tests.integration.servers import tessera_server

pytestmark = pytest.mark.browser

ROOT_PASSWORD = "Str0ng!Root-passw0rd"
USER_PASSWORD = "Str0ng!User-passw0rd"


@dataclass
class Site:
    base: str
    api: Api
    home: Path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    home = tmp_path_factory.mktemp("basic-ui")
    env = {"AUTHENTICATION_PROVIDER": "basic", "OM_MAX_FAILED_LOGIN_ATTEMPTS": "3"}
    with tessera_server(home, f"sqlite:///{home / 'tessera.db'}", env=env) as base:
        first = (home / "initial-admin-password").read_text().strip()
        login = httpx.post(
            f"{base}/api/v1/users/login",
            json={"email": "admin", "password": basic_password(first)},
            timeout=15,
        )
        api = Api(base, login.json()["accessToken"])
        # The tests sign in as a second administrator, so that one of them can delete the
        # default one.
        root = api.ok(
            "PUT",
            "/api/v1/users",
            json={
                "name": "root",
                "email": "root@example.com",
                "displayName": "Root Admin",
                "password": ROOT_PASSWORD,
                "isAdmin": True,
            },
        )
        signed_in = httpx.post(
            f"{base}/api/v1/users/login",
            json={"email": "root", "password": basic_password(ROOT_PASSWORD)},
            timeout=15,
        )
        api.token = signed_in.json()["accessToken"]
        seed_catalog(api, root["id"])
        yield Site(base, api, home)
        api.close()


def create_user(site: Site, name: str, **extra: object) -> dict[str, object]:
    body = {"name": name, "email": f"{name}@example.com", "password": USER_PASSWORD, **extra}
    user: dict[str, object] = site.api.ok("PUT", "/api/v1/users", json=body)
    return user


def sign_in(ui: Ui, site: Site, login: str = "root", password: str = ROOT_PASSWORD, path: str = "/") -> None:
    page = ui.page
    ui.goto(f"{site.base}{path}")
    page.fill("#email", login)
    page.fill("#password", password)
    page.click("#sign-in")
    page.wait_for_function("() => !location.pathname.startsWith('/signin')")
    ui.settled()


def test_basic_sign_in_lands_on_explore_with_tokens_in_session_storage_only(ui: Ui, site: Site) -> None:
    page = ui.page
    sign_in(ui, site)
    ui.at(f"{site.base}/explore")
    assert page.inner_text("main h1") == "Explore"
    assert page.title() == "Explore · tessera"
    session = json.loads(ui.session_storage()["tessera.session"])
    assert session["provider"] == "basic"
    assert session["token"].count(".") == 2
    assert ui.local_storage_keys() == []
    # The page's own calls carry the token; the login call carried the base64 password.
    login = next(r for r in ui.requests if r.url.endswith("/api/v1/users/login"))
    assert json.loads(login.post_data)["password"] == basic_password(ROOT_PASSWORD)
    me = next(r for r in ui.requests if "/api/v1/users/loggedInUser" in r.url)
    assert me.headers["authorization"] == f"Bearer {session['token']}"
    # The Content-Security-Policy's Trusted Types: no string becomes HTML on this page.
    ui.console.expect_message("This document requires 'TrustedHTML' assignment.")
    refused = page.evaluate(
        "() => { try { document.createElement('div').innerHTML = '<b>x</b>'; return 'allowed'; }"
        " catch (e) { return e.name; } }"
    )
    assert refused == "TypeError"


def test_basic_wrong_password_and_throttling_are_shown_as_the_server_words_them(ui: Ui, site: Site) -> None:
    ui.console.expect_http(401)
    name = unique("carol")
    create_user(site, name)
    page = ui.page
    ui.goto(f"{site.base}/signin")
    # Six failures from this browser's address start an 8 s wait (1, 2, 4, 8 s after the third).
    for attempt in range(7):
        page.fill("#email", name)
        page.fill("#password", USER_PASSWORD if attempt == 6 else "not-the-password")
        page.click("#sign-in")
        page.wait_for_selector("#sign-in-error [role=alert]")
        # Every refusal is the same answer, the right password during the wait included.
        assert page.inner_text("#sign-in-error") == INVALID_LOGIN
        # The password field is emptied and focused for the next try.
        assert page.input_value("#password") == ""
        assert page.evaluate("document.activeElement.id") == "password"
        page.evaluate("document.querySelector('#sign-in-error').replaceChildren()")
    assert page.url.startswith(f"{site.base}/signin")


def test_basic_any_401_returns_to_sign_in_with_the_servers_reason(ui: Ui, site: Site) -> None:
    ui.console.expect_http(401)
    page = ui.page
    sign_in(ui, site, path="/browse")
    ui.at(f"{site.base}/browse")
    token = json.loads(ui.session_storage()["tessera.session"])["token"]
    # Signed out elsewhere (another tab, an administrator): the next call gets a 401.
    site.api.ok("POST", "/api/v1/users/logout", json={"token": token}, token=token)
    # Explore narrowed by a facet makes two calls at once (the hits, and the facet's own counts);
    # the counts are held back until the person is typing on the sign-in page, where their late
    # 401 must change nothing.
    held: list[Any] = []

    def counts(url: str) -> bool:
        return "/api/v1/search/query?" in url and "size=0" in url

    page.route(counts, lambda route: held.append(route))
    page.evaluate(
        "() => { const a = document.createElement('a'); a.href = '/explore?type=table';"
        " document.body.append(a); a.click(); a.remove(); }"
    )
    ui.at(f"{site.base}/signin?next=%2Fexplore%3Ftype%3Dtable")
    assert page.inner_text("#notice") == "Not Authorized! Token was revoked (signed out); sign in again"
    assert "tessera.session" not in ui.session_storage()
    page.fill("#email", "root")
    with page.expect_response(lambda response: counts(response.url)) as late:
        held[0].continue_()
    assert late.value.status == 401
    page.evaluate("() => new Promise((resolve) => setTimeout(resolve, 100))")
    assert page.input_value("#email") == "root"
    page.unroute(counts)
    # Signing in again returns to where the person was going.
    page.fill("#password", ROOT_PASSWORD)
    page.click("#sign-in")
    ui.at(f"{site.base}/explore?type=table")


def test_basic_browse_explore_filters_and_table_page(ui: Ui, site: Site) -> None:
    page = ui.page
    sign_in(ui, site, path="/browse")
    page.click("#main >> text=warehouse")
    page.click("#main >> text=sales")
    page.click("#main >> text=public")
    page.wait_for_selector("#main td >> text=customers")
    page.click("#main >> text=orders")
    ui.at(f"{site.base}/tables/warehouse.sales.public.orders")
    assert page.inner_text("#owner").startswith("Root Admin")
    assert "PII.Sensitive" in page.inner_text("#tags")
    rows = page.locator("#columns tbody tr")
    assert rows.count() == 3
    assert rows.nth(0).inner_text().split("\t")[:3] == ["id", "BIGINT", "Primary key"]
    assert "VARCHAR(64)" in rows.nth(1).inner_text()
    assert page.locator("#versions li").count() == 2
    # Explore: narrowed by the Type facet, then by the Service facet too.
    page.click("nav >> text=Explore")
    page.check("#facet-type input[value=database]")
    ui.at(f"{site.base}/explore?type=database")
    assert sorted(page.locator("#results .result-title").all_inner_texts()) == ["events", "sales"]
    page.uncheck("#facet-type input[value=database]")
    ui.at(f"{site.base}/explore")
    page.check("#facet-type input[value=table]")
    ui.at(f"{site.base}/explore?type=table")
    page.check("#facet-service input[value=lake]")
    ui.at(f"{site.base}/explore?type=table&service=lake")
    assert page.locator("#results .result-title").all_inner_texts() == ["clicks"]
    # A search keeps the facets in use; after it, focus is on the result count, which screen
    # readers announce.
    page.fill("#search-q", "click")
    page.click("form[role=search] button")
    ui.at(f"{site.base}/explore?q=click&type=table&service=lake")
    assert page.locator("#results .result-title").all_inner_texts() == ["clicks"]
    assert page.evaluate("document.activeElement.id") == "result-count"


def test_basic_table_page_shows_table_level_constraints(ui: Ui, site: Site) -> None:
    page = ui.page
    sign_in(ui, site, path="/tables/warehouse.sales.public.order_lines")
    assert page.inner_text("main h1") == "order_lines"
    rows = [row.split("\t")[:3] for row in page.locator("#columns tbody tr").all_inner_texts()]
    # Each column lists its own constraint, then the table's that name it, in their order.
    assert rows == [
        ["order_id", "BIGINT", "Primary key, Foreign key → warehouse.sales.public.orders.id"],
        ["line_no", "INT", "Primary key"],
        ["product", "VARCHAR(64)", "Not null"],
    ]


def test_basic_users_delete_with_confirmation(ui: Ui, site: Site) -> None:
    name = unique("dave")
    create_user(site, name)
    page = ui.page
    sign_in(ui, site, path="/settings/users")
    page.click(f"#main >> text={name}")
    ui.at(f"{site.base}/settings/users/{name}")
    page.click("#delete-user")
    dialog = page.locator("dialog[open]")
    assert "stop working at once" in dialog.inner_text()
    confirm = dialog.locator("button[value=confirm]")
    assert confirm.is_disabled()
    page.fill("#confirm-typed", name)
    assert confirm.is_enabled()
    confirm.click()
    ui.at(f"{site.base}/settings/users")
    assert f"User {name} was deleted." in page.inner_text("#main")
    assert site.api.call("GET", f"/api/v1/users/name/{name}").status_code == 404


def test_basic_deleting_the_default_admin_is_explained(ui: Ui, site: Site) -> None:
    page = ui.page
    sign_in(ui, site, path="/settings/users/admin")
    callout = page.locator("#main .message").first.inner_text()
    assert "default administrator admin" in callout
    assert "never re-creates it" in callout
    page.click("text=Delete the default administrator")
    dialog = page.locator("dialog[open]")
    assert "Make sure another administrator can sign in first." in dialog.inner_text()
    # Escape cancels; focus returns to the button that opened the dialog.
    page.keyboard.press("Escape")
    page.wait_for_selector("dialog", state="detached")
    assert page.evaluate("document.activeElement.id") == "delete-user"
    page.click("#delete-user")
    page.fill("#confirm-typed", "admin")
    page.click("dialog[open] button[value=confirm]")
    ui.at(f"{site.base}/settings/users")
    assert site.api.call("GET", "/api/v1/users/name/admin").status_code == 404


def test_basic_audit_log_for_admins(ui: Ui, site: Site) -> None:
    page = ui.page
    sign_in(ui, site)
    page.click("nav >> text=Audit log")
    ui.at(f"{site.base}/audit")
    page.wait_for_selector("#audit tbody tr")
    actions = page.locator("#audit tbody tr td:nth-child(2)").all_inner_texts()
    assert "login" in actions
    page.select_option("#audit-action", "user-create")
    ui.at(f"{site.base}/audit?action=user-create")
    page.wait_for_selector("#audit tbody tr")
    assert set(page.locator("#audit tbody tr td:nth-child(2)").all_inner_texts()) == {"user-create"}
    assert "root created user" in page.inner_text("#audit tbody")


def test_basic_session_is_renewed_before_it_expires(ui: Ui, site: Site) -> None:
    page = ui.page
    sign_in(ui, site)
    before = json.loads(ui.session_storage()["tessera.session"])
    # As if the access token had 20 seconds left: the UI renews at once with the refresh token.
    page.evaluate(
        """() => {
            const s = JSON.parse(sessionStorage.getItem('tessera.session'));
            s.expiresAt = Date.now() + 20000;
            sessionStorage.setItem('tessera.session', JSON.stringify(s));
        }"""
    )
    with page.expect_response(lambda r: r.url.endswith("/api/v1/users/refresh")) as refreshed:
        page.reload()
    assert refreshed.value.status == 200
    page.wait_for_function(
        "(old) => JSON.parse(sessionStorage.getItem('tessera.session')).token !== old", arg=before["token"]
    )
    after = json.loads(ui.session_storage()["tessera.session"])
    assert after["refreshToken"] != before["refreshToken"]  # rotated
    assert site.api.call("GET", "/api/v1/users/loggedInUser", token=after["token"]).status_code == 200
    page.click("nav >> text=Browse")
    page.wait_for_selector("#main td >> text=warehouse")


def test_basic_keyboard_only_on_a_small_screen(ui: Ui, site: Site) -> None:
    page = ui.page
    page.set_viewport_size({"width": 390, "height": 800})
    ui.goto(f"{site.base}/explore")
    # Tab order: skip link, then the form's fields and button.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "email"
    page.keyboard.type("root")
    page.keyboard.press("Tab")
    page.keyboard.type(ROOT_PASSWORD)
    page.keyboard.press("Enter")
    ui.at(f"{site.base}/explore")
    # The navigation folds behind "Menu" on a phone-sized screen.
    assert not page.is_visible("nav >> text=Browse")
    page.focus(".nav-toggle")
    page.keyboard.press("Enter")
    assert page.get_attribute(".nav-toggle", "aria-expanded") == "true"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Browse"
    # The focus ring is visible (an outline, not just a colour change).
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    page.keyboard.press("Enter")
    ui.at(f"{site.base}/browse")
    assert page.evaluate("document.activeElement.tagName") == "H1"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing overflows sideways


def test_basic_http_headers_caching_and_routing(ui: Ui, site: Site) -> None:
    # A deep link without a session: the server answers with the UI, the UI asks to sign in first.
    ui.goto(f"{site.base}/tables/warehouse.sales.public.orders")
    assert ui.page.url == f"{site.base}/signin?next=%2Ftables%2Fwarehouse.sales.public.orders"
    http = site.api.http
    for path in ("/", "/explore", "/callback", "/tables/warehouse.sales.public.orders", "/settings/bots/x"):
        page = http.get(path)
        assert page.status_code == 200, path
        assert page.headers["content-type"] == "text/html; charset=utf-8"
    headers = http.get("/").headers
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "connect-src 'self';" in csp
    assert "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    html = http.get("/").text
    assert "<script>" not in html
    assert " style=" not in html
    script = re.search(r'src="(/static/[0-9a-f]+/main\.js)"', html)
    assert script is not None
    asset = http.get(script.group(1))
    assert asset.status_code == 200
    assert asset.headers["content-type"] == "text/javascript; charset=utf-8"
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert http.get(script.group(1), headers={"If-None-Match": asset.headers["etag"]}).status_code == 304
    assert http.get("/static/0000000000000000/main.js").status_code == 404
    assert http.get(script.group(1).replace("main.js", "nope.js")).status_code == 404
    # The API keeps its own answers: JSON errors, never the UI's page.
    for method, path in (("GET", "/api/v1/nope"), ("POST", "/api/v1/nope"), ("GET", "/API/v1/nope")):
        response = site.api.call(method, path)
        assert response.status_code == 404, (method, path)
        assert response.json()["code"] == 404
    assert http.get("/api/v1/nope").status_code == 401  # no token: authentication first


def test_basic_bot_jwt_generate_copy_once_and_revoke(ui: Ui, site: Site) -> None:
    ui.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.base)
    page = ui.page
    sign_in(ui, site, path="/settings/bots/ingestion-bot")
    assert page.input_value("#auth-type") == "JWT"
    assert page.is_hidden("#sso-section")
    page.select_option("#token-expiry", "7")
    page.click("#generate-token")
    page.wait_for_selector("#bot-token")
    token = page.input_value("#bot-token")
    page.click("#bot-token-copy")
    page.wait_for_selector("#token-output >> text=Copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == token
    assert site.api.call("GET", "/api/v1/tables", token=token).status_code == 200
    # Shown once: a reload says a token is active, and does not show it.
    page.reload()
    ui.settled()
    assert page.locator("#bot-token").count() == 0
    assert page.inner_text("#token-status").startswith("An active token expires")
    page.click("#revoke-token")
    page.click("dialog[open] button[value=confirm]")
    page.wait_for_selector("#form-status >> text=Token revoked.")
    refused = site.api.call("GET", "/api/v1/tables", token=token)
    assert refused.status_code == 401
    assert "does not match the current bot's token" in refused.json()["message"]
    # Saving with JWT (OpenMetadata's PUT /users, then PUT /bots) issues a token when there is none.
    page.click("#save-bot")
    page.wait_for_selector("#form-status .message-success")
    fresh = page.input_value("#bot-token")
    assert fresh != token
    assert site.api.call("GET", "/api/v1/tables", token=fresh).status_code == 200


def test_basic_ui_in_firefox(firefox_page: Firefox, site: Site) -> None:
    """The same pages in Debian's Firefox: they load, sign-in works, nothing logs an error."""
    browser = firefox_page
    ready = "document.documentElement.dataset.state === 'ready'"
    browser.goto(f"{site.base}/explore")
    browser.wait_for(f"{ready} && !!document.querySelector('#email')")
    browser.evaluate(
        "document.querySelector('#email').value = 'root';"
        f"document.querySelector('#password').value = {json.dumps(ROOT_PASSWORD)};"
        "document.querySelector('#sign-in').click(); true"
    )
    browser.wait_for(f"location.pathname === '/explore' && {ready}")
    # Content-Security-Policy violations are not console messages in WebDriver BiDi: count them.
    browser.evaluate(
        "window.violations = []; document.addEventListener('securitypolicyviolation',"
        " (e) => window.violations.push(`${e.violatedDirective} ${e.blockedURI}`)); true"
    )
    for path, selector in (
        ("/tables/warehouse.sales.public.orders", "#columns"),
        ("/browse", "#main table"),
        ("/settings/bots/ingestion-bot", "#auth-type"),
        ("/settings/users", "#main table"),
        ("/profile", "#pat-form"),
        ("/audit", "#audit"),
        ("/settings/teams", "#team-tree"),
        ("/settings/roles/DataConsumer", "#role-form"),
        ("/settings/policies/DataConsumerPolicy", "#policy-form"),
        ("/settings/users/new", "#new-user-form"),
    ):
        # A click on an in-app link, as a person would navigate.
        browser.evaluate(
            f"(() => {{ const a = document.createElement('a'); a.href = {json.dumps(path)};"
            "document.body.append(a); a.click(); a.remove(); return true; })()"
        )
        browser.wait_for(
            f"location.pathname === {json.dumps(path)} && {ready}"
            f" && !!document.querySelector({json.dumps(selector)})"
        )
    assert browser.errors() == []
    assert browser.evaluate("window.violations") == []
    assert browser.evaluate("Object.keys(localStorage).length") == 0


def test_favicon_ico_is_a_404_not_the_page(ui: Ui, site: Site) -> None:
    # The UI's page names its icon; /favicon.ico, which browsers ask for anyway, is a 404 rather
    # than the UI's HTML page posing as an icon.
    ui.console.expect_http(404)
    page = ui.page
    ui.goto(f"{site.base}/signin")
    icon = page.get_attribute("link[rel=icon]", "href")
    assert icon is not None
    assert re.fullmatch(r"/static/[0-9a-f]+/icon\.svg", icon)
    shown = page.goto(f"{site.base}{icon}")
    assert shown is not None
    assert shown.status == 200
    assert shown.headers["content-type"].startswith("image/svg+xml")
    response = page.goto(f"{site.base}/favicon.ico")
    assert response is not None
    assert response.status == 404
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["code"] == 404
