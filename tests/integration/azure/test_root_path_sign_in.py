"""The confidential client's sign-in behind a proxy under /catalog (server.rootPath): the
redirects tessera sends the browser through all stay under the prefix."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from tessera.entra.testing import DemoTenant, RunningEmulator
from tessera.storage import migrate
from tessera.storage.db import create_engine
from tests.entra.conftest import sign_in
from tests.integration.azure.conftest import AzureCatalog
from tests.integration.conftest import _create_server_database, _drop_server_database

PUBLIC = "http://localhost:8585/catalog"
CALLBACK = f"{PUBLIC}/callback"


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    """PostgreSQL only, as for the confidential client's own tests: the flow is the same on all."""
    url = _create_server_database("postgresql")
    engine = create_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    _drop_server_database("postgresql", url)


def test_sign_in_and_its_redirects_stay_under_the_root_path(
    entra: RunningEmulator,
    demo: DemoTenant,
    idp_http: httpx.Client,
    catalog_for: Callable[..., AzureCatalog],
) -> None:
    created = entra.create_app(demo.tenant_id, "tessera web under a proxy", web_redirect_uris=[CALLBACK])
    secret = entra.add_secret(demo.tenant_id, created["appId"], display_name="server")
    catalog = catalog_for(
        demo,
        AUTHENTICATION_CLIENT_TYPE="confidential",
        AUTHENTICATION_CLIENT_ID="",
        OIDC_CLIENT_ID=created["appId"],
        OIDC_CLIENT_SECRET=secret["secretText"],
        TESSERA_PUBLIC_URL=PUBLIC,
        TESSERA_ROOT_PATH="/catalog",
    )
    client = catalog.client
    started = client.get("/catalog/auth/login?next=/tables/x", follow_redirects=False)
    assert started.status_code == 302, started.text
    # Entra is told to come back under the prefix (OIDC_SERVER_URL / TESSERA_PUBLIC_URL).
    assert "redirect_uri=http%3A%2F%2Flocalhost%3A8585%2Fcatalog%2Fcallback" in started.headers["location"]
    answer = sign_in(
        idp_http, started.headers["location"], demo.users[1].user_principal_name, demo.users[1].password
    )
    posted = client.post("/catalog/callback", data=answer.params, follow_redirects=False)
    assert posted.status_code == 303, posted.text
    assert posted.headers["location"].startswith("/catalog/callback?answer=")
    done = client.get(posted.headers["location"], follow_redirects=False)
    assert done.status_code == 302, done.text
    assert done.headers["location"] == "/catalog/tables/x"
    assert client.get("/catalog/api/v1/users/loggedInUser").status_code == 200
    # The ID token was checked against Entra's keys, fetched once (a metric operators watch).
    fetches = [
        line
        for line in client.get("/catalog/metrics").text.splitlines()
        if line.startswith('tessera_jwks_fetches_total{outcome="ok"}')
    ]
    assert fetches == ['tessera_jwks_fetches_total{outcome="ok"} 1.0']
    # A callback with nothing to finish (Entra's sign-out comes back so) goes to the sign-in page.
    back = client.get("/catalog/callback", follow_redirects=False)
    assert back.status_code == 302
    assert back.headers["location"] == "/catalog/signin"
