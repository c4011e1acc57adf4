"""What every ``tessera entra`` command shares: the ``--home`` and ``--tenant`` options, the
directory service on the emulator's home, and errors as one red line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

HomeOption = typer.Option(
    None,
    "--home",
    help="The emulator's directory (default: $TESSERA_HOME/entra, ~/.tessera/entra).",
    envvar="TESSERA_ENTRA_HOME",
)
TenantOption = typer.Option(
    None, "--tenant", "-t", help="Tenant GUID or domain; may be left out when there is only one."
)


class Ctx:
    def __init__(self, home: Path | None) -> None:
        self.home = home

    def settings(self, **overrides: Any) -> Any:
        from tessera.entra.settings import load_settings

        return load_settings(home=self.home, **overrides)

    def service(self) -> Any:
        from tessera.entra.service import DirectoryService
        from tessera.entra.store import Store

        settings = self.settings()
        return DirectoryService(Store(settings.database_url), settings.clock)


def svc(ctx: typer.Context) -> Any:
    obj: Ctx = ctx.obj
    return obj.service()


def fail(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(2)


def run(fn: Any) -> Any:
    from tessera.entra.directory import DirectoryError

    try:
        return fn()
    except DirectoryError as exc:
        fail(exc.message)


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2))
