"""``tessera serve``: run the catalog server."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from tessera.cli.common import ConfigOption, fail, load
from tessera.config import Settings


def serve(
    config: Path | None = ConfigOption,
    host: str | None = typer.Option(None, "--host", help="Interface to listen on (default 127.0.0.1)."),
    port: int | None = typer.Option(None, "--port", help="Port to listen on (default 8585)."),
    workers: int | None = typer.Option(
        None,
        "--workers",
        help="Server processes sharing the database (default 1; use PostgreSQL or MySQL for >1).",
    ),
    migrate: str | None = typer.Option(
        None,
        "--migrate",
        help=(
            "Schema migrations at start: auto (apply them), check (refuse an old schema; run tessera db "
            "upgrade first) or never. Default: server.migrate, else check in production, auto otherwise."
        ),
    ),
) -> None:
    """Start the catalog server.

    With no configuration it runs on the embedded SQLite database in TESSERA_HOME
    (~/.tessera) at http://127.0.0.1:8585; the OpenMetadata API is under /api/v1 and its
    interactive documentation at /docs.

    Example:

        tessera serve --config tessera.yaml --port 8585 --workers 4
    """
    from tessera import logs
    from tessera.observability.metrics import use_fresh_directory

    settings = load(
        config,
        {"server.host": host, "server.port": port, "server.workers": workers, "server.migrate": migrate},
    )
    logs.configure(settings.server.logLevel, settings.server.logFormat)
    # Before anything records a metric: every worker inherits the directory they all write to.
    with use_fresh_directory():
        _start(config, settings)


def _start(config: Path | None, settings: Settings) -> None:
    import uvicorn

    from tessera import logs
    from tessera.bootstrap import build_container, start

    # Any start-up failure must reach the operator as one readable line, not a traceback.
    try:
        container = build_container(settings)
    except Exception as exc:  # noqa: BLE001
        fail(f"cannot start: {exc}")
    try:
        # Migrate once here so that worker processes start against a ready database.
        start(container)
    except Exception as exc:  # noqa: BLE001
        fail(f"cannot start: {exc}")
    finally:
        container.close()
    if config is not None:
        os.environ["TESSERA_CONFIG_FILE"] = str(config.resolve())
    os.environ["TESSERA_HOST"] = settings.server.host
    os.environ["TESSERA_PORT"] = str(settings.server.port)
    os.environ["TESSERA_HOME"] = str(settings.home)
    # The schema is settled above: the workers only check it (they start while it cannot change).
    os.environ["TESSERA_MIGRATE"] = "never" if settings.server.migrate_mode == "never" else "check"
    server = settings.server
    typer.echo(
        f"tessera listening on http://{server.host}:{server.port}{server.rootPath} "
        f"(API {server.rootPath}/api/v1, docs {server.rootPath}/docs, "
        f"database {settings.database_url.split('@')[-1]})"
    )
    uvicorn.run(
        "tessera.app:create_app_from_environment",
        factory=True,
        host=server.host,
        port=server.port,
        workers=server.workers,
        # Applied by uvicorn in every worker process it starts: the same lines from one or many.
        log_config=logs.dict_config(server.logLevel, server.logFormat),
        log_level=server.logLevel.lower(),
        # tessera writes its own access log (observability.middleware), with the correlation id.
        access_log=False,
        # X-Forwarded-For/-Proto are believed from these addresses only (the reverse proxies):
        # anyone else could claim any client address or https.
        proxy_headers=True,
        forwarded_allow_ips=server.forwardedAllowIps,
        # Requests in flight when shutdown starts get this long (observability.lifecycle).
        timeout_graceful_shutdown=server.shutdownTimeoutSeconds,
    )
