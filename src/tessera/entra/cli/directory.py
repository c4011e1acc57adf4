"""``tenant``, ``user`` and ``group``: the directory's people and groups."""

from __future__ import annotations

import json

import typer

from tessera.entra.cli.common import TenantOption, run, svc

tenant_app = typer.Typer(help="Tenants (directories): create, update and list.", no_args_is_help=True)
user_app = typer.Typer(help="Users who sign in on the emulator's sign-in page.", no_args_is_help=True)
group_app = typer.Typer(help="Security groups (the `groups` claim), nested or not.", no_args_is_help=True)


# --- tenants, users, groups ------------------------------------------------------------------------


@tenant_app.command("create")
def tenant_create(
    ctx: typer.Context,
    domain: str = typer.Option(..., "--domain", help="e.g. contoso.onmicrosoft.com"),
    name: str | None = typer.Option(None, "--name", help="Display name (default: from the domain)."),
    tenant_id: str | None = typer.Option(None, "--id", help="Tenant GUID (default: random)."),
) -> None:
    """Create a tenant ("Default Directory").

    Example: tessera entra tenant create --domain contoso.onmicrosoft.com --name Contoso
    """
    t = run(lambda: svc(ctx).create_tenant(domain, name, tenant_id))
    typer.echo(f"tenant {t['displayName']}: id {t['id']} domain {domain.lower()}")


@tenant_app.command("update")
def tenant_update(
    ctx: typer.Context,
    tenant: str = typer.Argument(..., help="Tenant GUID or domain."),
    refresh_token_reuse: str | None = typer.Option(
        None,
        "--refresh-token-reuse",
        help="allow (Entra: a used refresh token stays valid) or revokeFamily (reuse revokes its sign-in).",
    ),
    name: str | None = typer.Option(None, "--name", help="Display name."),
) -> None:
    """Change a tenant's name or the emulator's behaviour in it.

    Example: tessera entra tenant update contoso.onmicrosoft.com --refresh-token-reuse revokeFamily
    """
    t = run(
        lambda: svc(ctx).update_tenant(tenant, refresh_token_reuse=refresh_token_reuse, display_name=name)
    )
    typer.echo(f"tenant {t['displayName']}: {json.dumps(t['settings'])}")


@tenant_app.command("list")
def tenant_list(ctx: typer.Context) -> None:
    """List tenants. Example: tessera entra tenant list"""
    for t in run(lambda: svc(ctx).tenants()):
        typer.echo(f"{t['id']}  {t['verifiedDomains'][0]['name']}  {t['displayName']}")


@user_app.command("create")
def user_create(
    ctx: typer.Context,
    upn: str = typer.Argument(..., help="userPrincipalName (alice or alice@contoso.onmicrosoft.com)."),
    password: str | None = typer.Option(
        None, "--password", help="Default: generated and printed once.", envvar="TESSERA_ENTRA_PASSWORD"
    ),
    name: str | None = typer.Option(None, "--name", help="Display name."),
    mail: str | None = typer.Option(None, "--mail", help="Mail address (the `email` claim)."),
    weak_password: bool = typer.Option(
        False,
        "--weak-password",
        help="Waive Entra's password policy (passwordPolicies DisableStrongPassword).",
    ),
    mfa_required: bool = typer.Option(False, "--mfa-required", help="Must pass MFA: ROPC refuses them."),
    administrator: bool = typer.Option(
        False, "--administrator", help="An administrator (may grant admin consent)."
    ),
    federated_issuer: str | None = typer.Option(
        None, "--federated-issuer", help="A federated user (their IdP's issuer): ROPC refuses them."
    ),
    tenant: str | None = TenantOption,
) -> None:
    """Create a user who can sign in. Passwords follow Entra's policy: 8+ characters, three of
    lower case, upper case, digits and symbols.

    Example: tessera entra user create alice@contoso.onmicrosoft.com --name "Alice" --mail alice@contoso.com
    """
    policies = "DisableStrongPassword" if weak_password else None
    u = run(
        lambda: svc(ctx).create_user(
            tenant,
            upn,
            password,
            display_name=name,
            mail=mail,
            password_policies=policies,
            mfa_required=mfa_required,
            federated_issuer=federated_issuer,
            administrator=administrator,
        )
    )
    typer.echo(f"user {u['userPrincipalName']}: object id {u['id']}")
    if "password" in u:
        typer.echo(f"password: {u['password']}  (shown once)")


@user_app.command("list")
def user_list(ctx: typer.Context, tenant: str | None = TenantOption) -> None:
    """List users. Example: tessera entra user list --tenant contoso.onmicrosoft.com"""
    for u in run(lambda: svc(ctx).users(tenant)):
        typer.echo(f"{u['id']}  {u['userPrincipalName']}  {u['displayName']}")


@group_app.command("create")
def group_create(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Group display name."),
    member: list[str] = typer.Option(
        [], "--member", "-m", help="A user (UPN or object id) or a group (name or id); repeatable."
    ),
    description: str | None = typer.Option(None, "--description"),
    tenant: str | None = TenantOption,
) -> None:
    """Create a security group (or add members to an existing one). Groups may contain groups;
    the `groups` claim counts membership transitively.

    Example: tessera entra group create "Data Stewards" --member alice@contoso.onmicrosoft.com
    """
    g = run(lambda: svc(ctx).create_group(tenant, name, member, description=description))
    typer.echo(f"group {g['displayName']}: object id {g['id']} ({len(g['members'])} members)")


@group_app.command("add-member")
def group_add_member(
    ctx: typer.Context,
    group: str = typer.Argument(..., help="Group name or object id."),
    member: str = typer.Argument(..., help="A user (UPN or object id) or a group (name or id)."),
    tenant: str | None = TenantOption,
) -> None:
    """Add a member to a group.

    Example: tessera entra group add-member "Data Stewards" bob@contoso.onmicrosoft.com
    """
    g = run(lambda: svc(ctx).add_group_member(tenant, group, member))
    typer.echo(f"group {g['displayName']}: {len(g['members'])} members")


@group_app.command("remove-member")
def group_remove_member(
    ctx: typer.Context,
    group: str = typer.Argument(..., help="Group name or object id."),
    member: str = typer.Argument(..., help="A user or a group."),
    tenant: str | None = TenantOption,
) -> None:
    """Remove a member from a group.

    Example: tessera entra group remove-member "Data Stewards" bob@contoso.onmicrosoft.com
    """
    g = run(lambda: svc(ctx).remove_group_member(tenant, group, member))
    typer.echo(f"group {g['displayName']}: {len(g['members'])} members")


@group_app.command("list")
def group_list(ctx: typer.Context, tenant: str | None = TenantOption) -> None:
    """List groups with their member counts. Example: tessera entra group list"""
    for g in run(lambda: svc(ctx).groups(tenant)):
        typer.echo(f"{g['id']}  {g['displayName']}  ({len(g['members'])} members)")
