"""``tessera ingest``: catalog a database into a catalog server, over its HTTP API alone.

The package stands on OpenMetadata's REST API: it imports nothing of the server, only itself,
``tessera.contract`` (OpenMetadata's schemas, as data), ``tessera.microsoft`` (Microsoft's
sign-in hosts) and ``tessera.__version__`` (``tests/ingest/test_isolation.py`` checks it).

Its public face is :func:`run`, which the ``tessera ingest`` command and the quickstart both
call, and :data:`EXIT_CODES`, what its return value means. Importing the package does no work.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

EXIT_CODES = {
    0: "success (failures, if any, stayed within successThreshold)",
    1: "more entities failed than workflowConfig.successThreshold allows",
    2: "the workflow YAML is wrong (the message names the line and key)",
    3: "the catalog server cannot be reached, or refused the credentials",
    4: "the source database cannot be reached or read",
}

__all__ = ["EXIT_CODES", "run"]


def run(
    config: Path,
    *,
    dry_run: bool = False,
    quiet: bool = False,
    environ: Mapping[str, str] | None = None,
    out: Console | None = None,
    err: Console | None = None,
) -> int:
    """Run the workflow in ``config`` and return its exit code (a key of :data:`EXIT_CODES`).

    Progress, warnings and errors (each with what to change) go to ``err``, the summary to
    ``out`` (stderr and stdout by default). ``${VAR}`` in the file is read from ``environ``
    (this process's environment by default).
    """
    from tessera.ingest.runner import run_workflow

    return run_workflow(config, dry_run=dry_run, quiet=quiet, environ=environ, out=out, err=err)
