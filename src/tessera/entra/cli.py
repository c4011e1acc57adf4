"""``tessera entra``: run the emulator and manage its directory, one command per step of the
Azure SSO guide (App registrations, Expose an API, API permissions, admin consent,
Certificates & secrets, Overview).

Commands work on ``$TESSERA_HOME/entra/`` (or ``--home``): the SQLite database that a running
``tessera entra serve`` reads on every request, so changes apply at once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from tessera.entra.settings import DEFAULT_PORT

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
tenant_app = typer.Typer(help="Tenants (directories): create and list.", no_args_is_help=True)
user_app = typer.Typer(help="Users who sign in on the emulator's sign-in page.", no_args_is_help=True)
group_app = typer.Typer(help="Security groups (the `groups` claim).", no_args_is_help=True)
apps_app = typer.Typer(
    help="App registrations and their enterprise applications (service principals).",
    no_args_is_help=True,
)
keys_app = typer.Typer(help="Token signing keys (the JWKS).", no_args_is_help=True)
app.add_typer(tenant_app, name="tenant")
app.add_typer(user_app, name="user")
app.add_typer(group_app, name="group")
app.add_typer(apps_app, name="app")
app.add_typer(keys_app, name="keys")

HomeOption = typer.Option(
    None,
    "--home",
    help="The emulator's directory (default: $TESSERA_HOME/entra, ~/.tessera/entra).",
    envvar="TESSERA_ENTRA_HOME",
)
TenantOption = typer.Option(
    None, "--tenant", "-t", help="Tenant GUID or domain; may be left out when there is only one."
)


class _Ctx:
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


@app.callback()
def _root(ctx: typer.Context, home: Path | None = HomeOption) -> None:
    ctx.obj = _Ctx(home)


def _svc(ctx: typer.Context) -> Any:
    obj: _Ctx = ctx.obj
    return obj.service()


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(2)


def _run(fn: Any) -> Any:
    from tessera.entra.directory import DirectoryError

    try:
        return fn()
    except DirectoryError as exc:
        _fail(exc.message)


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2))


# --- serve ---------------------------------------------------------------------------------------


@app.command()
def serve(
    ctx: typer.Context,
    config: Path | None = typer.Option(None, "--config", "-c", help="Tenant file (YAML) applied at start."),
    port: int = typer.Option(DEFAULT_PORT, "--port", "-p", help="TCP port."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    http: bool = typer.Option(False, "--http", help="Plain http (MSAL refuses it; for other clients)."),
    ephemeral: bool = typer.Option(False, "--ephemeral", help="Keep the directory in memory only."),
    public_url: str | None = typer.Option(
        None, "--public-url", help="Fix the origin used in issuers (default: each request's own)."
    ),
) -> None:
    """Run the identity provider (HTTPS with a local CA by default).

    The first start creates a CA in $TESSERA_HOME/entra/ca.pem; give it to clients:
    REQUESTS_CA_BUNDLE=~/.tessera/entra/ca.pem (Python), NODE_EXTRA_CA_CERTS (Node).

    Example: tessera entra serve --config tenant.yaml --port 8443
    """
    import uvicorn

    from tessera.entra.app import build_state, create_emulator_app
    from tessera.entra.server import tls_for, uvicorn_config
    from tessera.entra.service import DirectoryService
    from tessera.entra.settings import refuse_unsafe_bind
    from tessera.entra.tenant_file import apply_tenant_file, read_tenant_file

    obj: _Ctx = ctx.obj
    settings = obj.settings(port=port, host=host, https=not http, ephemeral=ephemeral, public_url=public_url)
    try:
        refuse_unsafe_bind(settings)
    except ValueError as exc:
        _fail(str(exc))
    settings.home.mkdir(mode=0o700, parents=True, exist_ok=True)
    tls = tls_for(settings)
    state = build_state(settings)
    if config is not None:
        report = _run(
            lambda: apply_tenant_file(DirectoryService(state.store, settings.clock), read_tenant_file(config))
        )
        for line in report:
            typer.echo(line)
    base = f"{settings.scheme}://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"  # noqa: S104
    typer.echo(f"tessera.entra listening on {base}")
    typer.echo(f"  authority:   {base}/<tenant id or domain>   (MSAL: instance_discovery=False)")
    typer.echo(f"  discovery:   {base}/<tenant>/v2.0/.well-known/openid-configuration")
    if tls is not None:
        typer.echo(f"  CA file:     {tls.ca_cert}")
        typer.echo(f"  export REQUESTS_CA_BUNDLE={tls.ca_cert} NODE_EXTRA_CA_CERTS={tls.ca_cert}")
    typer.echo(f"  state:       {'memory' if ephemeral else settings.home / 'entra.db'}")
    typer.echo(f"  admin API:   {base}/admin (Bearer token: tessera entra admin-token)")
    uvicorn.Server(uvicorn_config(create_emulator_app(settings, state=state), settings, tls, "info")).run()


@app.command("ca")
def ca(ctx: typer.Context) -> None:
    """Print the CA certificate file clients must trust (creates it if needed).

    Example: export REQUESTS_CA_BUNDLE=$(tessera entra ca)
    """
    from tessera.entra.pki import ensure_tls_files

    obj: _Ctx = ctx.obj
    typer.echo(str(ensure_tls_files(obj.settings().home).ca_cert))


@app.command("admin-token")
def admin_token(ctx: typer.Context) -> None:
    """Print the admin API's bearer token (creates it, 0600, in the emulator's home).

    Example: curl -H "Authorization: Bearer $(tessera entra admin-token)" https://127.0.0.1:8443/admin/tenants
    """
    from tessera.entra.admin import ensure_admin_token

    obj: _Ctx = ctx.obj
    typer.echo(_run(lambda: ensure_admin_token(obj.settings().home)))


@app.command("apply")
def apply(ctx: typer.Context, file: Path = typer.Argument(..., help="Tenant file (YAML).")) -> None:
    """Apply a tenant file: create what is missing, leave the rest (idempotent).

    Example: tessera entra apply tenant.yaml
    """
    from tessera.entra.tenant_file import apply_tenant_file, read_tenant_file

    for line in _run(lambda: apply_tenant_file(_svc(ctx), read_tenant_file(file))):
        typer.echo(line)


@app.command("demo")
def demo(
    ctx: typer.Context,
    url: str = typer.Option(f"https://127.0.0.1:{DEFAULT_PORT}", "--url", help="The emulator's base URL."),
    domain: str = typer.Option("tessera-demo.onmicrosoft.com", "--domain"),
    spa_redirect_uri: str = typer.Option("http://localhost:8585/callback", "--spa-redirect-uri"),
) -> None:
    """Create the Azure SSO guide's whole tenant at once and print what step 9 asks for.

    UI app (SPA redirect, exposed API and scope), ingestion app (permission, admin consent,
    App ID URI, secret), and two users with generated passwords.

    Example: tessera entra demo --url https://127.0.0.1:8443
    """
    from dataclasses import asdict

    from tessera.entra.testing import build_demo_tenant

    result = _run(
        lambda: build_demo_tenant(
            _svc(ctx), url.rstrip("/"), domain=domain, spa_redirect_uris=(spa_redirect_uri,)
        )
    )
    _print_json(asdict(result))


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
    t = _run(lambda: _svc(ctx).create_tenant(domain, name, tenant_id))
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
    t = _run(
        lambda: _svc(ctx).update_tenant(tenant, refresh_token_reuse=refresh_token_reuse, display_name=name)
    )
    typer.echo(f"tenant {t['displayName']}: {json.dumps(t['settings'])}")


@tenant_app.command("list")
def tenant_list(ctx: typer.Context) -> None:
    """List tenants. Example: tessera entra tenant list"""
    for t in _run(lambda: _svc(ctx).tenants()):
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
    tenant: str | None = TenantOption,
) -> None:
    """Create a user who can sign in. Passwords follow Entra's policy: 8+ characters, three of
    lower case, upper case, digits and symbols.

    Example: tessera entra user create alice@contoso.onmicrosoft.com --name "Alice" --mail alice@contoso.com
    """
    policies = "DisableStrongPassword" if weak_password else None
    u = _run(
        lambda: _svc(ctx).create_user(
            tenant, upn, password, display_name=name, mail=mail, password_policies=policies
        )
    )
    typer.echo(f"user {u['userPrincipalName']}: object id {u['id']}")
    if "password" in u:
        typer.echo(f"password: {u['password']}  (shown once)")


@user_app.command("list")
def user_list(ctx: typer.Context, tenant: str | None = TenantOption) -> None:
    """List users. Example: tessera entra user list --tenant contoso.onmicrosoft.com"""
    for u in _run(lambda: _svc(ctx).users(tenant)):
        typer.echo(f"{u['id']}  {u['userPrincipalName']}  {u['displayName']}")


@group_app.command("create")
def group_create(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Group display name."),
    member: list[str] = typer.Option([], "--member", "-m", help="A user (UPN or object id); repeatable."),
    tenant: str | None = TenantOption,
) -> None:
    """Create a security group (or add members to an existing one).

    Example: tessera entra group create "Data Stewards" --member alice@contoso.onmicrosoft.com
    """
    g = _run(lambda: _svc(ctx).create_group(tenant, name, member))
    typer.echo(f"group {g['displayName']}: object id {g['id']} ({len(g['members'])} members)")


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
    a = _run(
        lambda: _svc(ctx).create_app(
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
            _fail(f"--optional-claim takes TOKEN:CLAIM, e.g. idToken:email (got '{item}')")
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
    _run(
        lambda: _svc(ctx).update_app(
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
    typer.echo(_run(lambda: _svc(ctx).expose_api(tenant, app_ref, app_id_uri)))


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
    sc = _run(
        lambda: _svc(ctx).add_scope(
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
    r = _run(
        lambda: _svc(ctx).add_app_role(
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
    _run(lambda: _svc(ctx).add_permission(tenant, app_ref, api, scopes=scope, roles=role))
    typer.echo("permission added; run grant-admin-consent to consent to it")


@apps_app.command("grant-admin-consent")
def app_grant_admin_consent(
    ctx: typer.Context, app_ref: str = typer.Argument(..., metavar="APP"), tenant: str | None = TenantOption
) -> None:
    """Grant admin consent for the tenant to every permission the app requires.

    Example (guide step 6): tessera entra app grant-admin-consent "tessera ingestion"
    """
    granted = _run(lambda: _svc(ctx).grant_admin_consent(tenant, app_ref))
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
    _run(lambda: _svc(ctx).assign_user(tenant, app_ref, user, role))
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
    sec = _run(lambda: _svc(ctx).add_secret(tenant, app_ref, display_name=name, expires=expires))
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
        _fail("give exactly one of --cert FILE or --generate PREFIX")
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
    c = _run(lambda: _svc(ctx).add_certificate(tenant, app_ref, data, display_name=name))
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
    info = _run(lambda: _svc(ctx).show_app(tenant, app_ref, origin=url.rstrip("/")))
    if as_json:
        _print_json(info)
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
    for a in _run(lambda: _svc(ctx).apps(tenant)):
        typer.echo(f"{a['appId']}  {a['displayName']}")


# --- keys ----------------------------------------------------------------------------------------


@keys_app.command("rotate")
def keys_rotate(
    ctx: typer.Context,
    force: bool = typer.Option(
        False, "--force", help="Sign at once with a key never published (a fault: validators must refetch)."
    ),
) -> None:
    """Sign with the next key, published beforehand as Entra does; a new next key is published.
    The old keys stay published for tokens they signed.

    Example: tessera entra keys rotate
    """
    typer.echo(f"new signing key kid {_svc(ctx).rotate_keys(force=force)}")


@keys_app.command("list")
def keys_list(ctx: typer.Context) -> None:
    """List signing keys, newest (active) first. Example: tessera entra keys list"""
    for k in _svc(ctx).signing_keys():
        typer.echo(f"{k['kid']}  {k['state']}")


def main() -> None:
    app(prog_name="tessera entra")
