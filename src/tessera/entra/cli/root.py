"""``tessera entra``: run the emulator and manage its directory, one command per step of the
Azure SSO guide (App registrations, Expose an API, API permissions, admin consent,
Certificates & secrets, Overview).

Commands work on ``$TESSERA_HOME/entra/`` (or ``--home``): the SQLite database that a running
``tessera entra serve`` reads on every request, so changes apply at once.
"""

from __future__ import annotations

from pathlib import Path

import typer

from tessera.entra.cli.common import Ctx, HomeOption

app = typer.Typer(
    name="entra",
    help=(
        "A local identity provider that behaves like Microsoft Entra ID v2: MSAL works against "
        "it unchanged.\n\n"
        "Start it with `tessera entra serve`, then follow the Azure SSO guide with `tessera entra "
        "app ...` commands, e.g.:\n\n"
        "  tessera entra tenant create --domain contoso.onmicrosoft.com\n\n"
        "  tessera entra app create --name 'tessera UI' --spa-redirect-uri http://localhost:8585/callback"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(ctx: typer.Context, home: Path | None = HomeOption) -> None:
    ctx.obj = Ctx(home)
