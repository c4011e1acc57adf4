"""From a user entity to the Principal that authorization evaluates, and who is an administrator.

``adminPrincipals`` means one thing however a person calls (Entra token, personal access token,
password sign-in, refresh): each entry is resolved to an email once, a bare name as
``name@principalDomain`` (as OpenMetadata documents: ``AUTHORIZER_ADMIN_PRINCIPALS=[admin]`` with
``AUTHORIZER_PRINCIPAL_DOMAIN=example.com`` makes ``admin@example.com`` an administrator) and an
email as itself. A user is an administrator when its ``isAdmin`` flag is set or its email is one
of them; for a person bound to an Entra identity, only if that identity is from the catalog's own
tenant, because another tenant's administrators can give any of their users any ``mail``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from tessera.auth import store
from tessera.auth.principal import Principal, Via
from tessera.catalog import fqn as fqns
from tessera.catalog.kinds import TEAM, USER
from tessera.catalog.service import CatalogService, Include
from tessera.config import AuthorizerSettings
from tessera.errors import NotFound

Doc = dict[str, Any]
IDP = "azure"
AdminBy = Literal["isAdmin", "adminPrincipals"]


def admin_emails(settings: AuthorizerSettings) -> frozenset[str]:
    """``adminPrincipals`` resolved to emails (lower case)."""
    domain = settings.principalDomain.strip().lower()
    emails = set()
    for entry in settings.adminPrincipals:
        entry = entry.strip().lower()
        if entry:
            emails.add(entry if "@" in entry else f"{entry}@{domain}")
    return frozenset(emails)


class UserDirectory:
    def __init__(self, catalog: CatalogService, authorizer_settings: AuthorizerSettings) -> None:
        self._catalog = catalog
        self.admin_emails = admin_emails(authorizer_settings)
        # The catalog's own Entra tenant, when people sign in with Entra ID (set by bootstrap).
        self.home_tenant: Callable[[], str] | None = None

    def by_id(self, user_id: str) -> Doc | None:
        try:
            return self._catalog.get(USER, user_id)
        except NotFound:
            return None

    def by_name(self, name: str, include: Include = "non-deleted") -> Doc | None:
        try:
            return self._catalog.get_by_name(USER, fqns.quote(name), include)
        except NotFound:
            return None

    def name_taken(self, name: str) -> bool:
        """Whether a user has this name, deleted users included: a deleted user keeps its name
        (an administrator may restore it), so nobody else may take it over."""
        return self.by_name(name, "all") is not None

    def by_email(self, email: str) -> Doc | None:
        found = self._catalog.find_by_alt_key(USER, email.lower())
        return found[0] if found else None

    def is_admin_email(self, email: str) -> bool:
        return email.lower() in self.admin_emails

    def is_admin_principal(self, user: Doc) -> bool:
        if user.get("isBot", False):
            return False
        if user.get("isAdmin"):
            return True
        if not self.is_admin_email(str(user.get("email", ""))):
            return False
        if self.home_tenant is None:
            return True
        with self._catalog.engine.connect() as conn:
            bound = store.identity_of(conn, IDP, user["id"])
        return bound is None or bound[0].lower() == self.home_tenant().lower()

    def admin_by(self, user: Doc) -> AdminBy | None:
        """Why ``user`` is an administrator (its flag first), or None when it is not one."""
        if not self.is_admin_principal(user):
            return None
        return "isAdmin" if user.get("isAdmin") else "adminPrincipals"

    def principal(self, user: Doc, via: Via) -> Principal:
        roles = {ref["name"] for ref in user.get("roles") or []}
        team_ids: set[str] = set()
        team_names: set[str] = set()
        for ref in user.get("teams") or []:
            team_ids.add(ref["id"])
            try:
                team = self._catalog.get(TEAM, ref["id"])
            except NotFound:
                continue
            team_names.add(team["name"])
            roles.update(role["name"] for role in team.get("defaultRoles") or [])
        return Principal(
            name=user["name"],
            email=user.get("email"),
            user_id=user["id"],
            is_admin=self.is_admin_principal(user),
            is_bot=bool(user.get("isBot", False)),
            roles=frozenset(roles),
            team_ids=frozenset(team_ids),
            team_names=frozenset(team_names),
            via=via,
        )
