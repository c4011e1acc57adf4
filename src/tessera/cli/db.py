"""``tessera db``: the database schema."""

from __future__ import annotations

from pathlib import Path

import typer

from tessera.cli.common import ConfigOption, fail, load

app = typer.Typer(
    help=(
        "Manage the database schema. tessera serve applies migrations at start unless --migrate check "
        "(the production default) or never says otherwise; then this is the step that does."
    ),
    no_args_is_help=True,
)


@app.command("upgrade")
def upgrade(config: Path | None = ConfigOption) -> None:
    """Apply every pending migration to the configured database (the Kubernetes migration Job's
    command; safe to run while the old version serves, and by several processes at once).

    Example: TESSERA_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/tessera tessera db upgrade
    """
    from tessera.storage import migrate
    from tessera.storage.db import create_engine

    settings = load(config)
    engine = create_engine(settings.database_url)
    try:
        migrate.upgrade(engine)
        typer.echo(
            f"database at revision {migrate.current_revision(engine)} (head {migrate.head_revision()})"
        )
    except Exception as exc:  # noqa: BLE001  (report any driver error readably)
        fail(f"migration failed: {exc}")
    finally:
        engine.dispose()


@app.command("current")
def current(config: Path | None = ConfigOption) -> None:
    """Print the schema revision of the configured database."""
    from tessera.storage import migrate
    from tessera.storage.db import create_engine

    settings = load(config)
    engine = create_engine(settings.database_url)
    try:
        typer.echo(f"{migrate.current_revision(engine) or 'empty'} (head {migrate.head_revision()})")
    finally:
        engine.dispose()
