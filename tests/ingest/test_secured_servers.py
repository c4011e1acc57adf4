"""`tessera ingest` against a catalog server that checks every token, as deployed.

The other ingestion tests use a server without authentication, to test the client alone; here
the server runs the `basic` provider (a bare `tessera serve`) and the workflow carries the JWT
an operator mints with `tessera bots token ingestion-bot`: a real one, about 900 characters,
given inline, through `${ENV_VAR}` and as a file. Azure client credentials against a server
with `provider: azure` are the quickstart's test (tests/quickstart).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml
from typer.testing import Result

from tests.ingest.conftest import sqlite_workflow
from tests.ingest.test_ingest_sqlite import ok, summary_row
from tests.integration.servers import admin_session, mint_bot_token, tessera_server

Ingest = Callable[..., Result]
ENV = {"AUTHENTICATION_PROVIDER": "basic"}


@dataclass
class SecuredCatalog:
    base: str
    home: Path
    url: str
    admin: httpx.Client

    def bot_token(self) -> str:
        """A new token for the ingestion bot; the previous one is revoked."""
        return mint_bot_token(self.home, self.url, ENV)


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecuredCatalog]:
    home = tmp_path_factory.mktemp("secured")
    url = f"sqlite:///{home / 'catalog.db'}"
    with tessera_server(home, url, env=ENV) as base:
        token = admin_session(base, home)
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=f"{base}/api/v1", headers=headers, timeout=30) as admin:
            yield SecuredCatalog(base, home, url, admin)


def with_jwt(service: str, db: Path, base: str, jwt: str) -> dict[str, object]:
    auth = {"authProvider": "openmetadata", "securityConfig": {"jwtToken": jwt}}
    return sqlite_workflow(service, db, base, auth=auth)


def test_bot_jwt_from_an_env_var_ingests_and_the_rerun_changes_nothing(
    ingest: Ingest, secured: SecuredCatalog, sqlite_db: Path, service_name: str
) -> None:
    token = secured.bot_token()
    assert len(token) > 255  # longer than a file name may be: the case that must not crash
    text = yaml.safe_dump(with_jwt(service_name, sqlite_db, secured.base, "${BOT_JWT}"), sort_keys=False)
    output = ok(ingest(text, env={"BOT_JWT": token}))
    assert summary_row(output, "Tables") == ["5", "0", "0", "0", "0"]
    listed = secured.admin.get("/tables", params={"service": service_name, "limit": 50})
    assert listed.status_code == 200, listed.text
    assert {t["name"] for t in listed.json()["data"]} == {
        "customers",
        "orders",
        "order_items",
        "tmp_scratch",
        "big_orders",
    }
    table = secured.admin.get(f"/tables/name/{service_name}.testdb.main.orders")
    assert table.json()["updatedBy"] == "ingestion-bot"

    again = ok(ingest(text, env={"BOT_JWT": token}))
    assert summary_row(again, "Tables") == ["0", "0", "5", "0", "0"]


def test_bot_jwt_inline_and_in_a_file(
    ingest: Ingest, secured: SecuredCatalog, sqlite_db: Path, service_name: str, tmp_path: Path
) -> None:
    token = secured.bot_token()
    ok(ingest(with_jwt(service_name, sqlite_db, secured.base, token)))
    token_file = tmp_path / "ingestion-bot.jwt"
    token_file.write_text(token + "\n")
    output = ok(ingest(with_jwt(service_name, sqlite_db, secured.base, str(token_file))))
    assert summary_row(output, "Tables") == ["0", "0", "5", "0", "0"]


def test_a_revoked_bot_jwt_stops_with_the_servers_reason(
    ingest: Ingest, secured: SecuredCatalog, sqlite_db: Path, service_name: str
) -> None:
    old = secured.bot_token()
    secured.bot_token()  # a new token revokes the old one
    result = ingest(with_jwt(service_name, sqlite_db, secured.base, old))
    assert result.exit_code == 3, result.output
    assert "answered 401 Unauthorized" in result.output
    assert "revoked" in result.output
    assert "securityConfig.jwtToken" in result.output
    # Nothing was written with the refused token.
    assert secured.admin.get(f"/databaseServices/name/{service_name}").status_code == 404
