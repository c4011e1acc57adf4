"""``app``: app registrations and their enterprise applications, one command per portal page."""

from __future__ import annotations

from pathlib import Path

import typer

from tessera.entra.cli.common import TenantOption, fail, print_json, run, svc
from tessera.entra.settings import DEFAULT_PORT

apps_app = typer.Typer(
    help="App registrations and their enterprise applications (service principals).",
    no_args_is_help=True,
)


# --- app registrations -----------------------------------------------------------------------------


@apps_app.command("create")
def app_create(
    ctx: typer.Context,
    name: str = typer.Option(..., "--name", help="Application name."),
    spa_redirect_uri: list[str] = typer.Option(
        [], "--spa-redirect-uri", help="Single-page application redirect URI."
    ),
    web_redirect_uri: list[str] = typer.Option([], "--web-redirect-uri", help="Web redirect URI."),
    public_client_redirect_uri: list[str] = typer.Option(
        [], "--public-client-redirect-uri", help="Mobile and desktop redirect URI (e.g. http://localhost)."
    ),
    audience: str = typer.Option(
        "AzureADMyOrg", "--audience", help="signInAudience: AzureADMyOrg or AzureADMultipleOrgs."
    ),
    tenant: str | None = TenantOption,
) -> None:
    """Register an application (App registrations → New registration), with its enterprise app.

    Example (guide step 2): tessera entra app create --name "tessera UI" --spa-redirect-uri http://localhost:8585/callback
    """
    a = run(
        lambda: svc(ctx).create_app(
            tenant,
            name,
            spa_redirect_uris=spa_redirect_uri,
            web_redirect_uris=web_redirect_uri,
            public_client_redirect_uris=public_client_redirect_uri,
            sign_in_audience=audience,
        )
    )
    typer.echo(f"app {a['displayName']}: client id {a['appId']} (object id {a['id']})")


def _optional_claims(values: list[str]) -> dict[str, list[str]] | None:
    if not values:
        return None
    out: dict[str, list[str]] = {}
    for item in values:
        kind, _, name = item.partition(":")
        if not name:
            fail(f"--optional-claim takes TOKEN:CLAIM, e.g. idToken:email (got '{item}')")
        out.setdefault(kind, []).append(name)
    return out


@apps_app.command("update")
def app_update(
    ctx: typer.Context,
    app_ref: str = typer.Argument(..., metavar="APP", help="appId, object id or name."),
    id_tokens: bool | None = typer.Option(
        None, "--id-tokens/--no-id-tokens", help="Authentication → ID tokens."
    ),
    access_tokens: bool | None = typer.Option(
        None, "--access-tokens/--no-access-tokens", help="Authentication → Access tokens."
    ),
    token_version: int | None = typer.Option(
        None, "--token-version", help="api.requestedAccessTokenVersion: 1 or 2."
    ),
    assignment_required: bool | None = typer.Option(
        None, "--assignment-required/--no-assignment-required", help="Enterprise app: assignment required."
    ),
    fallback_public_client: bool | None = typer.Option(
        None, "--public-client-flows/--no-public-client-flows", help="Allow public client flows."
    ),
    optional_claim: list[str] = typer.Option([], "--optional-claim", help="TOKEN:CLAIM, e.g. idToken:email."),
    group_claims: str | None = typer.Option(
        None, "--group-claims", help="groupMembershipClaims, e.g. SecurityGroup."
    ),
    spa_redirect_uri: list[str] = typer.Option([], "--spa-redirect-uri", help="Add a SPA redirect URI."),
    web_redirect_uri: list[str] = typer.Option([], "--web-redirect-uri", help="Add a web redirect URI."),
    public_client_redirect_uri: list[str] = typer.Option([], "--public-client-redirect-uri"),
    logout_url: str | None = typer.Option(None, "--logout-url", help="Front-channel logout URL."),
    tenant: str | None = TenantOption,
) -> None:
    """Change an app's authentication settings, token version or optional claims.

    Example (guide "Access Tokens and ID Tokens"):
    tessera entra app update "tessera UI" --id-tokens --access-tokens
    """
    run(
        lambda: svc(ctx).update_app(
            tenant,
            app_ref,
            id_tokens=id_tokens,
            access_tokens=access_tokens,
            token_version=token_version,
            assignment_required=assignment_required,
            fallback_public_client=fallback_public_client,
            optional_claims=_optional_claims(optional_claim),
            group_membership_claims=group_claims,
            add_spa_redirect_uris=spa_redirect_uri,
            add_web_redirect_uris=web_redirect_uri,
            add_public_client_redirect_uris=public_client_redirect_uri,
            logout_url=logout_url,
        )
    )
    typer.echo("updated")


@apps_app.command("expose-api")
def app_expose_api(
    ctx: typer.Context,
    app_ref: str = typer.Argument(..., metavar="APP"),
    app_id_uri: str | None = typer.Option(None, "--app-id-uri", help="Default: api://{appId}."),
    tenant: str | None = TenantOption,
) -> None:
    """Expose an API: set the Application ID URI.

    Example (guide steps "Expose an API" and 7): tessera entra app expose-api "tessera UI" --app-id-uri api://tessera
    """
    typer.echo(run(lambda: svc(ctx).expose_api(tenant, app_ref, app_id_uri)))


@apps_app.command("add-scope")
def app_add_scope(
    ctx: typer.Context,
    app_ref: str = typer.Argument(..., metavar="APP"),
    value: str = typer.Option(..., "--value", help="Scope name, e.g. access_as_user."),
    consent: str = typer.Option("User", "--who-can-consent", help="User (admins and users) or Admin."),
    display_name: str | None = typer.Option(None, "--display-name", help="Admin consent display name."),
    tenant: str | None = TenantOption,
) -> None:
    """Add a delegated scope to the exposed API (Expose an API → Add a scope).

    Example (guide step 3): tessera entra app add-scope "tessera UI" --value access_as_user
    """
    sc = run(
        lambda: svc(ctx).add_scope(
            tenant, app_ref, value, consent_type=consent, admin_display_name=display_name
        )
    )
    typer.echo(f"scope {sc['value']} ({sc['type']}): id {sc['id']}")


@apps_app.command("add-app-role")
def app_add_role(
    ctx: typer.Context,
    app_ref: str = typer.Argument(..., metavar="APP"),
    value: str = typer.Option(..., "--value", help="Role value (the `roles` claim), e.g. Catalog.Ingest."),
    member_type: list[str] = typer.Option(["Application"], "--member-type", help="Application and/or User."),
    display_name: str | None = typer.Option(None, "--display-name"),
    tenant: str | None = TenantOption,
) -> None:
    """Define an app role (App roles → Create app role).

    Example: tessera entra app add-app-role "tessera UI" --value Catalog.Ingest --member-type Application
    """
    r = run(
        lambda: svc(ctx).add_app_role(
            tenant, app_ref, value, allowed_member_types=member_type, display_name=display_name
        )
    )
    typer.echo(f"app role {r['value']}: id {r['id']}")


@apps_app.command("add-permission")
def app_add_permission(
    ctx: typer.Context,
    app_ref: str = typer.Argument(..., metavar="APP"),
    api: str = typer.Option(..., "--api", help="The API's app (appId or name), or 'graph'."),
    scope: list[str] = typer.Option([], "--scope", help="Delegated permission (scope value); repeatable."),
    role: list[str] = typer.Option([], "--role", help="Application permission (app role value); repeatable."),
    tenant: str | None = TenantOption,
) -> None:
    """Add an API permission (API permissions → Add a permission). Consent is a separate step.

    Example (guide step 5):
    tessera entra app add-permission "tessera ingestion" --api "tessera UI" --scope access_as_user
    """
    run(lambda: svc(ctx).add_permission(tenant, app_ref, api, scopes=scope, roles=role))
    typer.echo("permission added; run grant-admin-consent to consent to it")


@apps_app.command("grant-admin-consent")
def app_grant_admin_consent(
    ctx: typer.Context, app_ref: str = typer.Argument(..., metavar="APP"), tenant: str | None = TenantOption
) -> None:
    """Grant admin consent for the tenant to every permission the app requires.

    Example (guide step 6): tessera entra app grant-admin-consent "tessera ingestion"
    """
    granted = run(lambda: svc(ctx).grant_admin_consent(tenant, app_ref))
    for kind, per_api in granted.items():
        for api_name, values in per_api.items():
            typer.echo(f"{kind}: {api_name}: {' '.join(values)}")


@apps_app.command("assign-user")
def app_assign_user(
    ctx: typer.Context,
    app_ref: str = typer.Argument(..., metavar="APP"),
    user: str = typer.Option(..., "--user", help="UPN or object id."),
    role: str | None = typer.Option(None, "--role", help="App role value (default: default access)."),
    tenant: str | None = TenantOption,
) -> None:
    """Assign a user to the app, optionally in an app role (Enterprise app → Users and groups).

    Example: tessera entra app assign-user "tessera UI" --user alice@contoso.onmicrosoft.com --role Admin
    """
    run(lambda: svc(ctx).assign_user(tenant, app_ref, user, role))
    typer.echo("assigned")


@apps_app.command("assign-group")
def app_assign_group(
    ctx: typer.Context,
    app_ref: str = typer.Argument(..., metavar="APP"),
    group: str = typer.Option(..., "--group", help="Group name or object id."),
    role: str | None = typer.Option(None, "--role", help="App role value (default: default access)."),
    tenant: str | None = TenantOption,
) -> None:
    """Assign a group to the app, optionally in an app role: its members (transitively) get it.

    Example: tessera entra app assign-group "tessera UI" --group "Data Stewards" --role DataSteward
    """
    run(lambda: svc(ctx).assign_group(tenant, app_ref, group, role))
    typer.echo("assigned")


@apps_app.command("assign-app")
def app_assign_app(
    ctx: typer.Context,
    app_ref: str = typer.Argument(..., metavar="APP", help="The API whose app role is granted."),
    client: str = typer.Option(..., "--client", help="The client app (appId or name) that gets the role."),
    role: str = typer.Option(..., "--role", help="App role value (allowedMemberTypes: Application)."),
    tenant: str | None = TenantOption,
) -> None:
    """Grant an app role of APP to another app's service principal (an application permission,
    granted directly): its client-credentials tokens carry the role in `roles`.

    Example: tessera entra app assign-app "tessera UI" --client "tessera ingestion" --role Catalog.Ingest
    """
    run(lambda: svc(ctx).assign_service_principal(tenant, app_ref, client, role))
    typer.echo("assigned")


@apps_app.command("add-secret")
def app_add_secret(
    ctx: typer.Context,
    app_ref: str = typer.Argument(..., metavar="APP"),
    name: str | None = typer.Option(None, "--name", help="Description."),
    expires: str = typer.Option("180d", "--expires", help="e.g. 90d, 180d, 365d, 2y, or a date."),
    tenant: str | None = TenantOption,
) -> None:
    """Create a client secret (Certificates & secrets → New client secret). The value is
    printed once and never stored; only its first three characters (the hint) are kept.

    Example (guide step 8): tessera entra app add-secret "tessera ingestion" --name ingestion --expires 180d
    """
    sec = run(lambda: svc(ctx).add_secret(tenant, app_ref, display_name=name, expires=expires))
    typer.echo(f"secret id {sec['keyId']} expires {sec['endDateTime']}")
    typer.echo(f"value: {sec['secretText']}")
    typer.secho("copy the value now: it is not shown again", fg=typer.colors.YELLOW, err=True)


@apps_app.command("add-certificate")
def app_add_certificate(
    ctx: typer.Context,
    app_ref: str = typer.Argument(..., metavar="APP"),
    cert: Path | None = typer.Option(None, "--cert", help="Certificate file (PEM or DER) to upload."),
    generate: Path | None = typer.Option(
        None, "--generate", help="Create a key and self-signed certificate: writes PREFIX.key and PREFIX.pem."
    ),
    name: str | None = typer.Option(None, "--name"),
    tenant: str | None = TenantOption,
) -> None:
    """Upload a certificate credential (for MSAL's client_credential={"private_key", "thumbprint"}).

    Example: tessera entra app add-certificate "tessera ingestion" --generate ./ingestion
    """
    from cryptography.hazmat.primitives import serialization

    from tessera.entra.pki import self_signed_rsa

    if (cert is None) == (generate is None):
        fail("give exactly one of --cert FILE or --generate PREFIX")
    if generate is not None:
        key, certificate = self_signed_rsa(name or "tessera.entra client")
        key_file = generate.with_suffix(".key")
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        key_file.chmod(0o600)
        cert = generate.with_suffix(".pem")
        cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        typer.echo(f"wrote {key_file} and {cert}")
    assert cert is not None
    data = cert.read_bytes()
    c = run(lambda: svc(ctx).add_certificate(tenant, app_ref, data, display_name=name))
    typer.echo(f"certificate {c['keyId']}: thumbprint {c['thumbprint']} expires {c['endDateTime']}")


@apps_app.command("show")
def app_show(
    ctx: typer.Context,
    app_ref: str = typer.Argument(..., metavar="APP"),
    url: str = typer.Option(f"https://127.0.0.1:{DEFAULT_PORT}", "--url", help="The emulator's base URL."),
    as_json: bool = typer.Option(False, "--json", help="Everything, in Microsoft Graph's shapes."),
    tenant: str | None = TenantOption,
) -> None:
    """Print what the guide's step 9 asks to note down: client id, tenant id, authority,
    client secrets, scopes (<app-id-uri>/.default) and the enterprise application's object id.

    Example (guide step 9): tessera entra app show "tessera ingestion"
    """
    info = run(lambda: svc(ctx).show_app(tenant, app_ref, origin=url.rstrip("/")))
    if as_json:
        print_json(info)
        return
    secrets = info["application"]["passwordCredentials"]
    rows = [
        ("Client ID", info["clientId"]),
        ("Tenant ID", info["tenantId"]),
        ("Authority", info["authority"]),
        ("App ID URI", info["appIdUri"] or "(none: run expose-api)"),
        ("Scopes", " ".join(info["scopes"]) or "(none)"),
        ("Delegated scopes", " ".join(info["delegatedScopes"]) or "(none)"),
        ("Enterprise app object id", info["enterpriseAppObjectId"]),
        ("Bot e-mail", f"{info['enterpriseAppObjectId']}@{info['tenantDomain']}"),
        (
            "Client secrets",
            ", ".join(f"{c['hint']}*** (expires {c['endDateTime']})" for c in secrets)
            or "(none: run add-secret; its value is shown once)",
        ),
    ]
    for label, value in rows:
        typer.echo(f"{label + ':':<26} {value}")


@apps_app.command("list")
def app_list(ctx: typer.Context, tenant: str | None = TenantOption) -> None:
    """List app registrations. Example: tessera entra app list"""
    for a in run(lambda: svc(ctx).apps(tenant)):
        typer.echo(f"{a['appId']}  {a['displayName']}")
