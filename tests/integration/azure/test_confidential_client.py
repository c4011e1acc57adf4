"""The confidential client (clientType: confidential, OpenMetadata's OIDC_* variables): the
server runs the authorization code flow with PKCE through MSAL Python against tessera.entra,
keeps Entra's tokens, and gives the browser an HttpOnly session cookie whose every change needs
the CSRF header; silent refresh by the server, sign-out here and at Entra. The browser's side of
the same flow is tests/browser/test_confidential_ui.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tessera.entra.testing import DemoTenant, DemoUser, RunningEmulator
from tessera.storage import migrate
from tessera.storage.db import create_engine
from tests.clock import MovableClock
from tests.entra.conftest import sign_in
from tests.integration.azure.conftest import AzureCatalog
from tests.integration.conftest import _create_server_database, _drop_server_database

PUBLIC = "http://localhost:8585"


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    """PostgreSQL, the production backend, only: the sessions are plain rows, and the flow costs
    as much on every backend (test_provider_mappings runs the sign-in tables on all three)."""
    url = _create_server_database("postgresql")
    engine = create_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    _drop_server_database("postgresql", url)


CALLBACK = f"{PUBLIC}/callback"


@dataclass
class WebApp:
    client_id: str
    secret: str


def web_app(entra: RunningEmulator, demo: DemoTenant) -> WebApp:
    """The catalog's Web app registration (OpenMetadata's confidential client): a Web redirect
    URI and a client secret."""
    created = entra.create_app(demo.tenant_id, "tessera web", web_redirect_uris=[CALLBACK])
    secret = entra.add_secret(demo.tenant_id, created["appId"], display_name="server")
    return WebApp(created["appId"], secret["secretText"])


def confidential_env(app: WebApp, **env: str) -> dict[str, str]:
    return {
        "AUTHENTICATION_CLIENT_TYPE": "confidential",
        "AUTHENTICATION_CLIENT_ID": "",
        "OIDC_CLIENT_ID": app.client_id,
        "OIDC_CLIENT_SECRET": app.secret,
        "OIDC_CALLBACK": CALLBACK,
        "TESSERA_PUBLIC_URL": PUBLIC,
        **env,
    }


def browser_sign_in(
    client: TestClient, idp_http: httpx.Client, user: DemoUser, next_path: str
) -> httpx.Response:
    """What the browser does: tessera's /auth/login, Entra's page, Entra's form_post back to
    /callback, the GET it is sent on to. Returns that last answer."""
    started = client.get(f"/auth/login?next={next_path}", follow_redirects=False)
    assert started.status_code == 302, started.text
    assert started.headers["location"].startswith(
        f"{client.app.state.container.settings.authenticationConfiguration.authority}/"
    )  # type: ignore[attr-defined]
    answer = sign_in(idp_http, started.headers["location"], user.user_principal_name, user.password)
    posted = client.post("/callback", data=answer.params, follow_redirects=False)
    assert posted.status_code == 303, posted.text
    assert "code=" not in posted.headers["location"]
    return client.get(posted.headers["location"], follow_redirects=False)


def _session(catalog: AzureCatalog) -> dict[str, Any]:
    found = catalog.client.get("/auth/session")
    assert found.status_code == 200, found.text
    body: dict[str, Any] = found.json()
    return body


def test_the_server_signs_a_person_in_and_the_cookie_is_all_the_browser_gets(
    entra: RunningEmulator,
    demo: DemoTenant,
    idp_http: httpx.Client,
    catalog_for: Callable[..., AzureCatalog],
) -> None:
    app = web_app(entra, demo)
    clock = MovableClock()
    catalog = catalog_for(demo, clock.clock, **confidential_env(app, OIDC_OM_REFRESH_TOKEN_VALIDITY="600"))
    client = catalog.client
    done = browser_sign_in(client, idp_http, demo.users[1], "/explore")
    assert done.status_code == 302
    assert done.headers["location"] == "/explore"
    cookie = next(c for c in done.headers.get_list("set-cookie") if c.startswith("tessera_session="))
    # HttpOnly, SameSite=Lax; not Secure on a plain-http development URL (production: __Host-, Secure).
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower()

    me = client.get("/api/v1/users/loggedInUser")
    assert me.status_code == 200, me.text
    assert me.json()["email"] == demo.users[1].user_principal_name
    # Entra's tokens stay on the server: no JWT in anything the browser was given.
    session = _session(catalog)
    assert session["csrfHeader"] == "X-CSRF-Token"
    for response in (done, me, client.get("/auth/session"), client.get("/api/v1/system/config/auth")):
        assert "eyJ" not in response.text
        assert "eyJ" not in str(response.headers)

    # Changes need the CSRF header; a Bearer token wins over the cookie (and needs none).
    team = {"name": "Readers", "teamType": "Group"}
    refused = client.put("/api/v1/teams", json=team)
    assert refused.status_code == 403
    assert "X-CSRF-Token" in refused.json()["message"]
    wrong = client.put("/api/v1/teams", json=team, headers={"X-CSRF-Token": "0" * 64})
    assert wrong.status_code == 403
    bad_bearer = client.get("/api/v1/users/loggedInUser", headers={"Authorization": "Bearer nonsense"})
    assert bad_bearer.status_code == 401
    allowed = client.put("/api/v1/teams", json=team, headers={"X-CSRF-Token": session["csrfToken"]})
    assert allowed.status_code == 403  # a DataConsumer may not create teams: authorization, not CSRF
    assert "You need the Create permission on teams" in allowed.json()["message"]

    # Entra's tokens fall due: the server refreshes them silently and the session goes on.
    engine = sa.create_engine(catalog.settings.database_url)
    due_before = _due(engine)
    clock.advance(700)
    assert client.get("/api/v1/users/loggedInUser").status_code == 200
    assert _due(engine) > due_before + 600_000

    # Sign-out ends the session here and sends the browser to Entra's end-session endpoint.
    csrf = _session(catalog)["csrfToken"]
    assert client.post("/auth/logout").status_code == 403
    out = client.post("/auth/logout", headers={"X-CSRF-Token": csrf})
    assert out.status_code == 200
    logout = urlsplit(out.json()["logoutUrl"])
    assert logout.path.endswith("/oauth2/v2.0/logout")
    assert parse_qs(logout.query)["post_logout_redirect_uri"] == [CALLBACK]
    assert client.get("/api/v1/users/loggedInUser").status_code == 401
    engine.dispose()


def test_a_refresh_entra_cannot_answer_keeps_the_session_one_it_refuses_ends_it(
    entra: RunningEmulator,
    demo: DemoTenant,
    idp_http: httpx.Client,
    catalog_for: Callable[..., AzureCatalog],
) -> None:
    app = web_app(entra, demo)
    clock = MovableClock()
    catalog = catalog_for(demo, clock.clock, **confidential_env(app, OIDC_OM_REFRESH_TOKEN_VALIDITY="60"))
    client = catalog.client
    sessions = []
    for user in demo.users:
        client.cookies.clear()
        assert browser_sign_in(client, idp_http, user, "/explore").status_code == 302
        sessions.append(dict(client.cookies))
    client.cookies.clear()
    engine = sa.create_engine(catalog.settings.database_url)
    clock.advance(120)

    # Entra down while a refresh is due: try again later (MSAL waits out Entra's Retry-After);
    # the session is not lost.
    outage = entra.service.add_fault("token", status=503, count=1)
    unavailable = _as(client, sessions[0])
    assert unavailable.status_code == 503, unavailable.text
    assert "try again" in unavailable.json()["message"]
    assert _live_sessions(engine) == 2

    # Entra refuses the refresh (the refresh token was revoked): the session ends, for good.
    refusal = entra.service.add_fault(
        "token", status=400, error="invalid_grant", code=50173, description="The grant was revoked.", count=1
    )
    ended = _as(client, sessions[1])
    for fault in (outage, refusal):
        entra.service.clear_faults(fault["id"])
    assert ended.status_code == 401
    assert ended.json()["message"].startswith("Not Authorized! Your session ended: Entra ID refused to renew")
    assert _as(client, sessions[1]).status_code == 401
    assert _live_sessions(engine) == 1
    engine.dispose()

    # A sign-in response that this browser did not start is refused.
    forged = client.get("/callback?code=abc&state=xyz", follow_redirects=False)
    assert forged.status_code == 302
    assert forged.headers["location"] == "/signin"
    assert "tessera_notice=" in forged.headers["set-cookie"]


def _as(client: TestClient, cookies: dict[str, str]) -> httpx.Response:
    client.cookies.clear()
    client.cookies.update(cookies)
    return client.get("/api/v1/users/loggedInUser")


def _live_sessions(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        found = conn.execute(
            sa.text("SELECT count(*) FROM web_session WHERE revoked_at IS NULL")
        ).scalar_one()
    return int(found)


def _due(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        value = conn.execute(sa.text("SELECT max(refresh_due_at) FROM web_session")).scalar_one()
    return int(value)
