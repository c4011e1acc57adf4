"""The ASGI application: ``create_app(settings)`` wires routers, middleware and error handling."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from tessera import __version__, logs
from tessera.api import http_errors, pipelines, search, system
from tessera.api.limits import BodyLimit
from tessera.api.middleware import PUBLIC_PATHS, AuthenticationMiddleware
from tessera.audit import routes as audit_routes
from tessera.catalog import routes as catalog_routes
from tessera.catalog.kinds import ALL
from tessera.config import Settings
from tessera.container import Container
from tessera.lineage import routes as lineage_routes
from tessera.queries import routes as query_routes
from tessera.settings import routes as settings_routes
from tessera.tabledata import routes as table_data_routes
from tessera.users import routes as user_routes
from tessera.web import routes as web_routes

log = logging.getLogger("tessera")


def create_app(settings: Settings, *, container: Container | None = None) -> FastAPI:
    from tessera.bootstrap import build_container

    built = container or build_container(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from tessera.bootstrap import start

        start(built)
        try:
            yield
        finally:
            built.close()

    app = FastAPI(
        title="tessera",
        version=__version__,
        description=(
            'OpenMetadata-compatible catalog API. Errors are always {"code": <status>, "message": "..."}.'
        ),
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.container = built
    http_errors.install(app)
    app.add_middleware(AuthenticationMiddleware, authenticate=built.authenticator.authenticate)
    # Outermost: an oversized body is refused before anything else looks at the request.
    app.add_middleware(
        BodyLimit,
        limit=settings.server.maxRequestBodyBytes,
        public_limit=settings.server.maxPublicRequestBodyBytes,
        public_paths=PUBLIC_PATHS,
    )
    # Before system.router: /system/settings is not one of its paths.
    app.include_router(settings_routes.router)
    app.include_router(system.router)
    app.include_router(search.router)
    app.include_router(audit_routes.router)
    app.include_router(lineage_routes.router)
    # Before the generic entity routes: /tables/{fqn}/tableProfile must not be read as a table id.
    app.include_router(table_data_routes.router)
    # Before the generic entity routes: its list also answers ?entityId=.
    app.include_router(query_routes.router)
    # Before the generic entity routes: these user paths must win over /users/{id}.
    app.include_router(user_routes.router)
    # Pipeline run routes first: their paths would otherwise be read as entity ids.
    app.include_router(pipelines.router)
    for kind in ALL:
        app.include_router(catalog_routes.entity_router(kind))
    # Last: the UI answers every path the API does not (client-side routing).
    web_routes.install(app, settings)
    built.started_at_ms = int(time.time() * 1000)
    app.openapi = lambda: _openapi_with_bearer(app)  # type: ignore[method-assign]
    return app


def _openapi_with_bearer(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, saying that /api/v1 takes a Bearer JWT (so /docs can send one)."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        schema.setdefault("components", {})["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
        }
        schema["security"] = [{"bearer": []}]
        app.openapi_schema = schema
    return app.openapi_schema


def create_app_from_environment() -> FastAPI:
    """Factory for uvicorn workers: settings from TESSERA_CONFIG_FILE and the environment."""
    import os
    from pathlib import Path

    from tessera.config import load_settings

    config_file = os.environ.get("TESSERA_CONFIG_FILE")
    settings = load_settings(Path(config_file) if config_file else None)
    # A worker process starts with no logging of its own: without this its lines would be lost.
    logs.configure(settings.server.logLevel)
    return create_app(settings)
