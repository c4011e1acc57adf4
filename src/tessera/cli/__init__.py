"""The ``tessera`` command: one Typer group per module, configuration loaded lazily.

Each sub-module builds its own ``typer.Typer``; nothing here reads configuration or touches
the database at import time, so ``tessera --help`` is instant and works anywhere.
"""

from __future__ import annotations

import typer

from tessera import __version__

app = typer.Typer(
    name="tessera",
    help=(
        "tessera: an OpenMetadata-compatible metadata catalog with Microsoft Entra ID sign-in.\n\n"
        "Start with `tessera quickstart` to see the whole system run on this machine, or "
        "`tessera serve` to start the catalog server on the embedded SQLite database."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tessera {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """tessera's command line."""


def _register() -> None:
    # Imported here, not at module import, so each group's module stays independent.
    from tessera.cli.db import app as db_app
    from tessera.cli.doctor import app as doctor_app
    from tessera.cli.ingest import ingest
    from tessera.cli.operators import bots_app, keys_app, secrets_app, users_app
    from tessera.cli.quickstart import quickstart
    from tessera.cli.serve import serve
    from tessera.entra import cli as entra_cli

    app.command("serve")(serve)
    app.command("ingest")(ingest)
    app.command("quickstart")(quickstart)
    app.add_typer(db_app, name="db")
    app.add_typer(users_app, name="users")
    app.add_typer(bots_app, name="bots")
    app.add_typer(keys_app, name="keys")
    app.add_typer(secrets_app, name="secrets")
    app.add_typer(doctor_app, name="doctor")
    app.add_typer(entra_cli.app, name="entra")


def main() -> None:
    _register()
    app()
