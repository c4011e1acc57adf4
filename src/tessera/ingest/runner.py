"""One ``tessera ingest`` run as a person sees it: the workflow loaded, the progress, the summary,
and every error rendered in one place as a message, what to change, and an exit code."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape

from tessera.ingest import pipeline
from tessera.ingest.auth import token_provider
from tessera.ingest.client import CatalogClient
from tessera.ingest.errors import IngestError
from tessera.ingest.loading import load_workflow
from tessera.ingest.report import RichReport, print_summary
from tessera.ingest.result import RunResult, threshold_error
from tessera.ingest.sources import open_source
from tessera.ingest.workflow import Workflow


def run_workflow(
    config: Path,
    *,
    dry_run: bool,
    quiet: bool,
    environ: Mapping[str, str] | None,
    out: Console | None,
    err: Console | None,
) -> int:
    err = err or Console(stderr=True, highlight=False, soft_wrap=True)
    out = out or Console(highlight=False)
    try:
        result, workflow = _run(config, dry_run=dry_run, quiet=quiet, environ=environ, err=err)
        print_summary(out, result)
        failed = threshold_error(result, raise_on_error=workflow.workflowConfig.raiseOnError)
        if failed is not None:
            raise failed
    except IngestError as exc:
        err.print(f"[bold red]error:[/bold red] {exc.title}")
        err.print(exc.message, markup=False)
        if exc.hint:
            err.print(f"[bold]fix:[/bold] {escape(exc.hint)}")
        return exc.exit_code
    return 0


def _run(
    config: Path, *, dry_run: bool, quiet: bool, environ: Mapping[str, str] | None, err: Console
) -> tuple[RunResult, Workflow]:
    loaded = load_workflow(config, environ=environ)
    workflow = loaded.workflow
    _configure_logging(workflow.workflowConfig.loggerLevel, err)
    for warning in loaded.warnings:
        err.print(f"[yellow]warning:[/yellow] {warning}")
    tokens = token_provider(workflow.server)
    source = open_source(workflow.source)
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
    for handler in [h for h in logger.handlers if isinstance(h, RichHandler)]:
        logger.removeHandler(handler)
    logger.addHandler(RichHandler(console=console, show_path=False, show_time=False))
    logger.propagate = False
    # httpx logs every request at INFO; that is only interesting when debugging.
    logging.getLogger("httpx").setLevel("DEBUG" if level == "DEBUG" else "WARNING")
