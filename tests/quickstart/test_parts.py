"""The quickstart's parts, in seconds and without servers: its help, its files, its sample
database, and the errors that say what to change."""

from __future__ import annotations

import sqlite3
import stat
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tessera.cli import _register, app
from tessera.quickstart import processes, sample
from tessera.quickstart.errors import QuickstartError
from tessera.quickstart.state import DemoUserRecord, Layout, Record, Secrets, TenantRecord


def test_help_explains_every_step_and_option() -> None:
    _register()
    result = CliRunner().invoke(app, ["quickstart", "--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0
    text = result.output
    for expected in (
        "Create Server Credentials",
        "Create Service Application",
        "step 9",
        "Step 10: sets the ingestion-bot to Azure SSO",
        "--port",
        "--idp-port",
        "--home",
        "--fresh",
        "--exit-after-setup",
        "docs/quickstart.md",
    ):
        assert expected in text, expected


def test_fresh_refuses_to_delete_a_directory_that_is_not_a_quickstart(tmp_path: Path) -> None:
    (tmp_path / "thesis.tex").write_text("years of work")
    with pytest.raises(QuickstartError) as caught:
        Layout(tmp_path).wipe()
    assert "not a quickstart directory" in caught.value.message
    assert (tmp_path / "thesis.tex").exists()


def test_fresh_deletes_a_quickstart_directory(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "qs")
    layout.prepare()
    Record(serverPort=1, idpPort=2).save(layout)
    layout.wipe()
    assert not layout.root.exists()


def test_secrets_file_is_private_shell_syntax_and_reads_back(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    tenant = TenantRecord(
        tenantId="t",
        domain="d.onmicrosoft.com",
        uiClientId="u",
        apiAppIdUri="api://u",
        apiScope="api://u/access_as_user",
        ingestionClientId="i",
        ingestionObjectId="o",
        ingestionAppIdUri="api://i",
        ingestionScope="api://i/.default",
        secretExpires="2030-01-01T00:00:00Z",
        users=[DemoUserRecord("1", "admin@d.onmicrosoft.com", "Ada", "catalog admin")],
    )
    # Shaped as the emulator makes them; the last password needs quotes in a shell.
    secrets = Secrets("abc8Q~b.c_d-e", {"admin": "Pw1!9a", "alice": "~it's $HOME"})
    secrets.save(layout, tenant)
    assert stat.S_IMODE(layout.secrets.stat().st_mode) == 0o600
    text = layout.secrets.read_text()
    # Bare where a shell keeps the value as written, so that copying it copies the value.
    assert "\nAZURE_CLIENT_SECRET=abc8Q~b.c_d-e\n" in text
    assert "\nTESSERA_DEMO_ADMIN_PASSWORD=Pw1!9a\n" in text
    assert Secrets.load(layout) == secrets
    loaded = subprocess.run(
        [
            "sh",
            "-c",
            'set -a; . "$1"; set +a; printf "%s\\n" "$AZURE_CLIENT_SECRET" "$TESSERA_DEMO_ADMIN_PASSWORD"'
            ' "$TESSERA_DEMO_ALICE_PASSWORD"',
            "sh",
            str(layout.secrets),
        ],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "HOME": "/nowhere"},
    )
    assert loaded.stdout.splitlines() == ["abc8Q~b.c_d-e", "Pw1!9a", "~it's $HOME"]


def test_sample_database_has_keys_and_views(tmp_path: Path) -> None:
    made = sample.ensure_sample(tmp_path / "shop.db")
    assert made.created
    with closing(sqlite3.connect(made.path)) as db:
        kinds = dict(db.execute("SELECT name, type FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"))
        foreign = db.execute("PRAGMA foreign_key_list(order_items)").fetchall()
        revenue = db.execute("SELECT revenue FROM daily_revenue ORDER BY day").fetchall()
    assert {name for name, kind in kinds.items() if kind == "table"} == set(made.tables)
    assert {name for name, kind in kinds.items() if kind == "view"} == set(made.views)
    assert {row[2] for row in foreign} == {"orders", "products"}
    assert revenue == [(87.5,), (78.0,)]
    # Reruns keep the file (the ingestion then finds nothing changed).
    assert not sample.ensure_sample(made.path).created


def test_a_child_that_dies_is_reported_with_its_log(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "server.log"
    child = processes.spawn(
        "tessera serve",
        [sys.executable, "-c", "import sys; print('cannot open the database'); sys.exit(3)"],
        log,
        processes.child_environment(),
    )
    with pytest.raises(QuickstartError) as caught:
        processes.wait_until(child, lambda: False, doing="starting", fix="Read the log.")
    message = caught.value.message
    assert "tessera serve exited while starting (exit code 3)" in message
    assert f"last lines of {log}" in message
    assert "cannot open the database" in message
    assert caught.value.log == log


def test_child_environment_drops_tessera_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TESSERA_DATABASE_URL", "postgresql://elsewhere/db")
    monkeypatch.setenv("AUTHENTICATION_PROVIDER", "basic")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/other.pem")
    env = processes.child_environment(TESSERA_HOME="/x")
    assert "TESSERA_DATABASE_URL" not in env
    assert "AUTHENTICATION_PROVIDER" not in env
    assert "REQUESTS_CA_BUNDLE" not in env
    assert env["TESSERA_HOME"] == "/x"
