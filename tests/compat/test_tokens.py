"""OpenMetadata's ``metadata ingest`` with the tokens tessera accepts, and one it refuses:
the ingestion bot's JWT once revoked, and an Entra ID client-credentials token of the Azure SSO
guide's ingestion application, given to the client as its ``jwtToken``."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest

from tessera.auth.principal import Principal
from tessera.bootstrap import build_container, start
from tessera.config import load_settings
from tessera.entra.testing import running_emulator
from tests.compat import sources
from tests.compat.client import CompatServer, metadata_ingest, sqlite_workflow
from tests.entra.conftest import confidential
from tests.integration.azure.conftest import azure_env
from tests.integration.servers import tessera_server

pytestmark = [pytest.mark.compat, pytest.mark.slow]


def test_a_revoked_bot_token_makes_the_run_fail_with_401(
    compat_server: Callable[[Path, str], AbstractContextManager[CompatServer]], tmp_path: Path
) -> None:
    source = sources.create(tmp_path / "shop.db")
    with compat_server(tmp_path / "home", f"sqlite:///{tmp_path / 'catalog.db'}") as server:
        bot = httpx.get(
            f"{server.base_url}/api/v1/bots/name/ingestion-bot", headers=server.admin_headers
        ).json()
        revoked = httpx.put(
            f"{server.base_url}/api/v1/users/revokeToken",
            json={"id": bot["botUser"]["id"]},
            headers=server.admin_headers,
        )
        assert revoked.status_code == 200, revoked.text
        workflow = sqlite_workflow(
            server.base_url, server.token, service="svc", database="shop", source_file=source
        )
        run = metadata_ingest(workflow, tmp_path, "revoked")
    assert run.returncode != 0, run.explain()
    assert "The given token does not match the current bot's token" in run.output, run.explain()
    # OpenMetadata's client prints the message, not the status: "Not Authorized! ..." is how
    # every 401 of ours begins (a 403 says what permission is needed), and the status of
    # this refusal is asserted in the integration tier.
    assert "Not Authorized! The given token" in run.output, run.explain()


def test_an_entra_client_credentials_token_works_as_the_clients_jwt(
    compat_client: Path, tmp_path: Path
) -> None:
    source = sources.create(tmp_path / "shop.db")
    database_url = f"sqlite:///{tmp_path / 'catalog.db'}"
    with running_emulator() as idp:
        demo = idp.build_demo_tenant(domain=f"c{uuid.uuid4().hex[:12]}.onmicrosoft.com")
        env = azure_env(idp, demo)
        home = tmp_path / "home"
        # Settings » Bots » ingestion-bot » Azure SSO, done by an operator on the database.
        settings = load_settings(
            environ={**env, "TESSERA_HOME": str(home), "TESSERA_DATABASE_URL": database_url}
        )
        container = build_container(settings)
        start(container)
        users = container.users
        users.set_auth_mechanism(
            Principal(name="operator", is_admin=True),
            users.directory.by_name("ingestion-bot"),
            {
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
            },
        )
        container.close()
        app = confidential(idp, demo.ingestion_client_id, demo.ingestion_secret, demo.authority)
        token = app.acquire_token_for_client([demo.ingestion_scope])["access_token"]
        with tessera_server(home, database_url, env=env) as base_url:
            workflow = sqlite_workflow(base_url, token, service="svc", database="shop", source_file=source)
            run = metadata_ingest(workflow, tmp_path, "entra")
            assert run.returncode == 0, run.explain()
            tables = httpx.get(
                f"{base_url}/api/v1/tables",
                params={"service": "svc", "limit": 100},
                headers={"Authorization": f"Bearer {token}"},
            ).json()
    assert {t["name"] for t in tables["data"]} >= {"customers", "orders"}
    assert {t["updatedBy"] for t in tables["data"]} == {"ingestion-bot"}
