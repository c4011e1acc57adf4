"""``tessera ingest -c workflow.yaml``: catalog a database from OpenMetadata's workflow YAML.

The command's options and help; the run, its output and its exit codes are
``tessera.ingest.run``'s (the quickstart calls it too).
"""

from __future__ import annotations

from pathlib import Path

import typer


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
    from tessera.ingest import run

    raise typer.Exit(run(config, dry_run=dry_run, quiet=quiet))
