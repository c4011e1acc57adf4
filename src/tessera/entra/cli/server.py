"""``serve``, ``ca``, ``admin-token``, ``apply``, ``demo`` and the signing keys."""

from __future__ import annotations

from pathlib import Path

import typer

from tessera.entra.cli.common import Ctx, fail, print_json, run, svc
from tessera.entra.cli.root import app
from tessera.entra.settings import DEFAULT_PORT

keys_app = typer.Typer(help="Token signing keys (the JWKS).", no_args_is_help=True)


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

    obj: Ctx = ctx.obj
    settings = obj.settings(port=port, host=host, https=not http, ephemeral=ephemeral, public_url=public_url)
    try:
        refuse_unsafe_bind(settings)
    except ValueError as exc:
        fail(str(exc))
    settings.home.mkdir(mode=0o700, parents=True, exist_ok=True)
    tls = tls_for(settings)
    state = build_state(settings)
    if config is not None:
        report = run(
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

    obj: Ctx = ctx.obj
    typer.echo(str(ensure_tls_files(obj.settings().home).ca_cert))


@app.command("admin-token")
def admin_token(ctx: typer.Context) -> None:
    """Print the admin API's bearer token (creates it, 0600, in the emulator's home).

    Example: curl -H "Authorization: Bearer $(tessera entra admin-token)" https://127.0.0.1:8443/admin/tenants
    """
    from tessera.entra.admin import ensure_admin_token

    obj: Ctx = ctx.obj
    typer.echo(run(lambda: ensure_admin_token(obj.settings().home)))


@app.command("apply")
def apply(ctx: typer.Context, file: Path = typer.Argument(..., help="Tenant file (YAML).")) -> None:
    """Apply a tenant file: create what is missing, leave the rest (idempotent).

    Example: tessera entra apply tenant.yaml
    """
    from tessera.entra.tenant_file import apply_tenant_file, read_tenant_file

    for line in run(lambda: apply_tenant_file(svc(ctx), read_tenant_file(file))):
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

    result = run(
        lambda: build_demo_tenant(
            svc(ctx), url.rstrip("/"), domain=domain, spa_redirect_uris=(spa_redirect_uri,)
        )
    )
    print_json(asdict(result))


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
    typer.echo(f"new signing key kid {svc(ctx).rotate_keys(force=force)}")


@keys_app.command("list")
def keys_list(ctx: typer.Context) -> None:
    """List signing keys, newest (active) first. Example: tessera entra keys list"""
    for k in svc(ctx).signing_keys():
        typer.echo(f"{k['kid']}  {k['state']}")
