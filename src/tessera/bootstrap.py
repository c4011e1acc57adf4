"""Building a tessera process: settings -> container -> a migrated, seeded database."""

from __future__ import annotations

import logging

from tessera.auth.noauth import WARNING, AllowAllAuthorizer, NoAuthAuthenticator
from tessera.catalog import builtin
from tessera.catalog.service import CatalogService
from tessera.config import Settings
from tessera.container import Container
from tessera.storage import migrate
from tessera.storage.db import create_engine

log = logging.getLogger("tessera")


def build_container(settings: Settings) -> Container:
    engine = create_engine(
        settings.database_url, pool_size=settings.database.poolSize, echo=settings.database.echo
    )
    catalog = CatalogService(engine)
    return Container(
        settings=settings,
        engine=engine,
        catalog=catalog,
        authenticator=NoAuthAuthenticator(),
        authorizer=AllowAllAuthorizer(),
    )


def start(container: Container) -> None:
    """Bring the database to the current schema and install what every catalog has."""
    settings = container.settings
    if settings.authenticationConfiguration.provider == "no-auth":
        log.warning(WARNING)
    migrate.upgrade(container.engine)
    builtin.install(container.catalog)
