from __future__ import annotations

from collections.abc import Iterable, Iterator

import pytest
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from tessera.api.deps import Authorize
from tests.integration.catalog.helpers import SCHEMA, SERVICE, columns
from tests.integration.security.conftest import Session

STRONG = "Str0ng!Passw0rd-for-tests"


def _routes(routes: Iterable[BaseRoute]) -> Iterator[BaseRoute]:
    for route in routes:
        # FastAPI keeps an included router as one entry that wraps the router's own routes.
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _routes(inner.routes)
        else:
            yield route


def test_every_api_route_has_an_authorization_decision(session: Session) -> None:
    app = session.client.app
    undecided = []
    checked = 0
    for route in _routes(app.routes):  # type: ignore[attr-defined]
        if not isinstance(route, APIRoute) or not route.path.startswith("/api/"):
            continue
        checked += 1
        decisions = [d.call for d in route.dependant.dependencies if isinstance(d.call, Authorize)]
        if not decisions:
            undecided.append(f"{sorted(route.methods)} {route.path}")
    assert undecided == []
    # The routes are behind included routers: make sure they were all reached.
    assert checked > 200


def test_data_consumer_reads_but_does_not_write(session: Session) -> None:
    admin = session.admin_token()
    ok = session.client.put(
        "/api/v1/services/databaseServices",
        json={"name": SERVICE, "serviceType": "SQLite"},
        headers=session.as_(admin),
    )
    assert ok.status_code == 201
    session.create_user(admin, "frank", password=STRONG)
    frank = session.as_(session.token_for("frank", STRONG))
    assert session.client.get("/api/v1/services/databaseServices", headers=frank).status_code == 200
    refused = session.client.put("/api/v1/databases", json={"name": "db", "service": SERVICE}, headers=frank)
    assert refused.status_code == 403
    assert refused.json() == {
        "code": 403,
        "message": "You need the Create permission on databases (from a role or policy), "
        "or to be an administrator; frank@example.com has neither",
    }
    service_id = ok.json()["id"]
    describe = session.client.patch(
        f"/api/v1/services/databaseServices/{service_id}",
        json=[{"op": "add", "path": "/description", "value": "mine now"}],
        headers=frank,
    )
    assert describe.status_code == 200, describe.text
    rename = session.client.patch(
        f"/api/v1/services/databaseServices/{service_id}",
        json=[{"op": "add", "path": "/displayName", "value": "x"}],
        headers=frank,
    )
    assert rename.status_code == 403
    assert (
        session.client.delete(f"/api/v1/services/databaseServices/{service_id}", headers=frank).status_code
        == 403
    )
    audit = session.client.get("/api/v1/audit/events", headers=frank)
    assert audit.status_code == 403


def test_owners_may_edit_what_they_own(session: Session) -> None:
    admin = session.admin_token()
    grace = session.create_user(admin, "grace", password=STRONG)
    headers = session.as_(admin)
    session.client.put(
        "/api/v1/services/databaseServices", json={"name": SERVICE, "serviceType": "SQLite"}, headers=headers
    )
    session.client.put("/api/v1/databases", json={"name": "testdb", "service": SERVICE}, headers=headers)
    session.client.put(
        "/api/v1/databaseSchemas", json={"name": "main", "database": f"{SERVICE}.testdb"}, headers=headers
    )
    table = session.client.put(
        "/api/v1/tables",
        json={
            "name": "t",
            "databaseSchema": SCHEMA,
            "columns": columns("a"),
            "owners": [{"id": grace["id"], "type": "user"}],
        },
        headers=headers,
    ).json()
    other = session.client.put(
        "/api/v1/tables",
        json={"name": "u", "databaseSchema": SCHEMA, "columns": columns("a")},
        headers=headers,
    ).json()
    g = session.as_(session.token_for("grace", STRONG))
    mine = session.client.patch(
        f"/api/v1/tables/{table['id']}",
        json=[{"op": "add", "path": "/displayName", "value": "Mine"}],
        headers=g,
    )
    assert mine.status_code == 200, mine.text
    theirs = session.client.patch(
        f"/api/v1/tables/{other['id']}",
        json=[{"op": "add", "path": "/displayName", "value": "Mine"}],
        headers=g,
    )
    assert theirs.status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1;v1%2fusers%2flogin/tables",
        "/api/v1/users/login;x=1/../../tables",
        "/api/v1//tables",
        "/api/./v1/tables",
        "/API/v1/tables",
        "/api/v1/system/version/../../tables",
        "/api/v1/users/login%2f..%2f..%2ftables",
        "/api/v1/users/login;",
        "/api/v1/users/%6Cogin%3b/x",
        "/api/v1/system/config/jwks/../../../tables",
    ],
)
def test_path_tricks_never_skip_authentication(session: Session, path: str) -> None:
    """Regression tests for the CVE-2024-28255 pattern (public-path matching by substring)."""
    response = session.client.get(path)
    assert response.status_code == 401, (path, response.status_code, response.text)
    assert response.json()["code"] == 401


def test_public_paths_need_no_token(session: Session) -> None:
    for path in (
        "/api/v1/system/version",
        "/api/v1/system/health",
        "/api/v1/system/config/auth",
        "/api/v1/system/config/jwks",
    ):
        assert session.client.get(path).status_code == 200, path
    jwks = session.client.get("/api/v1/system/config/jwks").json()
    assert jwks["keys"][0]["alg"] == "RS256"


def test_authorizer_config_hides_admins_from_anonymous_callers(session: Session) -> None:
    anonymous = session.client.get("/api/v1/system/config/authorizer").json()
    assert "adminPrincipals" not in anonymous
    as_admin = session.client.get(
        "/api/v1/system/config/authorizer", headers=session.as_(session.admin_token())
    ).json()
    assert as_admin["adminPrincipals"] == ["admin"]


def test_policies_refuse_expressions(session: Session) -> None:
    admin = session.as_(session.admin_token())
    bad = session.client.put(
        "/api/v1/policies",
        json={
            "name": "Sneaky",
            "rules": [
                {
                    "name": "r",
                    "resources": ["All"],
                    "operations": ["ViewAll"],
                    "effect": "allow",
                    "condition": "T(java.lang.Runtime).getRuntime().exec('id')",
                }
            ],
        },
        headers=admin,
    )
    assert bad.status_code == 400
    assert "is not valid" in bad.json()["message"]


def test_deny_wins(session: Session) -> None:
    admin = session.as_(session.admin_token())
    policy = session.client.put(
        "/api/v1/policies",
        json={
            "name": "NoTables",
            "rules": [{"name": "deny", "resources": ["table"], "operations": ["ViewAll"], "effect": "deny"}],
        },
        headers=admin,
    )
    assert policy.status_code == 201, policy.text
    role = session.client.put(
        "/api/v1/roles", json={"name": "Restricted", "policies": ["NoTables"]}, headers=admin
    )
    assert role.status_code == 201, role.text
    consumer = session.client.get("/api/v1/roles/name/DataConsumer", headers=admin).json()
    user = session.create_user(
        session.admin_token(), "heidi", password=STRONG, roles=[consumer["id"], role.json()["id"]]
    )
    assert sorted(r["name"] for r in user["roles"]) == ["DataConsumer", "Restricted"]
    h = session.as_(session.token_for("heidi", STRONG))
    assert session.client.get("/api/v1/databases", headers=h).status_code == 200
    refused = session.client.get("/api/v1/tables", headers=h)
    assert refused.status_code == 403
    assert "You need the ViewAll permission on tables" in refused.json()["message"]
