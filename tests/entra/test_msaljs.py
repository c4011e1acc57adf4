"""MSAL.js (``@azure/msal-browser``, pinned in ``msaljs/package.json``) in headless Chromium:
``loginRedirect`` through the emulator's sign-in page, then ``acquireTokenSilent``.

The SPA is served over plain http on localhost (allowed for SPAs); the authority is the
emulator over https. Chromium trusts the emulator through
``--ignore-certificate-errors-spki-list`` with the SPKI hash of the emulator's server
certificate: narrower than ``ignore_https_errors`` (only that key is trusted) and needs no
change to the system trust store.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest

from tessera.entra.testing import RunningEmulator
from tests.conftest import find_chromium

from .conftest import new_demo

pytestmark = pytest.mark.browser

MSALJS_DIR = Path(__file__).parent / "msaljs"


def _missing(reason: str) -> None:
    if os.environ.get("TESSERA_REQUIRE_ALL_TIERS") == "1":
        pytest.fail(f"browser tier required (TESSERA_REQUIRE_ALL_TIERS=1) but {reason}")
    pytest.skip(f"BROWSER TIER NOT RUN: {reason}")


@pytest.fixture(scope="session")
def msal_browser_js() -> Path:
    bundle = MSALJS_DIR / "node_modules" / "@azure" / "msal-browser" / "lib" / "msal-browser.min.js"
    if not bundle.exists():
        npm = shutil.which("npm")
        if npm is None:
            _missing("npm is not installed (needed once to fetch @azure/msal-browser)")
        subprocess.run(
            [str(npm), "ci", "--no-audit", "--no-fund"],
            cwd=MSALJS_DIR,
            check=True,
            capture_output=True,
            timeout=300,
        )
    return bundle


@pytest.fixture(scope="session")
def chromium_path() -> str:
    found = find_chromium()
    if found is None:
        _missing("Chromium is missing: `make browsers`, or point TESSERA_CHROMIUM at it")
    assert found is not None
    return found


class _SpaServer:
    """Serves the test page, its config and the MSAL.js bundle on http://localhost:<port>/."""

    def __init__(self, bundle: Path) -> None:
        self.config = ""
        files = {
            "/msal-browser.min.js": bundle.read_bytes(),
            "/": (MSALJS_DIR / "index.html").read_bytes(),
        }
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?")[0].split("#")[0]
                body = outer.config.encode() if path == "/config.js" else files.get(path)
                if body is None:
                    self.send_error(404)
                    return
                kind = "text/javascript" if path.endswith(".js") else "text/html"
                self.send_response(200)
                self.send_header("Content-Type", f"{kind}; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> _SpaServer:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def spa(msal_browser_js: Path) -> Iterator[_SpaServer]:
    with _SpaServer(msal_browser_js) as server:
        yield server


def test_login_redirect_and_acquire_token_silent(
    entra: RunningEmulator, spa: _SpaServer, chromium_path: str, playwright_driver: Any
) -> None:
    redirect_uri = f"http://localhost:{spa.port}/"
    demo = new_demo(entra, spa_redirect_uris=(redirect_uri,))
    host = entra.base_url.split("://")[1]
    spa.config = "window.TEST_CONFIG = " + json.dumps(
        {
            "clientId": demo.ui_client_id,
            "authority": demo.authority,
            "knownAuthority": host,
            "redirectUri": redirect_uri,
            "scope": demo.api_scope,
            "loginHint": demo.admin.user_principal_name,
        }
    )
    assert entra.spki_hash is not None
    browser = playwright_driver.chromium.launch(
        executable_path=chromium_path,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--ignore-certificate-errors-spki-list={entra.spki_hash}",
        ],
    )
    try:
        page = browser.new_context().new_page()
        visited: list[str] = []
        page.on("request", lambda request: visited.append(request.url))
        responses: list[str] = []  # for the failure message
        page.on("response", lambda r: responses.append(f"{r.status} {r.url[:100]}"))
        page.goto(redirect_uri)
        page.wait_for_url(f"{demo.authority}/oauth2/v2.0/authorize*", timeout=20_000)
        assert page.input_value("#login") == demo.admin.user_principal_name  # login_hint
        page.fill("#passwd", demo.admin.password)
        page.click("#idSIButton9")
        page.wait_for_function("document.title === 'done' || document.title === 'error'", timeout=30_000)
        error = page.evaluate("window.testError")
        assert error is None, (error, responses)
        result = page.evaluate("window.testResult")
        # logoutRedirect ends the emulator's session: back on the page, MSAL has no account and
        # signs in again, and the emulator asks for the password instead of signing in silently.
        logout = f"{{ postLogoutRedirectUri: {json.dumps(redirect_uri)} }}"
        page.evaluate(f"() => {{ window.pca.logoutRedirect({logout}); return true; }}")
        page.wait_for_url(f"{demo.authority}/oauth2/v2.0/authorize*", timeout=20_000)
        page.wait_for_selector("#passwd")
        assert "/oauth2/v2.0/logout" in " ".join(visited)
    finally:
        browser.close()
    login = result["login"]
    assert login["homeAccountId"] == f"{demo.admin.id}.{demo.tenant_id}"
    assert login["username"] == demo.admin.user_principal_name
    assert login["idTokenClaims"]["aud"] == demo.ui_client_id
    access = jwt.decode(login["accessToken"], options={"verify_signature": False})
    assert access["aud"] == demo.api_app_id_uri
    assert access["scp"] == "access_as_user"
    silent = result["silent"]
    assert silent["fromCache"] is False  # forceRefresh: the SPA refresh token, redeemed cross-origin
    assert silent["accessToken"] != login["accessToken"]
