"""From a user entity to the Principal that authorization evaluates."""

from __future__ import annotations

from typing import Any

from tessera.auth.principal import Principal, Via
from tessera.catalog import fqn as fqns
from tessera.catalog.kinds import TEAM, USER
from tessera.catalog.service import CatalogService
from tessera.config import AuthorizerSettings
from tessera.errors import NotFound

Doc = dict[str, Any]


class UserDirectory:
    def __init__(self, catalog: CatalogService, authorizer_settings: AuthorizerSettings) -> None:
        self._catalog = catalog
        self._admins = {name.lower() for name in authorizer_settings.adminPrincipals}

    def by_id(self, user_id: str) -> Doc | None:
        try:
            return self._catalog.get(USER, user_id)
        except NotFound:
            return None

    def by_name(self, name: str) -> Doc | None:
        return self._catalog.find_by_name(USER, fqns.quote(name))

    def by_email(self, email: str) -> Doc | None:
        found = self._catalog.find_by_alt_key(USER, email.lower())
        return found[0] if found else None

    def is_admin_login(self, email: str) -> bool:
        return email.lower() in self._admins

    def is_listed_admin(self, name: str, email: str) -> bool:
        """Whether a user of this name or email would be an administrator by adminPrincipals."""
        return name.lower() in self._admins or email.lower() in self._admins

    def is_admin_principal(self, user: Doc, via: Via) -> bool:
        """isAdmin, or listed in adminPrincipals: by email for IdP sign-ins (an IdP user named
        "admin" in some tenant is not our admin, OpenMetadata's mistake), by name or email otherwise.
        """
        email = str(user.get("email", "")).lower()
        if user.get("isAdmin") or email in self._admins:
            return True
        return via not in ("azure", "azure-app") and user["name"].lower() in self._admins

    def principal(self, user: Doc, via: Via) -> Principal:
        roles = {ref["name"] for ref in user.get("roles") or []}
        team_ids: set[str] = set()
        for ref in user.get("teams") or []:
            team_ids.add(ref["id"])
            try:
                team = self._catalog.get(TEAM, ref["id"])
            except NotFound:
                continue
            roles.update(role["name"] for role in team.get("defaultRoles") or [])
        return Principal(
            name=user["name"],
            email=user.get("email"),
            user_id=user["id"],
            is_admin=self.is_admin_principal(user, via) and not user.get("isBot", False),
            is_bot=bool(user.get("isBot", False)),
            roles=frozenset(roles),
            team_ids=frozenset(team_ids),
            via=via,
        )
