"""MSAL Node (``@azure/msal-node``, pinned in ``msalnode/package.json``, installed by ``make
test``'s ``node-deps``) against the emulator over HTTPS: client credentials with a secret, and
the auth code flow with PKCE (the sign-in done as a person does it), then a silent refresh."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from tessera.entra.testing import DemoTenant, RunningEmulator

from .conftest import sign_in
from .test_auth_code import NATIVE_REDIRECT, _native_client

MSALNODE_DIR = Path(__file__).parent / "msalnode"


def _missing(reason: str) -> None:
    if os.environ.get("TESSERA_REQUIRE_ALL_TIERS") == "1":
        pytest.fail(f"msal-node tier required (TESSERA_REQUIRE_ALL_TIERS=1) but {reason}")
    pytest.skip(f"MSAL NODE TIER NOT RUN: {reason}")


@pytest.fixture(scope="session")
def node() -> str:
    path = shutil.which("node")
    if path is None:
        _missing("node is not installed")
    assert path is not None
    if not (MSALNODE_DIR / "node_modules" / "@azure" / "msal-node").exists():
        npm = shutil.which("npm")
        if npm is None:
            _missing("npm is not installed (make node-deps installs @azure/msal-node)")
        assert npm is not None
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=MSALNODE_DIR,
            check=True,
            capture_output=True,
            timeout=300,
        )
    return path


def _run(node: str, entra: RunningEmulator, step: str, **config: Any) -> dict[str, Any]:
    config.setdefault("knownAuthority", entra.base_url.split("://", 1)[1])
    env = {**os.environ, "NODE_EXTRA_CA_CERTS": str(entra.ca_file)}
    done = subprocess.run(
        [node, "run.mjs", step, json.dumps(config)],
        cwd=MSALNODE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    assert done.returncode == 0, (out, done.stderr[-2000:])
    return out


def test_msal_node_client_credentials(node: str, entra: RunningEmulator, demo: DemoTenant) -> None:
    out = _run(
        node,
        entra,
        "client-credentials",
        clientId=demo.ingestion_client_id,
        authority=demo.authority,
        secret=demo.ingestion_secret,
        scopes=[demo.ingestion_scope],
    )
    claims = jwt.decode(out["accessToken"], options={"verify_signature": False})
    assert claims["oid"] == demo.ingestion_object_id
    assert claims["aud"] == demo.ingestion_app_id_uri
    assert out["expiresOn"]  # expires_in read: MSAL caches the token


def test_msal_node_auth_code_with_pkce(
    node: str, entra: RunningEmulator, demo: DemoTenant, http: httpx.Client
) -> None:
    client_id = _native_client(entra, demo)
    common = {
        "clientId": client_id,
        "authority": demo.authority,
        "scopes": [demo.api_scope],
        "redirectUri": NATIVE_REDIRECT,
    }
    started = _run(node, entra, "auth-code-url", state="st-node", **common)
    params = sign_in(http, started["url"], demo.admin.user_principal_name, demo.admin.password).params
    assert params["state"] == "st-node"
    out = _run(
        node,
        entra,
        "auth-code-redeem",
        code=params["code"],
        verifier=started["verifier"],
        state="st-node",
        clientInfo=params.get("client_info"),
        **common,
    )
    assert out["homeAccountId"] == f"{demo.admin.id}.{demo.tenant_id}"
    assert out["username"] == demo.admin.user_principal_name
    access = jwt.decode(out["accessToken"], options={"verify_signature": False})
    assert (access["scp"], access["oid"]) == ("access_as_user", demo.admin.id)
    assert out["silentAccessToken"] != out["accessToken"]  # forceRefresh: the refresh token worked
