"""What the quickstart prints: its steps, the summary, and commands that work as pasted.

Commands are printed for a shell that has neither the virtualenv activated nor ``secrets.env``
loaded: ``tessera`` is named by the path it was installed at when it is not on ``PATH``, and the
``curl`` commands say what is missing, or what the identity provider answered, instead of
failing on a token that is not there.
"""

from __future__ import annotations

import shlex
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
from rich.console import Console
from rich.markup import escape

from tessera.quickstart import sample
from tessera.quickstart.state import Layout, TenantRecord


@dataclass(frozen=True)
class Urls:
    server_port: int
    idp_port: int

    @property
    def server(self) -> str:
        # localhost, not 127.0.0.1: the UI's SPA redirect URI is on localhost, and a browser
        # treats the two as different origins.
        return f"http://localhost:{self.server_port}"

    @property
    def local_server(self) -> str:
        # For the quickstart's own requests: the server listens on 127.0.0.1 only, and
        # localhost may resolve to ::1 first.
        return f"http://127.0.0.1:{self.server_port}"

    @property
    def callback(self) -> str:
        return f"{self.server}/callback"

    @property
    def idp(self) -> str:
        return f"https://127.0.0.1:{self.idp_port}"


class Out:
    """The quickstart's voice: sections, one line per step, commands printed verbatim."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def title(self, text: str) -> None:
        self.console.print(f"[bold]{escape(text)}[/bold]")

    def section(self, text: str) -> None:
        self.console.print(f"\n[bold cyan]> {escape(text)}[/bold cyan]")

    def step(self, label: str, text: str) -> None:
        self.console.print(f"  [bold]{escape(label):<8}[/bold] {escape(text)}")

    def note(self, text: str) -> None:
        self.console.print(f"  {escape(text)}")

    def warn(self, text: str) -> None:
        self.console.print(f"  [yellow]{escape(text)}[/yellow]")

    def command(self, text: str) -> None:
        for line in text.splitlines():
            self.console.print(f"    {line}", markup=False, highlight=False)


def tessera_command() -> str:
    """``tessera`` as a shell finds it: the bare name when ``PATH`` leads to this installation,
    else the script's own path (``make quickstart`` installs into ``.venv/bin``, which is not on
    ``PATH`` unless the virtualenv is activated), else this interpreter running the package."""
    script = Path(sys.executable).with_name("tessera")
    if not script.is_file():
        return f"{shlex.quote(sys.executable)} -m tessera"
    found = shutil.which("tessera")
    if found is not None and Path(found).resolve() == script.resolve():
        return "tessera"
    return shlex.quote(str(script.absolute()))


def ingest_command(layout: Layout) -> str:
    return f"{tessera_command()} ingest -c {shlex.quote(str(layout.workflow))}"


def load_secrets_command(layout: Layout) -> str:
    return f"set -a; . {shlex.quote(str(layout.secrets))}; set +a"


def curl_commands(layout: Layout, urls: Urls, tenant: TenantRecord) -> str:
    token_url = f"{urls.idp}/{tenant.tenantId}/oauth2/v2.0/token"
    tables = f"{urls.server}/api/v1/tables?service={sample.SERVICE}"
    # The token request's answer is an error object when Entra refuses: print it, not a
    # KeyError, and stop before calling the API without a token.
    extract = (
        "import json,sys; r=json.load(sys.stdin); "
        "print(r['access_token']) if 'access_token' in r else "
        "sys.exit('the identity provider refused: ' + str(r.get('error_description') or r))"
    )
    return "\n".join(
        [
            load_secrets_command(layout),
            f': "${{AZURE_CLIENT_SECRET:?is not set: run {load_secrets_command(layout)}}}"',
            f"TOKEN=$(curl -s --cacert {shlex.quote(str(layout.ca_file))} {token_url} \\",
            '    -d grant_type=client_credentials -d client_id="$AZURE_CLIENT_ID" \\',
            '    --data-urlencode client_secret="$AZURE_CLIENT_SECRET" \\',
            f"    --data-urlencode scope={tenant.ingestionScope} \\",
            f'  | python3 -c "{extract}") && \\',
            f'curl -s -H "Authorization: Bearer $TOKEN" "{tables}"',
        ]
    )


def web_ui(urls: Urls) -> bool:
    """Whether this build serves a web UI at / (another part of tessera, built separately)."""
    try:
        response = httpx.get(f"{urls.local_server}/", timeout=5)
    except httpx.TransportError:
        return False
    return response.status_code == 200 and "text/html" in response.headers.get("content-type", "")


def print_summary(out: Out, layout: Layout, urls: Urls, tenant: TenantRecord, names: list[str]) -> None:
    users = " or ".join(f"{u.userPrincipalName} ({u.role})" for u in tenant.users)
    ui = web_ui(urls)
    out.section("tessera is running")
    rows = [
        ("Catalog API", f"{urls.server}/api/v1  (OpenMetadata's REST API)"),
        ("API docs", f"{urls.server}/docs"),
        (
            "Web UI",
            f"{urls.server}/  sign in as {users}; passwords in {layout.secrets}"
            if ui
            else f"{urls.server}/ (not in this build yet; then sign in as {users})",
        ),
        ("Identity provider", f"{urls.idp}/{tenant.tenantId}  (tessera.entra; CA {layout.ca_file})"),
        ("Catalog", f"{sample.SERVICE}.{sample.DATABASE}.main: {', '.join(names)}"),
        ("State", f"{layout.root}  (tessera.yaml, workflow.yaml, secrets.env, logs/)"),
    ]
    for label, value in rows:
        out.console.print(f"  [bold]{label:<18}[/bold] {escape(value)}")
    if ui:
        out.note(
            f"The browser must trust the emulator's CA: import {layout.ca_file}, or open {urls.idp} "
            "once and accept its certificate."
        )
    out.console.print("\n  Call the API with the ingestion app's token (OAuth2 client credentials):")
    out.command(curl_commands(layout, urls, tenant))
    out.console.print("\n  Ingest again (unchanged tables make no new versions):")
    out.command(f"{load_secrets_command(layout)}\n{ingest_command(layout)}")
    out.console.print(f"\n  Logs: {escape(str(layout.logs))}/entra.log, server.log")
