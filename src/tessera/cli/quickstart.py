"""``tessera quickstart``: the Azure SSO guide's whole flow, running on this machine."""

from __future__ import annotations

from pathlib import Path

import typer


def quickstart(
    home: Path | None = typer.Option(
        None,
        "--home",
        help="The quickstart's state directory (default: $TESSERA_HOME/quickstart, ~/.tessera/quickstart).",
        file_okay=False,
    ),
    port: int | None = typer.Option(
        None,
        "--port",
        metavar="PORT",
        min=1,
        max=65535,
        help="The catalog server's port (default 8585, or the last run's).",
    ),
    idp_port: int | None = typer.Option(
        None,
        "--idp-port",
        metavar="PORT",
        min=1,
        max=65535,
        help="The identity provider's (tessera.entra's) HTTPS port (default 8443, or the last run's).",
    ),
    fresh: bool = typer.Option(
        False, "--fresh", help="Delete the previous run's state (tenant, catalog, secrets) and start over."
    ),
    exit_after_setup: bool = typer.Option(
        False,
        "--exit-after-setup",
        help="Do everything, print the summary, then stop both servers and exit 0 (for CI and tests).",
    ),
) -> None:
    """Run the Azure SSO guide end to end on this machine: a local Entra ID,
    the catalog server signing people in with it, and an ingestion over Azure
    client credentials.

    What it does, each step printed as it happens. "step N" is the guide's own
    number (the guide has two parts, each numbered from 1):

      1. Starts tessera.entra, a local Microsoft Entra ID, with its own CA,
         on https://127.0.0.1:8443 (--idp-port).
      2. Creates the demo tenant exactly by the guide's steps.
         Create Server Credentials:
           step 1  the directory (tenant tessera-demo.onmicrosoft.com)
           step 2  app "tessera UI", SPA redirect http://localhost:8585/callback
           step 3  its client id, tenant id and authority
         Create Service Application:
           step 1  "tessera UI": access tokens and ID tokens
           step 2  "tessera UI": Expose an API (App ID URI api://<client id>)
           step 3  "tessera UI": the scope access_as_user
           step 4  app "tessera ingestion", no redirect URI
           step 5  its API permission on tessera UI / access_as_user
           step 6  admin consent for the directory
           step 7  its own App ID URI
           step 8  a client secret (180 days)
           step 9  what to note down: client id, authority, scopes, object id
         and two demo users, admin@ (catalog admin) and alice@, whose
         passwords are printed once and kept in secrets.env (mode 0600).
      3. Writes tessera.yaml (provider azure, authority, clientId, callbackUrl,
         the emulator's CA, adminPrincipals) for the catalog server.
      4. Step 10: sets the ingestion-bot to Azure SSO with the ingestion app's
         client id, secret, authority and scopes.
      5. Starts tessera serve on http://localhost:8585 (--port).
      6. Creates a sample SQLite shop database, writes an OpenMetadata workflow
         YAML (authProvider azure; the secret is ${AZURE_CLIENT_SECRET}) and
         runs tessera ingest on it, then reads the tables back with the
         ingestion app's token.
      7. Prints the URLs, the demo users and a copy-paste curl that calls the
         API with a client-credentials token; runs until Ctrl-C.

    State lives in ~/.tessera/quickstart: quickstart.json (ids and ports),
    secrets.env, tessera.yaml, workflow.yaml, entra/, server/, sample/, logs/.
    Running it again reuses the same tenant and catalog (nothing is duplicated,
    the ingestion makes no new versions); --fresh starts over.

    Examples:

        tessera quickstart
        tessera quickstart --port 9585 --idp-port 9443
        tessera quickstart --fresh --exit-after-setup

    More: docs/quickstart.md.
    """
    from rich.console import Console
    from rich.markup import escape

    from tessera.quickstart.errors import QuickstartError
    from tessera.quickstart.run import Options, run
    from tessera.quickstart.state import default_home

    # soft_wrap: long URLs and the curl commands must stay on one line to be copied.
    console = Console(highlight=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    options = Options(
        home=home or default_home(),
        port=port,
        idp_port=idp_port,
        fresh=fresh,
        exit_after_setup=exit_after_setup,
    )
    try:
        code = run(options, console)
    except QuickstartError as exc:
        err.print(f"[bold red]error:[/bold red] {escape(exc.message)}")
        if exc.fix:
            err.print(f"[bold]fix:[/bold] {escape(exc.fix)}")
        raise typer.Exit(1) from None
    raise typer.Exit(code)
