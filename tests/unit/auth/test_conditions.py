from __future__ import annotations

import re
from typing import Any

import pytest

from tessera.auth.conditions import evaluate, mentions_ownership, parse
from tessera.auth.principal import Principal
from tessera.errors import BadRequest

ME = Principal(
    name="dana",
    user_id="u1",
    team_ids=frozenset({"t-eng"}),
    team_names=frozenset({"Engineering"}),
    roles=frozenset({"DataSteward"}),
)
TABLE: dict[str, Any] = {
    "id": "e1",
    "owners": [{"id": "t-eng", "type": "team"}],
    "tags": [{"tagFQN": "PII.Sensitive"}, {"tagFQN": "Tier.Tier1"}],
    "certification": {"tagLabel": {"tagFQN": "Certification.Gold"}},
    "reviewers": [{"id": "u1", "type": "user"}],
}


def holds(condition: str, entity: dict[str, Any] | None = TABLE, resource: str = "table") -> bool:
    return evaluate(parse(condition), ME, entity, resource)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("isOwner()", True),
        ("noOwner()", False),
        ("!isOwner()", False),
        ("matchAllTags('PII.Sensitive', 'Tier.Tier1')", True),
        ("matchAllTags('PII.Sensitive', 'PersonalData.Personal')", False),
        ('matchAnyTag("PersonalData.Personal", "PII.Sensitive")', True),
        ("matchAnyCertification('Certification.Gold')", True),
        ("matchAnyCertification('Certification.Bronze')", False),
        ("matchTeam()", True),
        ("inAnyTeam('Sales', 'Engineering')", True),
        ("inAnyTeam('Sales')", False),
        ("hasAnyRole('DataSteward')", True),
        ("hasDomain()", True),
        ("isReviewer()", True),
        ("noOwner() || isOwner()", True),
        ("matchAnyTag('PII.Sensitive') && !isOwner()", False),
        ("!(matchAnyTag('PII.Sensitive') && !isOwner())", True),
        # && binds tighter than ||.
        ("noOwner() || isOwner() && inAnyTeam('Sales')", False),
        ("(noOwner() || isOwner()) && inAnyTeam('Engineering')", True),
        ("  !  !  isOwner ( )  ", True),
    ],
)
def test_openmetadatas_condition_language(condition: str, expected: bool) -> None:
    assert holds(condition) is expected


def test_conditions_on_nothing_and_on_users() -> None:
    assert holds("isOwner()", None) is False
    assert holds("noOwner()", {"id": "x"}) is True
    assert holds("noOwner()", {"id": "x"}, resource="user") is False  # nobody claims a person
    assert holds("isOwner()", {"id": "u1"}, resource="user") is True


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("isAdmin()", "unknown function 'isAdmin'"),
        ("T(java.lang.Runtime).getRuntime().exec('id')", "is not valid: unexpected '.lang"),
        ("Runtime('id')", "unknown function 'Runtime'"),
        ("isOwner() and noOwner()", "unexpected 'and'"),
        ("isOwner(", "expected ')'"),
        ("matchAnyTag()", "needs at least one name"),
        ("isOwner('x')", "takes no arguments"),
        ("matchAnyTag(PII)", "takes quoted names"),
        ("isOwner() ||", "expected a function"),
        ("", "it is empty"),
        ("#{7*7}", "unexpected '#{7*7}'"),
        ("(" * 40 + "isOwner()" + ")" * 40, "nests deeper"),
    ],
)
def test_anything_else_is_refused_naming_what_is_wrong(condition: str, message: str) -> None:
    with pytest.raises(BadRequest, match=re.escape(message)):
        parse(condition)


def test_ownership_is_found_anywhere_in_a_condition() -> None:
    assert mentions_ownership(parse("inAnyTeam('x') || !noOwner()"))
    assert not mentions_ownership(parse("matchAnyTag('PII.Sensitive') && matchTeam()"))
