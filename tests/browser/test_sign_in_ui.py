"""Sign-in beyond the guide, in Chromium against tessera.entra: the confidential client (the
server signs people in; the browser holds an HttpOnly cookie only and sends the CSRF header on
changes), where each membership came from, and Settings » Sign-in (the doctor's checks and
"Test sign-in") in both the confidential and the single-page mode."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tessera.bootstrap import build_container, start
from tessera.catalog.kinds import TEAM
from tessera.catalog.service import Actor
from tessera.config import load_settings
from tessera.entra.testing import DemoTenant, DemoUser, RunningEmulator
from tests.browser.conftest import Ui
from tests.browser.test_azure_ui import Site, start_site
from tests.browser.test_azure_ui import sign_in as spa_sign_in
from tests.integration.azure.conftest import azure_env
from tests.integration.servers import free_port, tessera_server

pytestmark = pytest.mark.browser


@dataclass
class Server:
    base: str
    demo: DemoTenant
    client_id: str
    team_group: str


@pytest.fixture(scope="module")
def server(entra: RunningEmulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """tessera with clientType confidential: a Web app registration with a secret, Entra's
    groups mapped to a team and an app role to a role."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    demo = entra.build_demo_tenant(domain=f"cc{uuid.uuid4().hex[:10]}.onmicrosoft.com")
    tid = demo.tenant_id
    web = entra.create_app(tid, "tessera web", web_redirect_uris=[f"{base}/callback"])
    secret = entra.add_secret(tid, web["appId"], display_name="server")["secretText"]
    entra.service.add_app_role(tid, web["appId"], "Catalog.Steward", allowed_member_types=["User"])
    entra.service.update_app(tid, web["appId"], group_membership_claims="SecurityGroup")
    alice = demo.users[1]
    entra.service.assign_user(tid, web["appId"], alice.id, "Catalog.Steward")
    group = entra.service.create_group(tid, "Finance", [alice.id])
    mappings = [
        {"appRole": "Catalog.Steward", "roles": ["DataSteward"]},
        {"group": group["id"], "teams": ["Finance"]},
    ]
    env = {
        **azure_env(entra, demo),
        "AUTHENTICATION_CLIENT_TYPE": "confidential",
        "AUTHENTICATION_CLIENT_ID": "",
        "OIDC_CLIENT_ID": web["appId"],
        "OIDC_CLIENT_SECRET": secret,
        "OIDC_CALLBACK": f"{base}/callback",
        "TESSERA_PUBLIC_URL": base,
        "TESSERA_PROVIDER_MAPPINGS": json.dumps(mappings),
    }
    home = tmp_path_factory.mktemp("confidential-ui")
    database = f"sqlite:///{home / 'tessera.db'}"
    _seed_team(home, database, env, "Finance")
    with tessera_server(home, database, env=env, port=port):
        yield Server(base, demo, web["appId"], group["id"])


def _seed_team(home: Path, database: str, env: dict[str, str], name: str) -> None:
    """The team a mapping names, made before the server starts (bots may not make teams)."""
    settings = load_settings(environ={**env, "TESSERA_HOME": str(home), "TESSERA_DATABASE_URL": database})
    container = build_container(settings)
    try:
        start(container)
        container.catalog.create(TEAM, {"name": name, "teamType": "Group"}, Actor("seed", is_bot=True))
    finally:
        container.close()


def sign_in(ui: Ui, server: Server, user: DemoUser, path: str = "/explore") -> None:
    page = ui.page
    ui.goto(f"{server.base}{path}")
    page.click("#sign-in-microsoft")
    page.wait_for_url(f"{server.demo.authority}/oauth2/v2.0/authorize*")
    page.fill("#login", user.user_principal_name)
    page.fill("#passwd", user.password)
    page.click("#idSIButton9")
    ui.at(f"{server.base}{path}")


def test_confidential_sign_in_keeps_entras_tokens_on_the_server(ui: Ui, server: Server) -> None:
    page = ui.page
    sign_in(ui, server, server.demo.users[1], "/profile")
    authorize = next(r for r in ui.requests if "/oauth2/v2.0/authorize?" in r.url)
    params = {k: v[0] for k, v in parse_qs(urlsplit(authorize.url).query).items()}
    assert params["client_id"] == server.client_id
    assert params["code_challenge_method"] == "S256"
    assert params["response_mode"] == "form_post"
    assert params["redirect_uri"] == f"{server.base}/callback"
    # The browser never redeems a code, and holds no token: only an HttpOnly cookie.
    assert not [r for r in ui.requests if r.url.endswith("/oauth2/v2.0/token")]
    cookies = {c["name"]: c for c in ui.context.cookies(server.base)}
    assert cookies["tessera_session"]["httpOnly"] is True
    assert cookies["tessera_session"]["sameSite"] == "Lax"
    assert "tessera_session" not in page.evaluate("document.cookie")
    assert not [v for v in ui.session_storage().values() if "eyJ" in v]
    assert ui.local_storage_keys() == []

    # Where each membership came from: Entra's app role and group, and tessera's default role.
    memberships = page.inner_text("#memberships")
    assert "DataSteward\tEntra ID app role Catalog.Steward" in memberships
    assert f"Finance\tEntra ID group {server.team_group}" in memberships
    assert "DataConsumer\tgranted in tessera" in memberships

    # A change goes with the CSRF header the server gave this tab.
    page.fill("#pat-name", "notebook")
    page.click("#pat-create")
    page.wait_for_selector("#pat-token")
    created = next(r for r in ui.requests if r.url.endswith("/users/security/token") and r.method == "PUT")
    assert len(created.headers["x-csrf-token"]) == 64
    assert "authorization" not in created.headers


def test_confidential_sign_out_ends_the_session_here_and_at_entra(ui: Ui, server: Server) -> None:
    page = ui.page
    sign_in(ui, server, server.demo.admin)
    page.click("#sign-out")
    ui.at(f"{server.base}/signin")
    logout = next(r for r in ui.requests if "/oauth2/v2.0/logout" in r.url)
    params = {k: v[0] for k, v in parse_qs(urlsplit(logout.url).query).items()}
    assert params["post_logout_redirect_uri"] == f"{server.base}/callback"
    assert page.inner_text("#notice") == "You are signed out of tessera and of Microsoft Entra ID."
    assert "tessera_session" not in {c["name"] for c in ui.context.cookies(server.base)}
    page.click("#sign-in-microsoft")
    page.wait_for_url(f"{server.demo.authority}/oauth2/v2.0/authorize*")
    assert page.is_visible("#passwd")


def _test_sign_in(ui: Ui, authority: str, base: str, user: DemoUser) -> None:
    page = ui.page
    page.click("nav >> text=Sign-in")
    ui.at(f"{base}/settings/sign-in")
    page.click("#test-sign-in")
    page.wait_for_url(f"{authority}/oauth2/v2.0/authorize*")
    page.fill("#login", user.user_principal_name)
    page.fill("#passwd", user.password)
    page.click("#idSIButton9")
    ui.at(f"{base}/settings/sign-in")
    page.wait_for_selector("#diagnosis")


def test_confidential_test_sign_in_and_configuration_checks(ui: Ui, server: Server) -> None:
    page = ui.page
    sign_in(ui, server, server.demo.admin)
    alice = server.demo.users[1]
    _test_sign_in(ui, server.demo.authority, server.base, alice)
    verdict = page.inner_text("#diagnosis [role=status]")
    assert verdict.startswith("Accepted: signs in as the user alice")
    granted = page.inner_text("#diagnosis-memberships")
    assert "role DataSteward (from Entra ID app role Catalog.Steward)" in granted
    assert "signature and times" in page.inner_text("#diagnosis-checks")
    assert "#diagnosis" not in page.url
    # The administrator is still who is signed in here.
    assert "Ada Admin" in page.inner_text("nav")
    page.click("#run-doctor")
    page.wait_for_selector("#findings")
    findings = page.inner_text("#findings")
    assert "discovery" in findings
    assert "client secret" in findings


@pytest.fixture(scope="module")
def spa(entra: RunningEmulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from start_site(entra, tmp_path_factory, api_scope=True)


def test_spa_test_sign_in_keeps_the_admins_session_and_a_pasted_token_is_explained(ui: Ui, spa: Site) -> None:
    page = ui.page
    spa_sign_in(ui, spa, spa.demo.admin)
    before = json.loads(ui.session_storage()["tessera.session"])
    alice = spa.demo.users[1]
    _test_sign_in(ui, spa.demo.authority, spa.base, alice)
    assert page.inner_text("#diagnosis [role=status]").startswith("Accepted: signs")
    after = json.loads(ui.session_storage()["tessera.session"])
    assert after["token"] == before["token"]
    assert "Ada Admin" in page.inner_text("nav")
    # A token pasted in: the Graph mistake, named, with what to change.
    page.fill("#explain-token", _graph_like_token(spa))
    page.click("#explain")
    page.wait_for_selector("#diagnosis-hint")
    assert "This is a Microsoft Graph token" in page.inner_text("#diagnosis [role=alert]")
    assert "tessera's own scope" in page.inner_text("#diagnosis-hint")
    assert page.input_value("#explain-token") == ""


def _graph_like_token(site: Site) -> str:
    import msal

    app = msal.ConfidentialClientApplication(
        site.demo.ingestion_client_id,
        client_credential=site.demo.ingestion_secret,
        authority=site.demo.authority,
        instance_discovery=False,
        http_client=site.entra.http_client(),
    )
    token: str = app.acquire_token_for_client(["https://graph.microsoft.com/.default"])["access_token"]
    return token
