"""``managed-identity``: managed identities and the environment their clients read."""

from __future__ import annotations

import typer

from tessera.entra.cli.common import Ctx, TenantOption, run, svc
from tessera.entra.settings import DEFAULT_PORT

identities_app = typer.Typer(
    help="Managed identities: the IMDS and App Service token endpoints answer for them.", no_args_is_help=True
)


@identities_app.command("create")
def identity_create(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Display name (the VM's, or the user-assigned identity's)."),
    user_assigned: bool = typer.Option(
        False, "--user-assigned", help="User-assigned (else system-assigned)."
    ),
    client_id: str | None = typer.Option(None, "--client-id", help="Its client id (default: random)."),
    tenant: str | None = TenantOption,
) -> None:
    """Create a managed identity. The first system-assigned one is the machine's: token requests
    that name no identity get it. Grant it app roles with `app assign-app API --client NAME`.

    Example: tessera entra managed-identity create build-vm
    """
    mi = run(
        lambda: svc(ctx).create_managed_identity(
            tenant, name, user_assigned=user_assigned, client_id=client_id
        )
    )
    typer.echo(f"managed identity {mi['displayName']}: client id {mi['appId']} object id {mi['id']}")


@identities_app.command("list")
def identity_list(ctx: typer.Context, tenant: str | None = TenantOption) -> None:
    """List managed identities. Example: tessera entra managed-identity list"""
    for mi in run(lambda: svc(ctx).managed_identities(tenant)):
        typer.echo(f"{mi['appId']}  {mi['managedIdentityType']}  {mi['displayName']}")


@identities_app.command("env")
def identity_env(
    ctx: typer.Context,
    url: str = typer.Option(f"https://127.0.0.1:{DEFAULT_PORT}", "--url", help="The emulator's base URL."),
    imds: bool = typer.Option(False, "--imds", help="The VM (IMDS) form instead of App Service's."),
) -> None:
    """Print the environment a managed identity client (azure-identity, MSAL) reads.

    Example: eval "$(tessera entra managed-identity env)"
    """
    from tessera.entra.app import IDENTITY_HEADER_FILE
    from tessera.entra.local_secrets import local_secret

    obj: Ctx = ctx.obj
    base = url.rstrip("/")
    if imds:
        typer.echo(f"export AZURE_POD_IDENTITY_AUTHORITY_HOST={base}")
        return
    header = run(lambda: local_secret(obj.settings().home, IDENTITY_HEADER_FILE))
    typer.echo(f"export IDENTITY_ENDPOINT={base}/msi/token IDENTITY_HEADER={header}")
