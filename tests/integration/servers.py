"""Real tessera server processes for tests that need more than one process."""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

from tessera.users.bootstrap import ADMIN_PASSWORD_FILE

# Processes sharing a database share its Fernet key (it seals the signing keys there), as every
# replica of a deployment does; a test that means another key says so.
TEST_FERNET_KEY = "o3Pq1fB0qOXw7Uq3c6mK1jv8c4sY1sOa2mB9Vt9cT0E="


def fernet_key(home: Path) -> str:
    """The key a process with this home uses: the one an earlier start generated there, if any."""
    generated = home / "fernet.key"
    return generated.read_text().strip() if generated.exists() else TEST_FERNET_KEY


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def tessera_server(
    home: Path,
    database_url: str,
    *,
    env: Mapping[str, str] | None = None,
    config: Path | None = None,
    port: int | None = None,
) -> Iterator[str]:
    """Start ``tessera serve`` in a subprocess; yield its base URL once it answers.

    ``port`` is for callers that must know the URL before the server starts (an SSO redirect
    URI registered with the identity provider); a free one is chosen otherwise.
    """
    port = port or free_port()
    environ = {
        **os.environ,
        "TESSERA_HOME": str(home),
        "TESSERA_DATABASE_URL": database_url,
        "TESSERA_LOG_LEVEL": "WARNING",
        # Tests that need authentication say which provider; the rest run without it.
        "AUTHENTICATION_PROVIDER": "no-auth",
        "FERNET_KEY": fernet_key(home),
        # Stopped with SIGTERM after every test: no load balancer to drain for.
        "TESSERA_SHUTDOWN_DRAIN_SECONDS": "0",
        **(env or {}),
    }
    command = [sys.executable, "-m", "tessera", "serve", "--port", str(port)]
    if config is not None:
        command += ["--config", str(config)]
    log_path = home / f"server-{port}.log"
    home.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=environ, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    raise RuntimeError(
                        f"tessera serve exited with {process.returncode}:\n{log_path.read_text()}"
                    )
                try:
                    if httpx.get(f"{base}/api/v1/system/version", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"tessera serve did not answer within 60 s:\n{log_path.read_text()}")
                time.sleep(0.1)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def mint_bot_token(home: Path, database_url: str, env: dict[str, str]) -> str:
    """What an operator does: ``tessera bots token ingestion-bot`` on the server's database."""
    result = subprocess.run(
        [sys.executable, "-m", "tessera", "bots", "token", "ingestion-bot", "--expiry", "1"],
        env={
            **os.environ,
            "TESSERA_HOME": str(home),
            "TESSERA_DATABASE_URL": database_url,
            "FERNET_KEY": fernet_key(home),
            **env,
        },
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def admin_session(base_url: str, home: Path) -> str:
    """An access token for the first admin, signed in with the password its first start wrote."""
    password = (home / ADMIN_PASSWORD_FILE).read_text().strip()
    response = httpx.post(
        f"{base_url}/api/v1/users/login",
        json={"email": "admin", "password": base64.b64encode(password.encode()).decode()},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["accessToken"]
    return token
