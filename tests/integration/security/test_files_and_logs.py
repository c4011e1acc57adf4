"""TESSERA_HOME is the owner's alone, and nothing a caller sends can forge a server log line."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from tessera.bootstrap import build_container, start
from tessera.config import load_settings
from tessera.errors import ConfigError
from tests.integration.servers import tessera_server


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_first_start_keeps_home_and_database_private(tmp_path: Path) -> None:
    home = tmp_path / "home"
    previous = os.umask(0o022)
    try:
        container = build_container(load_settings(environ={"TESSERA_HOME": str(home)}))
        start(container)
        with container.engine.connect() as conn:  # the WAL exists while a connection is open
            conn.exec_driver_sql("SELECT 1")
            files = sorted(p.name for p in home.iterdir() if p.is_file())
            assert {"tessera.db", "tessera.db-wal", "tessera.db-shm", "fernet.key"} <= set(files)
            assert {name: _mode(home / name) for name in files} == dict.fromkeys(files, 0o600)
        container.close()
    finally:
        os.umask(previous)
    assert _mode(home) == 0o700
    # The signing keys are in the database, sealed: nothing of them on disk.
    assert not (home / "jwt").exists()


def test_production_refuses_a_home_others_can_read(tmp_path: Path) -> None:
    home = tmp_path / "home"
    environ = {"TESSERA_HOME": str(home), "AUTHENTICATION_PROVIDER": "basic"}
    first = build_container(load_settings(environ=environ))
    start(first)
    first.close()
    os.chmod(home, 0o755)
    os.chmod(home / "tessera.db", 0o644)
    production = {**environ, "TESSERA_ENV": "production", "FERNET_KEY": Fernet.generate_key().decode()}
    container = build_container(load_settings(environ=production))
    with pytest.raises(ConfigError) as refused:
        start(container)
    container.close()
    assert f"chmod 700 {home}" in str(refused.value)
    assert f"chmod 600 {home / 'tessera.db'}" in str(refused.value)


def test_a_login_name_cannot_forge_a_log_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {"AUTHENTICATION_PROVIDER": "basic", "TESSERA_LOG_LEVEL": "INFO"}
    forged = "2026-12-03 10:00:00,000 INFO tessera.audit: admin login user admin: success"
    with tessera_server(home, f"sqlite:///{tmp_path / 'tessera.db'}", env=env) as base:
        password = base64.b64encode(b"whatever").decode()
        response = httpx.post(
            f"{base}/api/v1/users/login", json={"email": f"mallory\n{forged}", "password": password}
        )
        assert response.status_code == 401
    log = next(home.glob("server-*.log")).read_text()
    assert "mallory\\n2026-12-03 10:00:00,000 info" in log  # one line, the login as typed (lower case)
    assert not any(line.lower().startswith(forged.lower()) for line in log.splitlines())
