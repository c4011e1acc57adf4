"""The quickstart's flow: emulator, tenant, server, step 10, ingestion, summary; then wait.

Every step prints as it happens. Children are stopped on every way out (success with
``--exit-after-setup``, Ctrl-C, SIGTERM, an error), and ``quickstart.json`` says which are
running meanwhile, so a test or a curious user can see them.
"""

from __future__ import annotations

import logging
import os
import signal
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
import yaml
from rich.console import Console
from rich.markup import escape

from tessera.quickstart import catalog, output, processes, sample, steps
from tessera.quickstart.errors import QuickstartError
from tessera.quickstart.output import Out, Urls
from tessera.quickstart.processes import Child
from tessera.quickstart.state import Layout, Record, Secrets, TenantRecord

DEFAULT_SERVER_PORT = 8585
DEFAULT_IDP_PORT = 8443
SECRET_VARIABLE = "AZURE_CLIENT_SECRET"
INTERRUPTED = 130


@dataclass(frozen=True)
class Options:
    home: Path
    port: int | None = None
    idp_port: int | None = None
    fresh: bool = False
    exit_after_setup: bool = False


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # Ctrl-C and SIGTERM take the same way out: stop the children, exit. Installed for SIGINT
    # too: Python installs its own SIGINT handler only when SIGINT is not ignored at start,
    # and a background job, nohup or a CI runner starts us with it ignored.
    raise KeyboardInterrupt


def run(options: Options, console: Console) -> int:
    out = Out(console)
    layout = Layout(options.home.expanduser().resolve())
    record = Record.load(layout)
    urls = Urls(
        options.port or (record.serverPort if record else DEFAULT_SERVER_PORT),
        options.idp_port or (record.idpPort if record else DEFAULT_IDP_PORT),
    )
    out.title("tessera quickstart: the Azure SSO guide, running on this machine")
    # Ports first: a quickstart still running elsewhere must not lose its state to --fresh.
    _check_ports(urls, record)
    if options.fresh:
        layout.wipe()
        kept = "--fresh: the previous state was removed" if record else "new"
        record = None
    else:
        kept = "reusing its tenant and catalog; --fresh starts over" if record else "new"
    layout.prepare()
    out.note(f"state: {layout.root} ({kept})")
    if record is None:
        record = Record(serverPort=urls.server_port, idpPort=urls.idp_port)
    record.serverPort, record.idpPort = urls.server_port, urls.idp_port
    flow = _Flow(out, layout, record, urls)
    previous_int = signal.signal(signal.SIGINT, _interrupt)
    previous_term = signal.signal(signal.SIGTERM, _interrupt)
    try:
        flow.setup()
        if options.exit_after_setup:
            out.section("Stopping (--exit-after-setup)")
            return 0
        console.print("\n[bold]Ctrl-C to stop.[/bold]")
        flow.wait()
    except KeyboardInterrupt:
        if not flow.serving:
            console.print("\n[yellow]interrupted during set-up[/yellow]")
            return INTERRUPTED
        console.print("\n[bold]Stopping...[/bold]")
    finally:
        # A second Ctrl-C must not cut the children's shutdown short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        try:
            flow.stop()
        finally:
            signal.signal(signal.SIGINT, previous_int)
            signal.signal(signal.SIGTERM, previous_term)
    return 0


@contextmanager
def _logged_to(out: Out) -> Iterator[None]:
    """The catalog's start-up notes (keys generated, where) printed as part of the step that
    caused them, rather than as bare lines from Python's last-resort log handler."""

    class _Handler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            out.note(record.getMessage())

    logger = logging.getLogger("tessera")
    handler = _Handler(logging.INFO)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


def _check_ports(urls: Urls, record: Record | None) -> None:
    try:
        processes.check_port(urls.idp_port, "the identity provider, tessera.entra", "--idp-port")
        processes.check_port(urls.server_port, "the catalog server, tessera serve", "--port")
    except QuickstartError as exc:
        # A quickstart killed without its clean stop (kill -9) leaves its children running.
        left = {name: pid for name, pid in (record.running if record else {}).items() if _alive(pid)}
        if left:
            listed = ", ".join(f"{name} (pid {pid})" for name, pid in left.items())
            pids = " ".join(str(pid) for pid in left.values())
            exc.fix = f"A previous quickstart may still be running: {listed}. Stop it: kill {pids}"
        raise


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _Flow:
    def __init__(self, out: Out, layout: Layout, record: Record, urls: Urls) -> None:
        self.out = out
        self.layout = layout
        self.record = record
        self.urls = urls
        self.children: list[Child] = []
        self.serving = False

    # -- set-up ---------------------------------------------------------------------------------

    def setup(self) -> None:
        self.start_emulator()
        tenant, secrets = self.tenant()
        self.configure_server(tenant)
        self.ingestion_bot(tenant, secrets)
        self.start_server()
        table_names = self.ingest(tenant, secrets)
        self.serving = True
        output.print_summary(self.out, self.layout, self.urls, tenant, table_names)

    def start_emulator(self) -> None:
        self.out.section("Identity provider: tessera.entra, a local Microsoft Entra ID")
        log = self.layout.logs / "entra.log"
        child = processes.start_emulator(self.layout.entra_home, self.urls.idp_port, log)
        self._started(child)
        discovery = f"{self.urls.idp}/common/v2.0/.well-known/openid-configuration"

        def ready() -> bool:
            context = ssl.create_default_context(cafile=str(self.layout.ca_file))
            return httpx.get(discovery, verify=context, timeout=2).status_code == 200

        took = processes.wait_until(
            child,
            ready,
            doing=f"starting on {self.urls.idp}",
            fix=f"Read {log}; if the port is the problem, choose another with --idp-port.",
        )
        self.out.step("ready", f"{self.urls.idp} in {took:.1f} s (HTTPS, its own CA: {self.layout.ca_file})")

    def tenant(self) -> tuple[TenantRecord, Secrets]:
        from tessera.entra import DirectoryError, DirectoryService, Store, load_settings

        settings = load_settings(home=self.layout.entra_home)
        # The emulator's CLI works the same way: on its SQLite file, which the running
        # emulator reads on every request.
        store = Store(settings.database_url)
        guide = steps.Guide(DirectoryService(store, settings.clock), self.urls.idp, self.out.step)
        try:
            return self._tenant(guide)
        except DirectoryError as exc:
            raise QuickstartError(
                f"the emulator refused a step: {exc.message}",
                fix="Start over with: tessera quickstart --fresh",
            ) from None
        finally:
            store.close()

    def _tenant(self, guide: steps.Guide) -> tuple[TenantRecord, Secrets]:
        out, layout = self.out, self.layout
        known = self.record.tenant
        secrets = Secrets.load(layout)
        if known is not None and steps.check_tenant(guide, known, self.urls.callback):
            out.section(f"Azure SSO guide, steps 1-9: tenant {known.domain} from quickstart.json")
            out.step("kept", f"tenant id {known.tenantId}")
            out.step("kept", f'"{steps.UI_APP}" client id {known.uiClientId}, scope {known.apiScope}')
            out.step(
                "kept",
                f'"{steps.INGESTION_APP}" client id {known.ingestionClientId}, scope {known.ingestionScope}',
            )
            if secrets is None or set(secrets.passwords) != {login for login, *_ in steps.DEMO_USERS}:
                secrets = self._renew_secrets(guide, known)
            else:
                out.step("kept", f"client secret and demo passwords in {layout.secrets}")
                self._print_users(known, secrets, first_time=False)
            return known, secrets
        if known is not None:
            out.warn(
                f"tenant {known.tenantId} (quickstart.json) is gone from the emulator: creating it again"
            )
        existing = [t for t in guide.service.tenants() if t["verifiedDomains"][0]["name"] == steps.DOMAIN]
        if existing:
            raise QuickstartError(
                f"the emulator in {layout.entra_home} already has a tenant {steps.DOMAIN} that "
                "quickstart.json does not know (was quickstart.json deleted?)",
                fix="Start over with: tessera quickstart --fresh",
            )
        tenant, secrets = steps.build_tenant(
            guide,
            domain=steps.DOMAIN,
            redirect_uri=self.urls.callback,
            announce=lambda part: out.section(f"Azure SSO guide: {part}"),
        )
        # Saved before anything else can fail: the emulator keeps only hashes of these.
        secrets.save(layout, tenant)
        self.record.tenant = tenant
        self.record.save(layout)
        self._print_users(tenant, secrets, first_time=True)
        return tenant, secrets

    def _renew_secrets(self, guide: steps.Guide, tenant: TenantRecord) -> Secrets:
        from tessera.entra import generate_password

        self.out.warn(f"{self.layout.secrets} is missing or incomplete: a new secret and new passwords")
        secret = steps.new_secret(guide, tenant)
        passwords = {}
        for user in tenant.users:
            login = user.userPrincipalName.split("@")[0]
            passwords[login] = generate_password()
            guide.service.set_password(tenant.tenantId, user.id, passwords[login])
        secrets = Secrets(secret, passwords)
        secrets.save(self.layout, tenant)
        self._print_users(tenant, secrets, first_time=True)
        return secrets

    def _print_users(self, tenant: TenantRecord, secrets: Secrets, *, first_time: bool) -> None:
        for user in tenant.users:
            login = user.userPrincipalName.split("@")[0]
            shown = f"password {secrets.passwords[login]}" if first_time else "password in secrets.env"
            self.out.step("user", f"{user.userPrincipalName} ({user.displayName}, {user.role}): {shown}")
        if first_time:
            self.out.note(
                f"Passwords and the client secret are shown once; kept in {self.layout.secrets} (0600)."
            )

    def configure_server(self, tenant: TenantRecord) -> None:
        self.out.section("Catalog server configuration: provider azure (the guide's 'Configure Azure SSO')")
        config = {
            "home": str(self.layout.server_home),
            "server": {"host": "127.0.0.1", "port": self.urls.server_port},
            "authenticationConfiguration": {
                "provider": "azure",
                "authority": f"{self.urls.idp}/{tenant.tenantId}",
                "clientId": tenant.uiClientId,
                "callbackUrl": self.urls.callback,
                "scopes": ["openid", "profile", "email", "offline_access", tenant.apiScope],
                "idpCaBundle": str(self.layout.ca_file),
            },
            "authorizerConfiguration": {
                "adminPrincipals": [tenant.admin.userPrincipalName],
                "principalDomain": tenant.domain,
            },
        }
        header = (
            "# Written by `tessera quickstart`: tessera with Azure SSO against the local tessera.entra.\n"
            "# Run the same server yourself, with the emulator running\n"
            f"# (tessera entra --home {self.layout.entra_home} serve --port {self.urls.idp_port}):\n"
            f"#   tessera serve --config {self.layout.server_config}\n"
        )
        self.layout.server_config.write_text(
            header + yaml.safe_dump(config, sort_keys=False), encoding="utf-8"
        )
        self.out.step("wrote", str(self.layout.server_config))
        self.out.step(
            "", f"authority {self.urls.idp}/{tenant.tenantId}, clientId {tenant.uiClientId} (the UI app)"
        )
        self.out.step(
            "", f"adminPrincipals [{tenant.admin.userPrincipalName}], principalDomain {tenant.domain}"
        )

    def ingestion_bot(self, tenant: TenantRecord, secrets: Secrets) -> None:
        self.out.section("Azure SSO guide: Create Service Application, step 10")
        environ = processes.child_environment(TESSERA_HOME=str(self.layout.server_home))
        authority = f"{self.urls.idp}/{tenant.tenantId}"
        with _logged_to(self.out):
            changed = catalog.service_step10_ingestion_bot(
                self.layout.server_config, environ, tenant, authority, secrets.client_secret
            )
        self.out.step(
            "step 10",
            f"Settings > Bots > ingestion-bot > Azure SSO: email {tenant.bot_email}, clientId "
            f"{tenant.ingestionClientId}, authority {authority}, scopes {tenant.ingestionScope}"
            + ("" if changed else " (already so)"),
        )
        self.out.note(
            "(saved as an operator on the catalog's database, with the service the UI's Save calls)"
        )

    def start_server(self) -> None:
        self.out.section("Catalog server: tessera serve")
        log = self.layout.logs / "server.log"
        child = processes.start_server(
            self.layout.server_config, self.layout.server_home, self.urls.server_port, log
        )
        self._started(child)
        version = f"{self.urls.local_server}/api/v1/system/version"
        took = processes.wait_until(
            child,
            lambda: httpx.get(version, timeout=2).status_code == 200,
            doing=f"starting on {self.urls.server}",
            fix=f"Read {log}; if the port is the problem, choose another with --port.",
        )
        self.out.step("ready", f"{self.urls.server} in {took:.1f} s (SQLite in {self.layout.server_home})")

    def ingest(self, tenant: TenantRecord, secrets: Secrets) -> list[str]:
        self.out.section("Ingestion: the guide's 'Configure Ingestion from CLI', with a sample database")
        made = sample.ensure_sample(self.layout.sample_db)
        self.out.step(
            "sample",
            f"{made.path} ({'created' if made.created else 'kept'}): tables {', '.join(made.tables)}; "
            f"views {', '.join(made.views)}",
        )
        self.layout.workflow.write_text(self.workflow_yaml(tenant), encoding="utf-8")
        self.out.step(
            "wrote", f"{self.layout.workflow} (authProvider azure; clientSecret: ${{{SECRET_VARIABLE}}})"
        )
        from tessera import ingest

        # Run here rather than as `tessera ingest` in a child: the same code, without a second
        # interpreter starting. The command printed is the one that does the same when pasted.
        self.out.console.print(f"  [bold]$[/bold] {escape(output.ingest_command(self.layout))}")
        env = processes.child_environment(**{SECRET_VARIABLE: secrets.client_secret})
        code = ingest.run(self.layout.workflow, environ=env, out=self.out.console)
        if code != 0:
            meaning = ingest.EXIT_CODES.get(code, "see its message above")
            raise QuickstartError(
                f"tessera ingest failed with exit code {code}: {meaning}",
                fix=f"Its message above says what to change; the workflow is {self.layout.workflow}, "
                f"the server's log {self.layout.logs / 'server.log'}.",
            )
        return self.check_catalog(tenant, secrets)

    def workflow_yaml(self, tenant: TenantRecord) -> str:
        workflow = {
            "source": {
                "type": "sqlite",
                "serviceName": sample.SERVICE,
                "serviceConnection": {
                    "config": {
                        "type": "SQLite",
                        "database": sample.DATABASE,
                        "databaseMode": str(self.layout.sample_db),
                    }
                },
                "sourceConfig": {"config": {"type": "DatabaseMetadata", "markDeletedTables": True}},
            },
            "sink": {"type": "metadata-rest", "config": {}},
            "workflowConfig": {
                "openMetadataServerConfig": {
                    "hostPort": f"{self.urls.server}/api",
                    "authProvider": "azure",
                    "verifySSL": "validate",
                    "sslConfig": {"caCertificate": str(self.layout.ca_file)},
                    "securityConfig": {
                        "clientId": tenant.ingestionClientId,
                        "clientSecret": f"${{{SECRET_VARIABLE}}}",
                        "authority": f"{self.urls.idp}/{tenant.tenantId}",
                        "scopes": [tenant.ingestionScope],
                    },
                }
            },
        }
        header = (
            "# Written by `tessera quickstart`: the sample database, cataloged as the ingestion bot\n"
            "# with the Azure SSO guide's client credentials. The secret comes from the environment:\n"
            f"#   {output.load_secrets_command(self.layout)}\n"
            f"#   {output.ingest_command(self.layout)}\n"
        )
        return header + yaml.safe_dump(workflow, sort_keys=False)

    def check_catalog(self, tenant: TenantRecord, secrets: Secrets) -> list[str]:
        """What a client sees: the ingestion app's own token, the tables it wrote."""
        token = client_credentials_token(self.layout, self.urls, tenant, secrets)
        response = httpx.get(
            f"{self.urls.local_server}/api/v1/tables",
            params={"service": sample.SERVICE, "limit": 100},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        if response.status_code != 200:
            raise QuickstartError(
                f"the catalog refused the ingestion app's token: {response.status_code} "
                f"{response.text[:300]}",
                fix=f"Read {self.layout.logs / 'server.log'}, or start over with: tessera quickstart --fresh",
            )
        rows = response.json()["data"]
        names = sorted(row["name"] for row in rows)
        by = sorted({row.get("updatedBy", "?") for row in rows})
        self.out.step(
            "check",
            f"GET /api/v1/tables?service={sample.SERVICE} with the ingestion app's token: "
            f"{len(names)} tables and views, updated by {', '.join(by)}",
        )
        return names

    # -- running and stopping -------------------------------------------------------------------

    def _started(self, child: Child) -> None:
        self.children.append(child)
        self.record.running = {c.name: c.pid for c in self.children}
        self.record.running["quickstart"] = os.getpid()
        self.record.save(self.layout)

    def wait(self) -> None:
        while True:
            for child in self.children:
                if not child.alive():
                    raise child.died(
                        "stopped unexpectedly", "Read its log, then run tessera quickstart again."
                    )
            time.sleep(0.5)

    def stop(self) -> None:
        stopped = []
        for child in reversed(self.children):
            if child.alive():
                child.stop()
                stopped.append(child.name)
        if self.record.running:
            self.record.running = {}
            self.record.save(self.layout)
        if stopped:
            self.out.note(f"stopped {' and '.join(stopped)}")


def client_credentials_token(layout: Layout, urls: Urls, tenant: TenantRecord, secrets: Secrets) -> str:
    """The ingestion app's token from the emulator, through MSAL as the ingestion uses it."""
    import msal
    import requests

    session = requests.Session()
    # requests lets REQUESTS_CA_BUNDLE override `verify`; the emulator's CA must win here.
    session.trust_env = False
    session.verify = str(layout.ca_file)
    app = msal.ConfidentialClientApplication(
        tenant.ingestionClientId,
        client_credential=secrets.client_secret,
        authority=f"{urls.idp}/{tenant.tenantId}",
        instance_discovery=False,
        http_client=session,
    )
    try:
        result: dict[str, Any] = app.acquire_token_for_client([tenant.ingestionScope])
    finally:
        # A keep-alive connection left open would hold the emulator's graceful shutdown.
        session.close()
    if "access_token" not in result:
        raise QuickstartError(
            f"the emulator gave no token to the ingestion app: {result.get('error_description', result)}",
            fix="Start over with: tessera quickstart --fresh",
        )
    return str(result["access_token"])
