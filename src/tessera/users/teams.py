"""OpenMetadata's team hierarchy, enforced on every write of a team or a user.

``Organization`` is the root: one team of that type, with no parent. Under it:

    BusinessUnit  one parent: Organization or BusinessUnit
    Division      one parent: Organization, BusinessUnit or Division
    Department    parents: Organization, BusinessUnit, Division or Department (several allowed)
    Group         parents: any type but Group (several allowed); no child teams

A team written without parents hangs from the Organization. Only Group teams have members
(people without a team belong to the Organization itself), a Group stays a Group, and only
Group teams own data assets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tessera.catalog.kinds import TEAM, USER, Kind
from tessera.catalog.service import CatalogService
from tessera.errors import BadRequest, NotFound

Doc = dict[str, Any]
ORGANIZATION = "Organization"
PARENT_TYPES: dict[str, frozenset[str]] = {
    "BusinessUnit": frozenset({"Organization", "BusinessUnit"}),
    "Division": frozenset({"Organization", "BusinessUnit", "Division"}),
    "Department": frozenset({"Organization", "BusinessUnit", "Division", "Department"}),
    "Group": frozenset({"Organization", "BusinessUnit", "Division", "Department"}),
}
SINGLE_PARENT = frozenset({"BusinessUnit", "Division"})


class TeamRules:
    def __init__(self, catalog: CatalogService) -> None:
        self._catalog = catalog

    def before_store(
        self, kind: Kind, doc: Doc, existing: Doc | None, request: Mapping[str, Any] | None
    ) -> None:
        if kind.type == "team":
            self._team(doc, existing)
            self._members_unchanged(doc, existing, request)
        elif kind.type == "user" and not doc.get("deleted"):
            for ref in doc.get("teams") or []:
                team = self._team_doc(ref)
                if team is not None and team.get("teamType") != "Group":
                    raise BadRequest(
                        f"User {doc.get('name')} cannot join team {team['name']}: only Group teams have "
                        f"members, and {team['name']} is a {team.get('teamType')}"
                    )
        for ref in doc.get("owners") or []:
            if ref.get("type") == "team":
                team = self._team_doc(ref)
                if team is not None and team.get("teamType") != "Group":
                    raise BadRequest(
                        f"Team {team['name']} cannot own {kind.type} {doc.get('name')}: only Group teams own "
                        f"data assets, and it is a {team.get('teamType')}"
                    )

    def _team(self, doc: Doc, existing: Doc | None) -> None:
        team_type = str(doc.get("teamType") or "Group")
        name = doc.get("name")
        if existing is not None and existing.get("teamType") == "Group" and team_type != "Group":
            raise BadRequest(f"Team {name} is a Group and stays one: a Group's type cannot change")
        if team_type == "Organization":
            if name != ORGANIZATION or doc.get("parents"):
                raise BadRequest(
                    "There is one Organization team, the root of the hierarchy, and it has no parent; "
                    "use BusinessUnit, Division, Department or Group"
                )
            return
        if existing is not None and existing.get("teamType") == "Organization":
            raise BadRequest("The Organization team's type cannot change")
        parents = [ref for ref in doc.get("parents") or [] if isinstance(ref, dict)]
        if not parents:
            organization = self._catalog.find_by_name(TEAM, ORGANIZATION)
            if organization is not None:
                doc["parents"] = [_reference(organization)]
            parents = doc.get("parents") or []
        if team_type in SINGLE_PARENT and len(parents) > 1:
            raise BadRequest(f"A {team_type} has one parent; {name} names {len(parents)}")
        for ref in parents:
            parent = self._team_doc(ref)
            if parent is not None and parent.get("teamType") not in PARENT_TYPES[team_type]:
                allowed = ", ".join(sorted(PARENT_TYPES[team_type]))
                raise BadRequest(
                    f"A {team_type} cannot be under the {parent.get('teamType')} {parent['name']}; "
                    f"its parent must be one of {allowed}"
                )
        for ref in doc.get("children") or []:
            if team_type == "Group":
                raise BadRequest(f"{name} is a Group: a Group has members, not child teams")
            child = self._team_doc(ref)
            if child is not None and team_type not in PARENT_TYPES.get(
                str(child.get("teamType")), frozenset()
            ):
                raise BadRequest(f"The {child.get('teamType')} {child['name']} cannot be under a {team_type}")
        if team_type != "Group" and doc.get("users"):
            raise BadRequest(f"{name} is a {team_type}: only Group teams have members")

    def _members_unchanged(self, doc: Doc, existing: Doc | None, request: Mapping[str, Any] | None) -> None:
        """A team's members are the users whose ``teams`` name it, written on each user. A team
        write that lists other members is refused rather than answered 200 with nobody added."""
        # A PUT or POST names members in its request (ids); a PATCH in the patched document.
        listed = request.get("users") if request is not None else doc.get("users")
        if listed is None:
            return
        asked = {str(ref.get("id")) if isinstance(ref, Mapping) else str(ref) for ref in listed}
        current = set()
        if existing is not None:
            current = {str(user["id"]) for user in self._catalog.referencing(USER, str(existing["id"]))}
        if asked != current:
            raise BadRequest(
                f"Team {doc.get('name')}: members are not set through the team. Add or remove a member "
                "with the user's own teams (PATCH /api/v1/users/{id} on /teams, or `teams` in the "
                "user's PUT); a team write may repeat the current members or leave `users` out"
            )

    def _team_doc(self, ref: Mapping[str, Any]) -> Doc | None:
        try:
            return self._catalog.get(TEAM, str(ref.get("id")))
        except NotFound:  # the reference check reports a missing team
            return None


def _reference(team: Doc) -> Doc:
    return {
        "id": team["id"],
        "type": "team",
        "name": team["name"],
        "fullyQualifiedName": team["fullyQualifiedName"],
        "deleted": False,
    }
