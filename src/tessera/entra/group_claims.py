"""The ``groups`` claim (``optional-claims-reference``, "Configure groups optional claims"; the
manifest's ``groupMembershipClaims``).

The app the token is for decides: the resource's setting for an access token, the client's for
an ID token. ``SecurityGroup`` and ``All`` list every group the user is in, transitively;
``ApplicationGroup`` only the groups assigned to the app; ``None`` (or unset) none, unless the
``groups`` optional claim is configured. Past 200 groups a JWT carries no list but the overage
form, ``_claim_names`` / ``_claim_sources``, pointing at Graph's ``getMemberObjects`` for the
user, which the emulator's Graph serves.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tessera.entra.groups import groups_of
from tessera.entra.models import AppRoleAssignment, ServicePrincipal, User

GROUP_MEMBERSHIP_CLAIMS = ("None", "SecurityGroup", "All", "DirectoryRole", "ApplicationGroup")
# "Groups overage": JWTs list at most this many groups (implicit-flow URLs fewer; not emulated).
OVERAGE_LIMIT = 200


def groups_claim(
    s: Session,
    user: User,
    *,
    setting: str | None,
    optional: set[str] | frozenset[str],
    app_sp: ServicePrincipal | None,
    origin: str,
) -> dict[str, Any]:
    """The claims to add to a token: ``{"groups": [...]}``, the overage pair, or nothing."""
    kinds = set((setting or "None").replace(" ", "").split(","))
    if kinds <= {"None", ""} and "groups" not in optional:
        return {}
    if kinds == {"DirectoryRole"}:
        return {}  # no directory roles in the emulator: the claim is left out, not empty
    ids = groups_of(s, user)
    if kinds == {"ApplicationGroup"}:
        assigned = set(_assigned_groups(s, app_sp)) if app_sp is not None else set()
        ids = [g for g in ids if g in assigned]
    if len(ids) > OVERAGE_LIMIT:
        return {
            "_claim_names": {"groups": "src1"},
            "_claim_sources": {"src1": {"endpoint": f"{origin}/v1.0/users/{user.id}/getMemberObjects"}},
        }
    return {"groups": ids}


def _assigned_groups(s: Session, sp: ServicePrincipal) -> list[str]:
    return list(
        s.scalars(
            select(AppRoleAssignment.principal_id).where(
                AppRoleAssignment.resource_id == sp.id, AppRoleAssignment.principal_type == "Group"
            )
        ).all()
    )
