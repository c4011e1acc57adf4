"""Security groups and app roles: nested groups, the ``groups`` claim as ``groupMembershipClaims``
asks (transitive, application groups, the over-200 overage form), and app roles assigned to
users, groups and service principals, as MSAL Python receives them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from typer.testing import CliRunner

from tessera.entra.cli import app as cli
from tessera.entra.directory import DirectoryError
from tessera.entra.testing import DemoTenant, RunningEmulator, running_emulator

from .conftest import confidential, public, sign_in, start_flow
from .test_auth_code import NATIVE_REDIRECT, _native_client


def _user_tokens(entra: RunningEmulator, demo: DemoTenant, http: httpx.Client) -> dict[str, Any]:
    client_id = _native_client(entra, demo)
    app = public(entra, client_id, demo.authority)
    flow = start_flow(app, [demo.api_scope], NATIVE_REDIRECT)
    params = sign_in(http, flow["auth_uri"], demo.admin.user_principal_name, demo.admin.password).params
    tokens: dict[str, Any] = app.acquire_token_by_auth_code_flow(flow, params)
    assert "access_token" in tokens, tokens
    return tokens


def _access(tokens: dict[str, Any]) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    return claims


def test_groups_claim_is_transitive_and_follows_the_resource(
    entra: RunningEmulator, demo: DemoTenant, http: httpx.Client
) -> None:
    tid = demo.tenant_id
    stewards = entra.service.create_group(tid, "Stewards", [demo.admin.user_principal_name])
    data = entra.service.create_group(tid, "Data", ["Stewards"])  # a group in a group
    entra.service.create_group(tid, "Others", [demo.users[1].user_principal_name])
    # No setting on the API: no groups claim.
    assert "groups" not in _access(_user_tokens(entra, demo, http))
    entra.service.update_app(tid, demo.ui_client_id, group_membership_claims="SecurityGroup", token_version=2)
    claims = _access(_user_tokens(entra, demo, http))
    assert claims["groups"] == [stewards["id"], data["id"]]
    # ApplicationGroup: only the groups assigned to the app.
    entra.service.update_app(tid, demo.ui_client_id, group_membership_claims="ApplicationGroup")
    entra.service.assign_group(tid, demo.ui_client_id, "Data")
    assert _access(_user_tokens(entra, demo, http))["groups"] == [data["id"]]


def test_groups_overage_past_200(entra: RunningEmulator, demo: DemoTenant, http: httpx.Client) -> None:
    tid = demo.tenant_id
    for n in range(201):
        entra.service.create_group(tid, f"g{n:03}", [demo.admin.id])
    entra.service.update_app(tid, demo.ui_client_id, group_membership_claims="All")
    claims = _access(_user_tokens(entra, demo, http))
    assert "groups" not in claims
    assert claims["_claim_names"] == {"groups": "src1"}
    endpoint = claims["_claim_sources"]["src1"]["endpoint"]
    assert endpoint == f"{entra.base_url}/v1.0/users/{demo.admin.id}/getMemberObjects"


def test_app_roles_through_nested_groups_and_to_service_principals(
    entra: RunningEmulator, demo: DemoTenant, http: httpx.Client
) -> None:
    tid = demo.tenant_id
    entra.service.add_app_role(tid, demo.ui_client_id, "DataSteward", allowed_member_types=["User"])
    entra.service.add_app_role(tid, demo.ui_client_id, "Catalog.Ingest", allowed_member_types=["Application"])
    entra.service.create_group(tid, "Stewards", [demo.admin.id])
    entra.service.create_group(tid, "Data", ["Stewards"])
    entra.service.assign_group(tid, demo.ui_client_id, "Data", "DataSteward")
    assert _access(_user_tokens(entra, demo, http))["roles"] == ["DataSteward"]
    # An application role, granted to the ingestion app's service principal directly.
    entra.service.assign_service_principal(tid, demo.ui_client_id, demo.ingestion_client_id, "Catalog.Ingest")
    app = confidential(entra, demo.ingestion_client_id, demo.ingestion_secret, demo.authority)
    token = app.acquire_token_for_client([demo.api_default_scope])["access_token"]
    assert jwt.decode(token, options={"verify_signature": False})["roles"] == ["Catalog.Ingest"]
    with pytest.raises(DirectoryError, match="cannot be assigned to users and groups"):
        entra.service.assign_group(tid, demo.ui_client_id, "Data", "Catalog.Ingest")
    with pytest.raises(DirectoryError, match="cannot contain itself"):
        entra.service.add_group_member(tid, "Stewards", "Data")


TENANT = """
tenants:
  - domain: groups.onmicrosoft.com
    users:
      - {userPrincipalName: ann@groups.onmicrosoft.com, password: "Ann-Passw0rd"}
    groups:
      - {displayName: Outer, members: [Inner]}
      - {displayName: Inner, members: [ann@groups.onmicrosoft.com]}
    applications:
      - displayName: api
        identifierUris: ["api://{appId}"]
        groupMembershipClaims: SecurityGroup
        appRoles:
          - {value: Reader, allowedMemberTypes: [User]}
          - {value: Writer, allowedMemberTypes: [Application]}
        assignments:
          - {group: Outer, role: Reader}
          - {application: worker, role: Writer}
      - displayName: worker
        passwordCredentials: [{displayName: ci}]
"""


def test_groups_and_assignments_in_the_tenant_file_and_cli(tmp_path: Path) -> None:
    path = tmp_path / "tenant.yaml"
    path.write_text(TENANT)
    with running_emulator(path) as idp:
        listed = {g["displayName"]: g for g in idp.service.groups("groups.onmicrosoft.com")}
        assert listed["Outer"]["members"] == [listed["Inner"]["id"]]
    home = tmp_path / "home"
    run = CliRunner()
    assert run.invoke(cli, ["--home", str(home), "apply", str(path)]).exit_code == 0
    added = run.invoke(cli, ["--home", str(home), "group", "create", "Third", "--member", "Outer"])
    assert added.exit_code == 0, added.output
    listed_out = run.invoke(cli, ["--home", str(home), "group", "list"]).output
    assert "Third" in listed_out
    assert "Outer" in listed_out
    removed = run.invoke(cli, ["--home", str(home), "group", "remove-member", "Third", "Outer"])
    assert "0 members" in removed.output
    granted = run.invoke(
        cli, ["--home", str(home), "app", "assign-app", "api", "--client", "worker", "--role", "Writer"]
    )
    assert granted.exit_code == 0, granted.output
