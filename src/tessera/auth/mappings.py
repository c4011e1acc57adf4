"""From what Entra ID says about a person or an application (the app roles in ``roles``, the
group object ids in ``groups`` or, past 200 groups, from Microsoft Graph) to what
``authorizerConfiguration.providerMappings`` makes of it in tessera: the administrator flag,
roles and teams, each with the sources that grant it.

Groups are matched by object id only: a group's display name is not unique and any group owner
can rename it, while tokens carry ids (``goharbor/harbor#12178``). App roles are matched by
their value, which only the app registration's owners define.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from tessera.sign_in_settings import ProviderMapping

GrantKind = Literal["admin", "role", "team"]


@dataclass(frozen=True, order=True)
class Grant:
    """What a mapping grants: ``admin`` (name ""), a role or a team, by name."""

    kind: GrantKind
    name: str

    def label(self) -> str:
        return "administrator" if self.kind == "admin" else f"{self.kind} {self.name}"


def app_role_source(value: str) -> str:
    return f"appRole:{value}"


def group_source(group_id: str) -> str:
    return f"group:{group_id.lower()}"


def is_group_source(source: str) -> bool:
    return source.startswith("group:")


def describe_source(source: str) -> str:
    """``appRole:Catalog.Admin`` -> ``Entra ID app role Catalog.Admin``, for people."""
    kind, _, value = source.partition(":")
    return f"Entra ID app role {value}" if kind == "appRole" else f"Entra ID group {value}"


def granted(
    mappings: Sequence[ProviderMapping], app_roles: Iterable[str], group_ids: Iterable[str] | None
) -> dict[Grant, frozenset[str]]:
    """Every grant the mappings make of these app roles and groups, with its sources.
    ``group_ids`` None means the groups are unknown (Graph could not be asked): group
    mappings then grant nothing, and the caller keeps what groups granted before."""
    roles = set(app_roles)
    groups = {g.lower() for g in group_ids or ()}
    found: dict[Grant, set[str]] = {}
    for mapping in mappings:
        if mapping.appRole:
            if mapping.appRole not in roles:
                continue
            source = app_role_source(mapping.appRole)
        else:
            if mapping.group.lower() not in groups:
                continue
            source = group_source(mapping.group)
        grants = [Grant("role", name) for name in mapping.roles]
        grants += [Grant("team", name) for name in mapping.teams]
        if mapping.admin:
            grants.append(Grant("admin", ""))
        for grant in grants:
            found.setdefault(grant, set()).add(source)
    return {grant: frozenset(sources) for grant, sources in found.items()}


def claimed_app_roles(claims: Mapping[str, Any]) -> list[str]:
    roles = claims.get("roles")
    return [str(role) for role in roles] if isinstance(roles, list) else []


def claimed_groups(claims: Mapping[str, Any]) -> list[str] | None:
    """The ``groups`` claim; None when the token carries the overage instead (Graph has the
    list). A token without either says the person is in no group the app is told about."""
    if has_groups_overage(claims):
        return None
    groups = claims.get("groups")
    return [str(group) for group in groups] if isinstance(groups, list) else []


def has_groups_overage(claims: Mapping[str, Any]) -> bool:
    """Entra's groups overage: ``_claim_names: {"groups": "src1"}`` instead of the list."""
    names = claims.get("_claim_names")
    return isinstance(names, dict) and "groups" in names
