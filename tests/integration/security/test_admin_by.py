"""``adminBy``: tessera's answer to "is this user an administrator, and why", the same one the
authorizer, ``tessera users list`` and the UI's Admin badge use. ``isAdmin`` is only the stored
flag; ``adminPrincipals`` makes administrators too.

Served only when asked for by name (OpenMetadata's client refuses fields its schema does not
have), and only to administrators and to the user themself (who the administrators are is as
private as ``adminPrincipals``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.integration.security.conftest import Session

STRONG = "Str0ng!Passw0rd-for-tests"


def test_admin_by_names_the_flag_or_admin_principals(secure: Callable[..., Session]) -> None:
    session = secure(AUTHORIZER_ADMIN_PRINCIPALS="[admin, nina@example.com]")
    admin = session.as_(session.admin_token())
    session.create_user(session.admin_token(), "nina", password=STRONG, email="nina@example.com")
    session.create_user(session.admin_token(), "frank", password=STRONG, email="frank@example.com")

    listed = session.client.get("/api/v1/users?fields=adminBy,roles&limit=50", headers=admin)
    assert listed.status_code == 200, listed.text
    by_name: dict[str, Any] = {user["name"]: user for user in listed.json()["data"]}
    assert by_name["admin"]["adminBy"] == "isAdmin"
    assert by_name["nina"]["adminBy"] == "adminPrincipals"
    assert not by_name["nina"].get("isAdmin")  # the stored flag is left as it is
    assert by_name["frank"]["adminBy"] is None
    assert by_name["ingestion-bot"]["adminBy"] is None  # bots are never administrators

    # Never unless asked for by name: not by default, not with fields=*.
    for query in ("", "?fields=*"):
        plain = session.client.get(f"/api/v1/users/name/nina{query}", headers=admin).json()
        assert "adminBy" not in plain, query

    # Oneself, yes; somebody else, not for a non-administrator.
    nina = session.as_(session.token_for("nina", STRONG))
    assert session.client.get("/api/v1/users/name/nina?fields=adminBy", headers=nina).json()["adminBy"] == (
        "adminPrincipals"
    )
    frank = session.as_(session.token_for("frank", STRONG))
    mine = session.client.get("/api/v1/users/name/frank?fields=adminBy", headers=frank).json()
    assert mine["adminBy"] is None
    theirs = session.client.get("/api/v1/users/name/nina?fields=adminBy", headers=frank)
    assert theirs.status_code == 200, theirs.text
    assert "adminBy" not in theirs.json()

    unknown = session.client.get("/api/v1/users/name/nina?fields=adminby", headers=admin)
    assert unknown.status_code == 400
    assert "Invalid field name(s) adminby for user; allowed: adminBy, " in unknown.json()["message"]
