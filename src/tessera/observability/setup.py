"""Wiring the signals into an app: its metrics, its lifecycle, the probes and the middleware."""

from __future__ import annotations

from fastapi import FastAPI

from tessera.container import Container
from tessera.observability import routes
from tessera.observability.lifecycle import Lifecycle
from tessera.observability.metrics import EntityWriteCounter, Metrics
from tessera.observability.middleware import RequestSignals


def install(app: FastAPI, container: Container, metrics: Metrics) -> None:
    """Call after every other middleware: the signals wrap everything, refusals included."""
    app.state.metrics = metrics
    app.state.lifecycle = Lifecycle(container.settings.server.shutdownDrainSeconds)
    metrics.watch_pool(container.engine)
    metrics.watch_commits(container.engine)
    container.catalog.add_listener(EntityWriteCounter())
    container.token_cache.on_lookup.append(metrics.token_cache_lookup)
    if container.entra is not None:
        container.entra.validator.jwks.on_fetch.append(metrics.jwks_fetched)
    app.include_router(routes.router)
    app.add_middleware(RequestSignals, metrics=metrics, routes=app.router.routes)
