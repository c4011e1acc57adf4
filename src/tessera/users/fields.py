"""Which fields of a user record a principal may change.

Decided on the fields that differ between the stored record and the one the request would store,
never on how the request spells them: a JSON Patch reaches a field through its path, the root
path (``""``), a ``from`` pointer (move, copy) or a path inside it (``/roles/0/name``); a PUT
changes the fields it names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from tessera.auth.principal import Principal
from tessera.errors import Forbidden

# Only administrators change these, on anyone's record, their own included. They decide what a
# principal may do: isAdmin; roles, read by name into the principal; teams, whose defaultRoles
# flow to their members; isBot; impersonation. Or who it is: name (the key); email (sign-in by
# email, an Entra user's first sign-in, adminPrincipals, the bot e-mail rule of Azure SSO);
# the IdP and SCIM keys; authenticationMechanism (its own endpoints). ``password`` is not part of
# the stored record: a PUT that sets it for an existing user is refused the same way (people
# change their own password with PUT /api/v1/users/changePassword, which asks for the old one).
ADMIN_ONLY = frozenset(
    {
        "isAdmin",
        "isBot",
        "roles",
        "teams",
        "inheritedRoles",
        "allowImpersonation",
        "impersonatedBy",
        "name",
        "fullyQualifiedName",
        "email",
        "isEmailVerified",
        "externalId",
        "scimUserName",
        "authenticationMechanism",
        "password",
    }
)

# What people change on their own record without any policy saying so.
SELF_SERVICE = frozenset({"displayName", "description", "profile", "timezone"})

# Stamped by the catalog on every write; not a change anyone asked for.
_STAMPED = frozenset(
    {"version", "updatedAt", "updatedBy", "changeDescription", "incrementalChangeDescription"}
)


def changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The top-level fields whose values differ, in name order."""
    keys = (set(before) | set(after)) - _STAMPED
    return sorted(key for key in keys if before.get(key) != after.get(key))


def changed_by_put(existing: Mapping[str, Any] | None, request: Mapping[str, Any]) -> list[str]:
    """The admin-only fields a createUser request would change (a new user when ``existing`` is
    None). PUT keeps what the request leaves out; roles and teams are given as ids.
    """
    found: list[str] = []
    for key in sorted(ADMIN_ONLY & set(request)):
        wanted = request[key]
        if existing is None:
            # A new record: its name, email and first password make it a user; the rest stays unset.
            differs = key not in ("name", "email", "password") and bool(wanted)
        elif key in ("roles", "teams"):
            differs = set(_ids(wanted)) != set(_ids(existing.get(key)))
        elif key in ("isAdmin", "isBot"):
            differs = bool(wanted) != bool(existing.get(key))
        elif key == "password":
            differs = True
        else:
            differs = wanted != existing.get(key)
        if differs:
            found.append(key)
    return found


class FieldsRefused(Forbidden):
    """A non-admin's change to admin-only fields of a user; says who, which fields and how."""

    def __init__(
        self, principal: Principal, fields: Iterable[str], operation: str, user: str, *, created: bool
    ) -> None:
        self.fields = list(fields)
        self.operation = operation
        self.user = user
        self.created = created
        super().__init__(
            f"Only administrators can change {', '.join(self.fields)} of a user "
            f"({operation} user {user}); {principal.display} is not an administrator"
        )


def _ids(value: Any) -> list[str]:
    """Ids of a list of references (stored) or of ids (a createUser request)."""
    if not isinstance(value, list):
        return []
    return [str(item.get("id")) if isinstance(item, Mapping) else str(item) for item in value]
