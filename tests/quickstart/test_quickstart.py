"""``tessera quickstart`` end to end, as a user runs it: the guide's steps printed, the sample
database in the catalog written by the ingestion bot, the printed curl commands working, a
clean stop on Ctrl-C, and a rerun that changes nothing."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import ssl
import stat
import subprocess
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import msal
import pytest
import requests

from tessera.quickstart import sample
from tests.entra.conftest import sign_in, start_flow
from tests.quickstart.conftest import READY, Foreground, Quickstart

pytestmark = pytest.mark.slow

GUIDE_LINES = (
    "Create Server Credentials",
    "Create Service Application",
    *(f"step {n} " for n in range(1, 11)),
)
SUMMARY_LINES = ("Catalog API", "API docs", "Web UI", "Identity provider", "Call the API", READY)
SAMPLE = {*sample.ROWS, "daily_revenue", "customer_lifetime_value"}


def _token(quickstart: Quickstart) -> str:
    record, secrets = quickstart.record()["tenant"], quickstart.secrets()
    session = requests.Session()
    session.trust_env = False
    session.verify = str(quickstart.home / "entra" / "ca.pem")
    app = msal.ConfidentialClientApplication(
        record["ingestionClientId"],
        client_credential=secrets["AZURE_CLIENT_SECRET"],
        authority=f"https://127.0.0.1:{quickstart.idp_port}/{record['tenantId']}",
        instance_discovery=False,
        http_client=session,
    )
    try:
        result = app.acquire_token_for_client([record["ingestionScope"]])
    finally:
        session.close()
    assert "access_token" in result, result
    token: str = result["access_token"]
    return token


def _sign_in_to_the_ui(quickstart: Quickstart, login: str) -> str:
    """What the browser does for a person: the UI app's (SPA) authorization code flow with
    PKCE, redeemed cross-origin from the UI's origin as Entra requires of SPAs."""
    record, secrets = quickstart.record()["tenant"], quickstart.secrets()
    ca = str(quickstart.home / "entra" / "ca.pem")
    origin = f"http://localhost:{quickstart.port}"
    session = requests.Session()
    session.trust_env = False
    session.verify = ca
    session.headers["Origin"] = origin
    app = msal.PublicClientApplication(
        record["uiClientId"],
        authority=f"https://127.0.0.1:{quickstart.idp_port}/{record['tenantId']}",
        instance_discovery=False,
        http_client=session,
    )
    upn = f"{login}@{record['domain']}"
    flow = start_flow(app, [record["apiScope"]], f"{origin}/callback", login_hint=upn)
    password = secrets[f"TESSERA_DEMO_{login.upper()}_PASSWORD"]
    try:
        with httpx.Client(verify=ssl.create_default_context(cafile=ca), follow_redirects=False) as http:
            signed_in = sign_in(http, flow["auth_uri"], upn, password)
        tokens = app.acquire_token_by_auth_code_flow(flow, signed_in.params)
    finally:
        session.close()
    assert "access_token" in tokens, tokens
    token: str = tokens["access_token"]
    return token


def _printed_block(output: str, heading: str) -> str:
    """The indented commands printed under ``heading``, as a user would copy them."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if heading in line) + 1
    block = []
    for line in lines[start:]:
        if not line.strip():
            break
        block.append(line.removeprefix("    "))
    return "\n".join(block)


def _paste(commands: str) -> subprocess.CompletedProcess[str]:
    """``commands`` pasted into bash, with a PATH that does not lead to this virtualenv."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "VIRTUAL_ENV"))}
    venv = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv)
    return subprocess.run(
        ["bash", "-c", commands], capture_output=True, text=True, timeout=60, env=env, check=False
    )


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_the_guide_runs_and_ctrl_c_stops_everything(
    quickstart: Quickstart, foreground: Callable[..., Foreground]
) -> None:
    running = foreground()
    running.wait_for(READY, timeout=150)
    output = running.output
    for line in (*GUIDE_LINES, *SUMMARY_LINES):
        assert line in output, f"{line!r} missing from:\n{output}"
    children = quickstart.record()["running"]
    assert set(children) == {"tessera.entra", "tessera serve", "quickstart"}

    # The catalog holds the sample, written by the ingestion bot, readable with the ingestion
    # app's client-credentials token.
    tables = httpx.get(
        f"http://127.0.0.1:{quickstart.port}/api/v1/tables",
        params={"service": sample.SERVICE, "limit": 100},
        headers={"Authorization": f"Bearer {_token(quickstart)}"},
    )
    assert tables.status_code == 200, tables.text
    rows = tables.json()["data"]
    assert {row["name"] for row in rows} == SAMPLE
    assert {row["updatedBy"] for row in rows} == {"ingestion-bot"}
    assert {row["fullyQualifiedName"].split(".")[0] for row in rows} == {sample.SERVICE}

    # The demo people printed in the summary sign in through the UI app; admin@ is an admin.
    for login, is_admin in (("admin", True), ("alice", False)):
        me = httpx.get(
            f"http://127.0.0.1:{quickstart.port}/api/v1/users/loggedInUser",
            headers={"Authorization": f"Bearer {_sign_in_to_the_ui(quickstart, login)}"},
        )
        assert me.status_code == 200, me.text
        assert me.json()["isAdmin"] is is_admin, me.json()
        assert f"{login}@tessera-demo.onmicrosoft.com" in output

    # The printed commands work when pasted into a shell that has not activated the virtualenv.
    if shutil.which("curl") is None:
        pytest.fail("curl is needed to check the printed commands")
    curl = _printed_block(output, "Call the API")
    pasted = _paste(curl)
    assert pasted.returncode == 0, pasted.stderr
    assert '"name":"customers"' in pasted.stdout.replace(" ", ""), pasted.stdout
    again = _paste(_printed_block(output, "Ingest again"))
    assert again.returncode == 0, again.stdout + again.stderr
    assert "│ Tables    │       0 │       0 │         8 │" in again.stdout, again.stdout

    # Without secrets.env loaded, the curl commands say so; with a wrong secret, they show the
    # identity provider's refusal rather than a Python traceback.
    unloaded = _paste("\n".join(curl.splitlines()[1:]))
    assert unloaded.returncode != 0
    assert "AZURE_CLIENT_SECRET: is not set: run set -a; . " in unloaded.stderr, unloaded.stderr
    wrong = _paste(curl.replace("; set +a", "; set +a; AZURE_CLIENT_SECRET=wrong", 1))
    assert wrong.returncode != 0
    assert "the identity provider refused: AADSTS7000215" in wrong.stderr, wrong.stderr
    assert "Traceback" not in wrong.stderr
    assert wrong.stdout == ""

    # Ctrl-C (the quickstart was started with SIGINT ignored, as a background job is): both
    # children stop, the ports are free, exit 0.
    running.process.send_signal(signal.SIGINT)
    assert running.finish(timeout=40) == 0, running.output
    assert "stopped tessera serve and tessera.entra" in running.output
    assert all(_gone(pid) for pid in children.values()), children
    assert _port_free(quickstart.port)
    assert _port_free(quickstart.idp_port)
    assert quickstart.record()["running"] == {}


def test_secrets_are_kept_private_and_out_of_files_and_logs(quickstart: Quickstart) -> None:
    _ensure_first_run(quickstart)
    secrets_file = quickstart.home / "secrets.env"
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    secret = quickstart.secrets()["AZURE_CLIENT_SECRET"]
    workflow = (quickstart.home / "workflow.yaml").read_text()
    assert "clientSecret: ${AZURE_CLIENT_SECRET}" in workflow
    for path in quickstart.home.rglob("*"):
        # Databases included: the emulator keeps a hash, the catalog a sealed value.
        if path.is_file() and path != secrets_file:
            assert secret not in path.read_text(errors="replace"), path


def test_a_rerun_reuses_the_tenant_and_catalog_and_changes_nothing(quickstart: Quickstart) -> None:
    _ensure_first_run(quickstart)
    before = quickstart.record()["tenant"], _catalog_counts(quickstart), _directory_counts(quickstart)
    passwords = [v for k, v in quickstart.secrets().items() if k.endswith("_PASSWORD")]

    rerun = quickstart.run("--exit-after-setup")

    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    after = quickstart.record()["tenant"], _catalog_counts(quickstart), _directory_counts(quickstart)
    assert after == before
    assert "kept" in rerun.stdout
    assert "(already so)" in rerun.stdout
    assert "│ Tables    │       0 │       0 │         8 │" in rerun.stdout, rerun.stdout
    # Passwords are printed the first time only.
    assert not any(password in rerun.stdout for password in passwords)


def test_a_busy_port_is_named_with_the_option_that_changes_it(quickstart: Quickstart) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        home = quickstart.home.parent / "busy"
        result = subprocess.run(
            [*Quickstart(home, taken, quickstart.idp_port).command(), "--exit-after-setup"],
            env=quickstart.env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 1, result.stdout
    assert f"port {taken} (the catalog server, tessera serve) is in use" in result.stderr
    assert f"tessera quickstart --port {taken + 1}" in result.stderr


def _ensure_first_run(quickstart: Quickstart) -> None:
    """When run on its own, a test makes the first run itself (the module's first test does)."""
    if not (quickstart.home / "quickstart.json").exists():
        first = quickstart.run("--exit-after-setup")
        assert first.returncode == 0, first.stdout + first.stderr


def _catalog_counts(quickstart: Quickstart) -> dict[str, Any]:
    with closing(sqlite3.connect(quickstart.home / "server" / "tessera.db")) as db:
        return {
            "entities": db.execute("SELECT COUNT(*) FROM entity").fetchone()[0],
            "versions": db.execute("SELECT COUNT(*) FROM entity_version").fetchone()[0],
        }


def _directory_counts(quickstart: Quickstart) -> dict[str, int]:
    tables = ("tenants", "applications", "users", "password_credentials", "oauth2_permission_grants")
    path: Path = quickstart.home / "entra" / "entra.db"
    with closing(sqlite3.connect(path)) as db:
        return {table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in tables}
