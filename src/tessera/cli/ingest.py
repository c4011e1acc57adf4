"""``tessera ingest -c workflow.yaml``: catalog a database from OpenMetadata's workflow YAML.

The one place ingestion errors become text and exit codes; everything else lives in
``tessera.ingest``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.logging import RichHandler

if TYPE_CHECKING:
    from tessera.ingest.pipeline import RunResult
    from tessera.ingest.workflow import Workflow

EXIT_CODES = {
    0: "success (failures, if any, stayed within successThreshold)",
    1: "more entities failed than workflowConfig.successThreshold allows",
    2: "the workflow YAML is wrong (the message names the line and key)",
    3: "the catalog server cannot be reached, or refused the credentials",
    4: "the source database cannot be reached or read",
}


def ingest(
    config: Path = typer.Option(
        ...,
        "--config",
        "-c",
        help="The workflow YAML (OpenMetadata's format: source, sink, workflowConfig).",
        dir_okay=False,
    ),
    dry_run: bool = typer.Option(
        False,
        "--dry-run",
        help="Read the source, build and check every request, talk to the server read-only; write nothing.",
    ),
    quiet: bool = typer.Option(
        False, "--quiet", "-q", help="No progress bar; only warnings, errors and the summary."
    ),
) -> None:
    """Catalog a SQLite, PostgreSQL or MySQL/MariaDB database into tessera.

    Reads OpenMetadata's workflow YAML unchanged: with authProvider
    openmetadata the same file works with OpenMetadata's `metadata ingest`.
    Extracts schemas, tables, views, columns and keys and sends them with the
    bulk API; the server skips unchanged tables, and tables gone from the
    source are marked deleted. ${VAR} and ${VAR:-default} in the file are read
    from the environment, so secrets stay out of it.

    Example workflow.yaml (docs/ingest.md adds PostgreSQL, MySQL, Azure,
    filters and pipeline runs):

        source:
          type: sqlite
          serviceName: local_sqlite
          serviceConnection:
            config:
              type: SQLite
              database: main
              databaseMode: /data/app.db
          sourceConfig:
            config:
              type: DatabaseMetadata
              markDeletedTables: true
              tableFilterPattern:
                excludes: ["^tmp_"]
        sink:
          type: metadata-rest
          config: {}
        workflowConfig:
          openMetadataServerConfig:
            hostPort: http://localhost:8585/api
            authProvider: openmetadata
            securityConfig:
              jwtToken: ${TESSERA_JWT}

    Exit codes: 0 success; 1 more failures than successThreshold allows;
    2 workflow YAML error; 3 server unreachable or credentials refused
    (401/403, Entra ID AADSTS errors); 4 source database unreachable.
    """
    from tessera.ingest.errors import IngestError
    from tessera.ingest.pipeline import threshold_error
    from tessera.ingest.report import print_summary

    err = Console(stderr=True, highlight=False, soft_wrap=True)
    out = Console(highlight=False)
    try:
        result, workflow = _run(config, dry_run=dry_run, quiet=quiet, err=err)
        print_summary(out, result)
        failed = threshold_error(result, workflow)
        if failed is not None:
            raise failed
    except IngestError as exc:
        err.print(f"[bold red]error:[/bold red] {exc.title}")
        err.print(exc.message, markup=False)
        if exc.hint:
            err.print(f"[bold]fix:[/bold] {exc.hint}")
        raise typer.Exit(exc.exit_code) from None


def _run(config: Path, *, dry_run: bool, quiet: bool, err: Console) -> tuple[RunResult, Workflow]:
    from tessera.ingest import pipeline
    from tessera.ingest.auth import token_provider
    from tessera.ingest.client import CatalogClient
    from tessera.ingest.report import RichReport
    from tessera.ingest.sources.sqlalchemy_source import SqlAlchemySource
    from tessera.ingest.workflow import load_workflow

    loaded = load_workflow(config)
    workflow = loaded.workflow
    _configure_logging(workflow.workflowConfig.loggerLevel, err)
    for warning in loaded.warnings:
        err.print(f"[yellow]warning:[/yellow] {warning}")
    tokens = token_provider(workflow.server)
    source = SqlAlchemySource(workflow.source)
    agent = f"{workflow.source.type}_metadata (service: {workflow.source.serviceName}; tessera-ingest)"
    client = CatalogClient(workflow.server, tokens, user_agent=agent)
    try:
        if quiet:
            return pipeline.run(workflow, source, client, dry_run=dry_run), workflow
        with RichReport(err) as report:
            return pipeline.run(workflow, source, client, dry_run=dry_run, observer=report), workflow
    finally:
        client.close()
        source.close()


def _configure_logging(level: str, console: Console) -> None:
    logger = logging.getLogger("tessera.ingest")
    logger.setLevel("WARNING" if level == "WARN" else level)
    if not any(isinstance(h, RichHandler) for h in logger.handlers):
        logger.addHandler(RichHandler(console=console, show_path=False, show_time=False))
    logger.propagate = False
    # httpx logs every request at INFO; that is only interesting when debugging.
    logging.getLogger("httpx").setLevel("DEBUG" if level == "DEBUG" else "WARNING")
