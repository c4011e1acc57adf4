"""What providerMappings make of a token's app roles and groups (tessera.auth.mappings)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tessera.auth.mappings import Grant, claimed_groups, granted
from tessera.sign_in_settings import ProviderMapping

FINANCE = "0f8fad5b-d9cb-469f-a165-70867728950e"
RULES = (
    ProviderMapping(appRole="Catalog.Admin", admin=True),
    ProviderMapping(appRole="Catalog.Steward", roles=("DataSteward",), teams=("Stewards",)),
    ProviderMapping(group=FINANCE, teams=("Finance",), roles=("DataSteward",)),
)


def test_each_grant_carries_every_source_that_grants_it() -> None:
    found = granted(RULES, ["Catalog.Steward", "Unmapped"], [FINANCE.upper()])
    assert found == {
        Grant("role", "DataSteward"): frozenset({"appRole:Catalog.Steward", f"group:{FINANCE}"}),
        Grant("team", "Stewards"): frozenset({"appRole:Catalog.Steward"}),
        Grant("team", "Finance"): frozenset({f"group:{FINANCE}"}),
    }


def test_app_role_values_are_matched_exactly_and_unknown_groups_grant_nothing() -> None:
    assert granted(RULES, ["catalog.admin"], []) == {}
    assert granted(RULES, ["Catalog.Admin"], None) == {
        Grant("admin", ""): frozenset({"appRole:Catalog.Admin"})
    }


def test_the_overage_means_unknown_groups_and_no_claim_means_none() -> None:
    overage = {"_claim_names": {"groups": "src1"}, "_claim_sources": {"src1": {"endpoint": "https://x"}}}
    assert claimed_groups(overage) is None
    assert claimed_groups({"groups": [FINANCE]}) == [FINANCE]
    assert claimed_groups({}) == []


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"appRole": "A", "group": FINANCE, "admin": True}, "exactly one of appRole"),
        ({"admin": True}, "exactly one of appRole"),
        ({"group": "Finance", "teams": ["Finance"]}, "not a group object id"),
        ({"appRole": "A"}, "grants something"),
    ],
)
def test_a_mapping_that_cannot_mean_one_thing_is_refused(fields: dict[str, object], says: str) -> None:
    with pytest.raises(ValidationError, match=says):
        ProviderMapping.model_validate(fields)
