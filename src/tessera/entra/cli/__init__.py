"""``tessera entra``: run the emulator and manage its directory, one command per step of the
Azure SSO guide (App registrations, Expose an API, API permissions, admin consent,
Certificates & secrets, Overview). One module per command group: ``server`` (serve, ca,
admin-token, apply, demo, keys), ``directory`` (tenant, user, group), ``apps`` (app).

Commands work on ``$TESSERA_HOME/entra/`` (or ``--home``): the SQLite database that a running
``tessera entra serve`` reads on every request, so changes apply at once.
"""

from __future__ import annotations

from tessera.entra.cli import server  # noqa: F401  (its commands register on the root app)
from tessera.entra.cli.apps import apps_app
from tessera.entra.cli.directory import group_app, tenant_app, user_app
from tessera.entra.cli.faults import faults_app
from tessera.entra.cli.identities import identities_app
from tessera.entra.cli.root import app
from tessera.entra.cli.server import keys_app

app.add_typer(tenant_app, name="tenant")
app.add_typer(user_app, name="user")
app.add_typer(group_app, name="group")
app.add_typer(apps_app, name="app")
app.add_typer(keys_app, name="keys")
app.add_typer(identities_app, name="managed-identity")
app.add_typer(faults_app, name="faults")

__all__ = ["app", "main"]


def main() -> None:
    app(prog_name="tessera entra")
