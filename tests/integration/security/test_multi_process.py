"""Security state lives in the shared database: two server processes agree on it."""

from __future__ import annotations

import base64
import time
from pathlib import Path

import httpx
import pytest

from tests.integration.servers import tessera_server

pytestmark = pytest.mark.slow


def _login(base: str, login: str, password: str) -> httpx.Response:
    encoded = base64.b64encode(password.encode()).decode()
    return httpx.post(f"{base}/api/v1/users/login", json={"email": login, "password": encoded}, timeout=30)


def test_lockout_and_revocation_hold_across_two_processes(clean_database: str, tmp_path: Path) -> None:
    env = {
        "AUTHENTICATION_PROVIDER": "basic",
        "OM_MAX_FAILED_LOGIN_ATTEMPTS": "3",
        "OM_LOGIN_ACCESS_BLOCK_TIME": "600",
    }
    home = tmp_path / "home"
    with (
        tessera_server(home, clean_database, env=env) as first,
        tessera_server(home, clean_database, env=env) as second,
    ):
        password = (home / "initial-admin-password").read_text().strip()
        # Signed in before the lockout; the lockout's end is tested in one process on a moved clock.
        signed_in = _login(second, "admin", password)
        assert signed_in.status_code == 200, signed_in.text
        token = signed_in.json()["accessToken"]
        # Six failures from this address: an 8 s wait, held in the database for both processes.
        for _ in range(6):
            assert _login(first, "admin", "wrong").status_code == 401
        assert _login(second, "admin", password).status_code == 401
        headers = {"Authorization": f"Bearer {token}"}
        assert httpx.get(f"{first}/api/v1/tables", headers=headers, timeout=30).status_code == 200
        logout = httpx.post(
            f"{second}/api/v1/users/logout", json={"token": token}, headers=headers, timeout=30
        )
        assert logout.status_code == 200
        # The other process learns of the revocation from the shared event log within seconds.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if httpx.get(f"{first}/api/v1/tables", headers=headers, timeout=30).status_code == 401:
                break
            time.sleep(0.2)
        final = httpx.get(f"{first}/api/v1/tables", headers=headers, timeout=30)
        assert final.status_code == 401
        assert final.json()["message"] == "Not Authorized! Token was revoked (signed out); sign in again"
