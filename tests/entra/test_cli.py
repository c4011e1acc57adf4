"""The Azure SSO guide's steps as ``tessera entra`` commands (Typer's CliRunner), the tenant
file, the admin API, and a CLI change seen by a running server on the same database."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import msal
import pytest
from typer.testing import CliRunner

from tessera.entra.cli import app as cli
from tessera.entra.testing import running_emulator


def run(home: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--home", str(home), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_every_step_of_the_guide_is_a_command(tmp_path: Path) -> None:
    home = tmp_path / "entra"
    run(home, "tenant", "create", "--domain", "contoso.onmicrosoft.com", "--name", "Default Directory")
    # Step 2: register the UI as a single-page application.
    out = run(
        home, "app", "create", "--name", "tessera UI", "--spa-redirect-uri", "http://localhost:8585/callback"
    )
    ui = re.search(r"client id ([0-9a-f-]{36})", out)
    assert ui
    # "Access Tokens and ID Tokens", "Expose an API", "Add a Scope".
    run(home, "app", "update", "tessera UI", "--id-tokens", "--access-tokens")
    assert run(home, "app", "expose-api", "tessera UI").strip() == f"api://{ui.group(1)}"
    run(home, "app", "add-scope", "tessera UI", "--value", "access_as_user")
    # Step 4-8: the ingestion app, its permission, admin consent, App ID URI and secret.
    run(home, "app", "create", "--name", "tessera ingestion")
    run(
        home, "app", "add-permission", "tessera ingestion", "--api", "tessera UI", "--scope", "access_as_user"
    )
    consent = run(home, "app", "grant-admin-consent", "tessera ingestion")
    assert "delegated: tessera UI: access_as_user" in consent
    run(home, "app", "expose-api", "tessera ingestion", "--app-id-uri", "api://tessera-ingestion")
    secret_out = run(
        home, "app", "add-secret", "tessera ingestion", "--name", "ingestion", "--expires", "180d"
    )
    secret = re.search(r"value: (\S+)", secret_out)
    assert secret
    # Step 9: what to note down.
    shown = run(home, "app", "show", "tessera ingestion", "--url", "https://127.0.0.1:8443")
    assert "Client ID:" in shown
    assert "Tenant ID:" in shown
    assert "Authority:                 https://127.0.0.1:8443/" in shown
    assert "Scopes:                    api://tessera-ingestion/.default" in shown
    assert re.search(r"Enterprise app object id: +[0-9a-f-]{36}", shown)
    assert f"{secret.group(1)[:3]}***" in shown
    assert secret.group(1) not in shown  # the value is shown once, by add-secret
    # Other commands.
    run(home, "user", "create", "alice", "--password", "Passw0rd!x", "--mail", "alice@contoso.com")
    assert "alice@contoso.onmicrosoft.com" in run(home, "user", "list")
    run(home, "app", "add-app-role", "tessera UI", "--value", "Catalog.Ingest")
    run(home, "app", "add-certificate", "tessera ingestion", "--generate", str(tmp_path / "ingestion"))
    assert (tmp_path / "ingestion.key").stat().st_mode & 0o777 == 0o600
    kid = run(home, "keys", "rotate").split()[-1]
    assert run(home, "keys", "list").splitlines()[0].startswith(kid)
    ca = Path(run(home, "ca").strip())
    assert ca.exists()
    assert (home / "ca-key.pem").stat().st_mode & 0o777 == 0o600
    assert (home / "entra.db").stat().st_mode & 0o777 == 0o600


def test_help_teaches() -> None:
    for command in (["app", "create"], ["app", "add-secret"], ["app", "show"], ["serve"], ["keys", "rotate"]):
        output = CliRunner().invoke(cli, [*command, "--help"]).output
        assert "Example" in output


def test_cli_changes_reach_a_running_server(tmp_path: Path) -> None:
    home = tmp_path / "entra"
    with running_emulator(home=home, persistent=True) as idp:
        demo = idp.build_demo_tenant()
        app = msal.ConfidentialClientApplication(
            demo.ingestion_client_id,
            client_credential=demo.ingestion_secret,
            authority=demo.authority,
            instance_discovery=False,
            http_client=idp.http_client(),
        )
        assert "access_token" in app.acquire_token_for_client([demo.ingestion_scope])
        # Another process's connection (the CLI) adds a secret and rotates the keys.
        out = run(home, "app", "add-secret", demo.ingestion_client_id, "--tenant", demo.tenant_id)
        new_secret = re.search(r"value: (\S+)", out)
        assert new_secret
        kid = run(home, "keys", "rotate").split()[-1]
        response = httpx.post(
            f"{demo.authority}/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": demo.ingestion_client_id,
                "client_secret": new_secret.group(1),
                "scope": demo.ingestion_scope,
            },
            verify=idp.ssl_context(),
        )
        assert response.status_code == 200, response.text
        import jwt

        assert jwt.get_unverified_header(response.json()["access_token"])["kid"] == kid


TENANT_FILE = """
tenants:
  - domain: fabrikam.onmicrosoft.com
    displayName: Fabrikam
    users:
      - userPrincipalName: bob@fabrikam.onmicrosoft.com
        password: ${BOB_PASSWORD}
        mail: bob@fabrikam.com
    groups:
      - displayName: Stewards
        members: [bob@fabrikam.onmicrosoft.com]
    applications:
      - displayName: api
        identifierUris: ["api://{appId}"]
        api:
          requestedAccessTokenVersion: 2
          oauth2PermissionScopes: [{value: read, type: User}]
        appRoles: [{value: Reader, allowedMemberTypes: [Application, User]}]
        optionalClaims: {accessToken: [email]}
      - displayName: worker
        requiredResourceAccess: [{resource: api, roles: [Reader]}]
        grantAdminConsent: true
        passwordCredentials: [{displayName: ci, expires: 30d, secretText: "${WORKER_SECRET}"}]
"""


def test_tenant_file_is_idempotent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOB_PASSWORD", "B0b-password!")
    monkeypatch.setenv("WORKER_SECRET", "wrk8Q~0123456789abcdefghijklmnopqrstuvw")
    path = tmp_path / "tenant.yaml"
    path.write_text(TENANT_FILE)
    with running_emulator(path) as idp:
        idp.apply(path)  # twice: nothing new
        tenant = idp.service.tenant("fabrikam.onmicrosoft.com")
        apps = idp.service.apps(tenant["id"])
        assert [a["displayName"] for a in apps] == ["api", "worker"]
        worker = next(a for a in apps if a["displayName"] == "worker")
        assert len(worker["passwordCredentials"]) == 1
        api = next(a for a in apps if a["displayName"] == "api")
        result = msal.ConfidentialClientApplication(
            worker["appId"],
            client_credential="wrk8Q~0123456789abcdefghijklmnopqrstuvw",
            authority=idp.authority("fabrikam.onmicrosoft.com"),
            instance_discovery=False,
            http_client=idp.http_client(),
        ).acquire_token_for_client([f"api://{api['appId']}/.default"])
        import jwt

        claims = jwt.decode(result["access_token"], options={"verify_signature": False})
        assert claims["ver"] == "2.0"
        assert claims["aud"] == api["appId"]
        assert claims["roles"] == ["Reader"]


def test_tenant_file_needs_its_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tessera.entra.directory import DirectoryError
    from tessera.entra.tenant_file import read_tenant_file

    monkeypatch.delenv("BOB_PASSWORD", raising=False)
    path = tmp_path / "tenant.yaml"
    path.write_text(TENANT_FILE)
    with pytest.raises(DirectoryError, match="BOB_PASSWORD"):
        read_tenant_file(path)


def test_admin_api_in_process() -> None:
    """The ASGI app driven in process (no sockets), as other parts of tessera can."""
    from tessera.entra.testing import in_process_emulator

    with in_process_emulator() as idp, idp.client(headers=idp.admin_headers()) as client:
        tenant = client.post("/admin/tenants", json={"domain": "adm.onmicrosoft.com"}).json()
        created = client.post(
            f"/admin/tenants/{tenant['id']}/applications", json={"displayName": "svc"}
        ).json()
        ref = created["appId"]
        assert (
            client.post(f"/admin/tenants/{tenant['id']}/applications/{ref}/exposeApi", json={}).status_code
            == 200
        )
        secret = client.post(
            f"/admin/tenants/{tenant['id']}/applications/{ref}/addPassword",
            json={"passwordCredential": {"displayName": "x", "endDateTime": "2099-01-01T00:00:00Z"}},
        ).json()
        token = client.post(
            f"/{tenant['id']}/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": ref,
                "client_secret": secret["secretText"],
                "scope": f"api://{ref}/.default",
            },
        )
        assert token.status_code == 200
        shown = client.get(f"/admin/tenants/{tenant['id']}/applications/svc").json()
        assert shown["application"]["passwordCredentials"][0]["secretText"] is None
        missing = client.get(f"/admin/tenants/{tenant['id']}/applications/nope")
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "Request_ResourceNotFound"
        assert client.post("/admin/keys/rotate").json()["kid"]


def test_tenant_file_expansion_is_a_shells(tmp_path: Path) -> None:
    from tessera.entra.directory import DirectoryError
    from tessera.entra.tenant_file import read_tenant_file

    path = tmp_path / "tenant.yaml"
    path.write_text("tenants: [{domain: '${DOMAIN:-x.onmicrosoft.com}', displayName: 'p$ss ${NAME}'}]\n")
    doc = read_tenant_file(path, {"NAME": "Contoso"})
    assert doc["tenants"][0] == {"domain": "x.onmicrosoft.com", "displayName": "p$ss Contoso"}
    path.write_text("tenants: [{domain: '${ONE}', displayName: '${TWO}${THREE:-ok}'}]\n")
    with pytest.raises(DirectoryError, match=r"ONE, TWO are referenced but not set"):
        read_tenant_file(path, {})
