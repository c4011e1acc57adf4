"""The admin API is not a door for web pages (security review): it needs the admin token, it
answers no CORS, it takes JSON only; ``serve --http`` stays on loopback; user passwords follow
Entra's policy. Each test here failed before the fix."""

from __future__ import annotations

import stat
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tessera.entra.cli import app as cli
from tessera.entra.directory import DirectoryError
from tessera.entra.testing import DemoTenant, RunningEmulator, running_emulator

ATTACKER = "https://evil.example"


def _add_password(entra: RunningEmulator, demo: DemoTenant) -> str:
    return (
        f"{entra.base_url}/admin/tenants/{demo.tenant_id}/applications/{demo.ingestion_client_id}/addPassword"
    )


def test_admin_api_needs_the_admin_token(
    entra: RunningEmulator, demo: DemoTenant, http: httpx.Client
) -> None:
    url = f"{entra.base_url}/admin/tenants"
    anonymous = http.get(url)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    assert anonymous.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert "tessera entra admin-token" in anonymous.json()["error"]["message"]
    wrong = http.get(url, headers={"Authorization": "Bearer " + "x" * 43})
    assert wrong.status_code == 401
    allowed = http.get(url, headers=entra.admin_headers())
    assert allowed.status_code == 200
    assert demo.tenant_id in {t["id"] for t in allowed.json()["value"]}


def test_a_cross_origin_text_plain_post_mints_no_secret(
    entra: RunningEmulator, demo: DemoTenant, http: httpx.Client
) -> None:
    # What a web page can send without a CORS preflight: a "simple" request.
    forged = http.post(
        _add_password(entra, demo),
        content=b'{"passwordCredential": {"displayName": "pwned"}}',
        headers={"Origin": ATTACKER, "Content-Type": "text/plain"},
    )
    assert forged.status_code == 401
    assert "access-control-allow-origin" not in forged.headers
    # Even with the token, a body must be JSON, which a page cannot send cross-origin unasked.
    typed = http.post(
        _add_password(entra, demo),
        content=b"{}",
        headers={**entra.admin_headers(), "Content-Type": "text/plain"},
    )
    assert typed.status_code == 415
    shown = entra.service.find_app(demo.tenant_id, demo.ingestion_client_id)
    assert shown is not None
    assert [c["displayName"] for c in shown["passwordCredentials"]] == ["ingestion"]


def test_admin_api_answers_no_cors_preflight(
    entra: RunningEmulator, demo: DemoTenant, http: httpx.Client
) -> None:
    preflight = http.options(
        _add_password(entra, demo),
        headers={
            "Origin": ATTACKER,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-methods" not in preflight.headers


def test_cors_only_on_the_protocol_endpoints(
    entra: RunningEmulator, demo: DemoTenant, http: httpx.Client
) -> None:
    origin = {"Origin": "http://localhost:8585"}
    for path in (
        "v2.0/.well-known/openid-configuration",
        ".well-known/openid-configuration",
        "discovery/v2.0/keys",
        "discovery/keys",
    ):
        assert (
            http.get(f"{demo.authority}/{path}", headers=origin).headers["access-control-allow-origin"] == "*"
        )
    page = http.get(
        f"{demo.authority}/oauth2/v2.0/authorize",
        params={
            "client_id": demo.ui_client_id,
            "response_type": "code",
            "redirect_uri": demo.ui_redirect_uri,
            "scope": "openid",
        },
        headers=origin,
    )
    assert page.status_code == 200
    assert "access-control-allow-origin" not in page.headers


def test_admin_token_file_is_private_and_printed_by_the_cli(tmp_path: Path) -> None:
    home = tmp_path / "entra"
    result = CliRunner().invoke(cli, ["--home", str(home), "admin-token"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert len(token) >= 40
    path = home / "admin-token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().strip() == token
    again = CliRunner().invoke(cli, ["--home", str(home), "admin-token"])
    assert again.output.strip() == token  # made once, then kept


def test_plain_http_is_refused_off_loopback(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["--home", str(tmp_path), "serve", "--http", "--host", "0.0.0.0", "--port", "1", "--ephemeral"]
    )
    assert result.exit_code == 2
    assert "plain http on 0.0.0.0" in result.output
    with pytest.raises(ValueError, match="in clear"), running_emulator(https=False, host="0.0.0.0"):
        pass


def test_user_passwords_follow_entras_policy(entra: RunningEmulator, demo: DemoTenant) -> None:
    for weak in ("a", "password", "Password", "Sh0rt!"):
        with pytest.raises(DirectoryError, match="Entra's policy"):
            entra.create_user(demo.tenant_id, f"weak{len(weak)}", weak)
    created = entra.create_user(demo.tenant_id, "strong", "Str0ngEnough")  # three classes
    with pytest.raises(DirectoryError, match="Entra's policy"):
        entra.service.set_password(demo.tenant_id, created["id"], "abc")
    # A test that asks for it gets a weak password, as Graph's passwordPolicies allows.
    entra.create_user(demo.tenant_id, "tester", "a", password_policies="DisableStrongPassword")


def test_cli_refuses_a_weak_password(tmp_path: Path) -> None:
    home = str(tmp_path / "entra")
    CliRunner().invoke(cli, ["--home", home, "tenant", "create", "--domain", "pw.onmicrosoft.com"])
    weak = CliRunner().invoke(cli, ["--home", home, "user", "create", "bob", "--password", "a"])
    assert weak.exit_code == 2
    assert "Entra's policy" in weak.output
    waived = CliRunner().invoke(
        cli, ["--home", home, "user", "create", "bob", "--password", "a", "--weak-password"]
    )
    assert waived.exit_code == 0, waived.output


def test_every_admin_route_needs_the_token_and_answers_no_cors() -> None:
    """The API grows; this keeps each of its routes behind the token, without CORS."""
    import re

    from starlette.routing import Route

    from tessera.entra import admin
    from tessera.entra.testing import in_process_emulator

    with in_process_emulator() as idp, idp.client() as client:
        checked = 0
        for route in admin.routes():
            assert isinstance(route, Route)
            path = re.sub(r"\{[^}]+\}", "x", route.path)
            for method in sorted(route.methods or ()):
                if method == "HEAD":
                    continue
                response = client.request(
                    method, path, content=b"{}", headers={"Origin": ATTACKER, "Content-Type": "text/plain"}
                )
                assert response.status_code == 401, (method, path, response.text)
                assert "access-control-allow-origin" not in response.headers
                checked += 1
        assert checked >= 20
