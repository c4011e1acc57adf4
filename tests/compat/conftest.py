"""The compat tier: OpenMetadata's own Python client (openmetadata-ingestion 2.0.7.0, its
``metadata ingest`` CLI and its ``OpenMetadata`` SDK class) against a real ``tessera serve``.

The client runs from ``.venv-compat`` (``make compat-venv``); without it the tier skips loudly,
or fails when TESSERA_REQUIRE_ALL_TIERS=1. The servers run with basic authentication, as a bare
``tessera serve`` does: the client authenticates with the JWT the server issues to its ingestion
bot (``tessera bots token ingestion-bot``), the SDK tests and read-backs with the first admin's
session.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

from tests.compat.client import COMPAT_BIN, COMPAT_VENV, CompatServer, Sdk
from tests.conftest import tier_unavailable
from tests.integration import conftest as integration
from tests.integration.servers import admin_session, mint_bot_token, tessera_server

# The integration tier's per-backend databases (SQLite, PostgreSQL, MariaDB; one fresh,
# migrated database per backend and session), shared rather than duplicated.
database_url = integration.database_url


@pytest.fixture(scope="session")
def compat_client() -> Path:
    """The ``bin`` directory of the client's virtualenv."""
    if not (COMPAT_BIN / "metadata").is_file():
        tier_unavailable(
            "compat",
            f"{COMPAT_VENV / 'bin' / 'metadata'} is missing; run make compat-venv "
            "(installs openmetadata-ingestion==2.0.7.0, about a minute)",
        )
    return COMPAT_BIN


@pytest.fixture(scope="session")
def compat_server_env() -> dict[str, str]:
    """Environment of every tessera server the compat tier starts."""
    return {"AUTHENTICATION_PROVIDER": "basic"}


@pytest.fixture(scope="session")
def compat_server(
    compat_client: Path, compat_server_env: dict[str, str]
) -> Callable[[Path, str], AbstractContextManager[CompatServer]]:
    """Starts ``tessera serve`` for the client: ``with compat_server(home, database_url) as server``."""

    @contextmanager
    def start(home: Path, database_url: str) -> Iterator[CompatServer]:
        with tessera_server(home, database_url, env=compat_server_env) as base_url:
            token = mint_bot_token(home, database_url, compat_server_env)
            yield CompatServer(base_url, token, admin_session(base_url, home))

    return start


@pytest.fixture(scope="module")
def sqlite_server(
    compat_server: Callable[[Path, str], AbstractContextManager[CompatServer]],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[CompatServer]:
    """A tessera server of this module alone, on its own SQLite database."""
    home = tmp_path_factory.mktemp("tessera-home")
    with compat_server(home, f"sqlite:///{home / 'catalog.db'}") as server:
        yield server


@pytest.fixture(scope="module")
def sdk(sqlite_server: CompatServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sdk]:
    """OpenMetadata's ``OpenMetadata`` SDK client, connected to ``sqlite_server``."""
    # The SDK tests create users, roles and policies too: an administrator's session.
    worker = Sdk(
        sqlite_server.base_url, sqlite_server.admin_token, tmp_path_factory.mktemp("sdk") / "worker.log"
    )
    try:
        yield worker
    finally:
        worker.close()
