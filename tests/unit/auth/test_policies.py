"""The policy authorizer's decisions, on a real (SQLite) catalog of roles and policies."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tessera.auth.builtin_policies import BUILTIN_POLICIES
from tessera.auth.permissions import Operation
from tessera.auth.policies import PolicyAuthorizer
from tessera.auth.principal import Principal
from tessera.catalog.kinds import POLICY, ROLE
from tessera.catalog.service import Actor, CatalogService
from tessera.errors import Forbidden
from tessera.storage import migrate
from tessera.storage.db import create_engine

SYSTEM = Actor(name="tessera", is_bot=True)
ME = "11111111-1111-1111-1111-111111111111"
TEAM = "22222222-2222-2222-2222-222222222222"


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[CatalogService]:
    engine = create_engine(f"sqlite:///{tmp_path / 'tessera.db'}")
    migrate.upgrade(engine)
    catalog = CatalogService(engine)
    for policy in BUILTIN_POLICIES:
        catalog.install_builtin(POLICY, {**policy, "provider": "system"}, SYSTEM)
    yield catalog
    engine.dispose()


def _role(catalog: CatalogService, name: str, *rules: dict[str, Any]) -> None:
    policy = catalog.install_builtin(POLICY, {"name": f"{name}Policy", "rules": list(rules)}, SYSTEM)
    ref = {"id": policy["id"], "type": "policy", "name": policy["name"]}
    catalog.install_builtin(ROLE, {"name": name, "policies": [ref]}, SYSTEM)


def _person(*roles: str) -> Principal:
    return Principal(
        name="pat", email="pat@example.com", user_id=ME, roles=frozenset(roles), team_ids=frozenset({TEAM})
    )


def _rule(
    effect: str, operations: list[str], condition: str | None = None, resource: str = "table"
) -> dict[str, Any]:
    rule: dict[str, Any] = {"name": "r", "resources": [resource], "operations": operations, "effect": effect}
    if condition:
        rule["condition"] = condition
    return rule


MINE = {"id": "t1", "name": "t1", "owners": [{"id": ME, "type": "user"}]}
OURS = {"id": "t2", "name": "t2", "owners": [{"id": TEAM, "type": "team"}]}
THEIRS = {"id": "t3", "name": "t3", "owners": [{"id": "someone", "type": "user"}]}
NOBODYS = {"id": "t4", "name": "t4"}


@pytest.mark.parametrize(
    ("rules", "scope"),
    [
        ([], "none"),
        ([_rule("allow", ["ViewAll"])], "all"),
        ([_rule("allow", ["ViewAll"]), _rule("deny", ["ViewAll"])], "none"),
        ([_rule("allow", ["ViewAll"]), _rule("deny", ["ViewAll"], "!isOwner()")], "each"),
        ([_rule("allow", ["ViewBasic"])], "none"),
        ([_rule("allow", ["All"])], "all"),
        ([_rule("allow", ["ViewAll"], "isOwner()")], "each"),
        ([_rule("allow", ["ViewAll"], "isOwner()"), _rule("deny", ["ViewAll"], "noOwner()")], "each"),
        ([_rule("deny", ["ViewAll"], "!isOwner()")], "none"),
        ([_rule("allow", ["ViewAll"], "T(java.lang.Runtime)")], "none"),  # unknown: never allows
        ([_rule("allow", ["ViewAll"]), _rule("deny", ["ViewAll"], "T(java.lang.Runtime)")], "none"),
    ],
)
def test_view_scope_of_a_kind(catalog: CatalogService, rules: list[dict[str, Any]], scope: str) -> None:
    if rules:
        _role(catalog, "Tested", *rules)
    authorizer = PolicyAuthorizer(catalog, everyone_policies=())
    assert authorizer.scope(_person("Tested"), Operation.VIEW_ALL, "table") == scope
    assert authorizer.scope(Principal(name="root", is_admin=True), Operation.VIEW_ALL, "table") == "all"


def test_scope_agrees_with_per_entity_decisions(catalog: CatalogService) -> None:
    _role(catalog, "Tested", _rule("allow", ["ViewAll"]), _rule("deny", ["ViewAll"], "!isOwner()"))
    authorizer = PolicyAuthorizer(catalog)
    person = _person("Tested")
    seen = [
        doc["name"]
        for doc in (MINE, OURS, THEIRS, NOBODYS)
        if authorizer.allows(person, Operation.VIEW_ALL, "table", doc)
    ]
    assert seen == ["t1", "t2"]


@pytest.mark.parametrize("resource", ["role", "policy", "bot", "team"])
def test_ownership_grants_nothing_on_governance_kinds(catalog: CatalogService, resource: str) -> None:
    authorizer = PolicyAuthorizer(catalog)
    person = _person()  # OrganizationPolicy alone: owners All, claim what has no owner
    assert authorizer.allows(person, Operation.EDIT_ALL, "table", MINE)
    assert authorizer.allows(person, Operation.EDIT_OWNERS, "table", NOBODYS)
    for doc in (MINE, OURS, NOBODYS):
        for operation in (Operation.EDIT_ALL, Operation.EDIT_OWNERS, Operation.DELETE):
            assert not authorizer.allows(person, operation, resource, doc)
    assert authorizer.scope(person, Operation.EDIT_ALL, resource) == "none"


def test_a_user_owns_their_own_record_and_nobody_claims_one(catalog: CatalogService) -> None:
    authorizer = PolicyAuthorizer(catalog)
    person = _person()
    me = {"id": ME, "name": "pat"}
    someone = {
        "id": "33333333-3333-3333-3333-333333333333",
        "name": "sam",
        "owners": [{"id": ME, "type": "user"}],
    }
    assert authorizer.allows(person, Operation.EDIT_ALL, "user", me)
    assert not authorizer.allows(person, Operation.EDIT_ALL, "user", someone)
    assert not authorizer.allows(person, Operation.EDIT_OWNERS, "user", {"id": "x", "name": "x"})


def test_built_in_entities_are_for_administrators_only(catalog: CatalogService) -> None:
    _role(catalog, "Governor", _rule("allow", ["All"], resource="policy"))
    authorizer = PolicyAuthorizer(catalog)
    person = _person("Governor")
    builtin = catalog.get_by_name(POLICY, "OrganizationPolicy")
    custom = catalog.get_by_name(POLICY, "GovernorPolicy")
    assert authorizer.allows(person, Operation.EDIT_ALL, "policy", custom)
    assert authorizer.allows(person, Operation.VIEW_ALL, "policy", builtin)
    assert not authorizer.allows(person, Operation.EDIT_DESCRIPTION, "policy", builtin)
    with pytest.raises(Forbidden) as refused:
        authorizer.check(person, [Operation.DELETE], "policy", builtin)
    assert refused.value.message == (
        "The policy OrganizationPolicy is provided by the system: only administrators can change it; "
        "pat@example.com is not an administrator"
    )
    assert authorizer.scope(person, Operation.EDIT_ALL, "policy") == "each"
    authorizer.check(Principal(name="root", is_admin=True), [Operation.DELETE], "policy", builtin)
