"""The ASGI application: ``create_app(settings)`` wires routers, middleware and error handling."""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from tessera import __version__, logs
from tessera.api import docs, http_errors, openapi, permissions, pipelines, policies, search, system
from tessera.api.limits import BodyLimit
from tessera.api.middleware import PUBLIC_PATHS, AuthenticationMiddleware
from tessera.api.root_path import RootPath
from tessera.api.routing import CollectionDispatch
from tessera.audit import routes as audit_routes
from tessera.catalog import routes as catalog_routes
from tessera.catalog.kinds import ALL
from tessera.config import Settings
from tessera.container import Container
from tessera.lineage import routes as lineage_routes
from tessera.observability import setup as observability
from tessera.observability.metrics import Metrics
from tessera.queries import routes as query_routes
from tessera.settings import routes as settings_routes
from tessera.tabledata import routes as table_data_routes
from tessera.users import routes as user_routes
from tessera.web import routes as web_routes

log = logging.getLogger("tessera")


def create_app(
    settings: Settings, *, container: Container | None = None, freeze_heap: bool = False
) -> FastAPI:
    """``freeze_heap``: once started, move everything the start-up made (modules, schemas,
    routes, caches) out of the cyclic garbage collector's reach (:func:`gc.freeze`), as a
    long-running server process should. Otherwise every full collection walks those objects
    again, and a request that builds many documents (a 1,000-entity page) triggers several.
    Not for processes that build many apps (tests): frozen objects are never collected."""
    from tessera.bootstrap import build_container

    built = container or build_container(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from tessera.bootstrap import start

        start(built)
        app.state.lifecycle.install_sigterm_drain()
        if freeze_heap:
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            metrics.process_exiting()
            built.close()

    app = FastAPI(
        title="tessera",
        version=__version__,
        description=(
            'OpenMetadata-compatible catalog API. Errors are always {"code": <status>, "message": "..."}.'
        ),
        lifespan=lifespan,
        # Served offline by api.docs instead of FastAPI's CDN-loading pages.
        docs_url=None,
        redoc_url=None,
    )
    app.state.container = built
    metrics = Metrics()
    http_errors.install(app)
    app.add_middleware(
        AuthenticationMiddleware,
        authenticate=built.authenticator.authenticate,
        on_refused=metrics.auth_refused,
    )
    # Then: an oversized body is refused before anything else looks at the request.
    app.add_middleware(
        BodyLimit,
        limit=settings.server.maxRequestBodyBytes,
        public_limit=settings.server.maxPublicRequestBodyBytes,
        public_paths=PUBLIC_PATHS,
    )
    # Outside even that: every request is counted and logged with its correlation id.
    observability.install(app, built, metrics)
    if settings.server.rootPath:
        # Outermost: everything inside sees the path as the router does (api.root_path).
        app.add_middleware(RootPath, root_path=settings.server.rootPath)
    # Each request is matched only against the routers of its collection (api.routing), in
    # this order, which decides which route wins where two could match:
    api_routers = [
        # Before system.router: /system/settings is not one of its paths.
        settings_routes.router,
        system.router,
        search.router,
        audit_routes.router,
        policies.router,
        permissions.router,
        lineage_routes.router,
        # Before the generic entity routes: /tables/{fqn}/tableProfile must not be read as a table id.
        table_data_routes.router,
        # Before the generic entity routes: its list also answers ?entityId=.
        query_routes.router,
        # Before the generic entity routes: these user paths must win over /users/{id}.
        user_routes.router,
        # Pipeline run routes first: their paths would otherwise be read as entity ids.
        pipelines.router,
        *(catalog_routes.entity_router(kind) for kind in ALL),
    ]
    app.include_router(CollectionDispatch(api_routers))
    docs.install(app)
    # Last: the UI answers its own page paths (client-side routing).
    web_routes.install(app, settings)
    built.started_at_ms = int(time.time() * 1000)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        app.openapi_schema = openapi.document(app, ALL)
    return app.openapi_schema


def create_app_from_environment() -> FastAPI:
    """Factory for uvicorn workers: settings from TESSERA_CONFIG_FILE and the environment."""
    import os
    from pathlib import Path

    from tessera.config import load_settings

    config_file = os.environ.get("TESSERA_CONFIG_FILE")
    settings = load_settings(Path(config_file) if config_file else None)
    # uvicorn configured this worker's logging with the same dictionary (cli.serve); done again
    # for a factory started by another server.
    logs.configure(settings.server.logLevel, settings.server.logFormat)
    return create_app(settings, freeze_heap=True)
