"""Security groups (Graph's ``group``) and their members: users and other groups, so membership
is transitive, as the ``groups`` claim and ``transitiveMemberOf`` count it.

Members are kept as a JSON list of object ids on the group; a tenant has few enough groups that
each question loads them all and walks them in memory.
"""

from __future__ import annotations

from collections import deque

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tessera.entra.directory import DirectoryError, new_id, not_found
from tessera.entra.models import Group, Tenant, User


def create_group(
    s: Session,
    tenant: Tenant,
    *,
    display_name: str,
    group_id: str | None = None,
    description: str | None = None,
) -> Group:
    if not display_name.strip():
        raise DirectoryError("a group needs a displayName.")
    group = Group(
        id=(group_id or new_id()).lower(),
        tenant_id=tenant.id,
        display_name=display_name,
        description=description,
        members=[],
    )
    s.add(group)
    s.flush()
    return group


def find_group(s: Session, tenant: Tenant, ref: str) -> Group | None:
    """By object id or display name."""
    return s.scalars(
        select(Group).where(
            Group.tenant_id == tenant.id, or_(Group.id == ref.lower(), Group.display_name == ref)
        )
    ).first()


def get_group(s: Session, tenant: Tenant, ref: str) -> Group:
    group = find_group(s, tenant, ref)
    if group is None:
        raise not_found("group", ref)
    return group


def list_groups(s: Session, tenant_id: str) -> list[Group]:
    return list(
        s.scalars(select(Group).where(Group.tenant_id == tenant_id).order_by(Group.display_name)).all()
    )


def add_group_member(s: Session, group: Group, member_id: str) -> None:
    """Add a user or a group (by object id). A group may not contain itself, even indirectly."""
    if member_id in group.members:
        return
    if member_id == group.id or member_id in _ancestors(s, group):
        raise DirectoryError(f"group '{group.display_name}' cannot contain itself, directly or not.")
    group.members = [*group.members, member_id]


def _ancestors(s: Session, group: Group) -> set[str]:
    return set(transitive_groups_of(s, group.id, group.tenant_id))


def remove_group_member(group: Group, member_id: str) -> None:
    group.members = [m for m in group.members if m != member_id]


def direct_groups_of(s: Session, member_id: str, tenant_id: str) -> list[Group]:
    return [g for g in list_groups(s, tenant_id) if member_id in g.members]


def transitive_groups_of(
    s: Session, member_id: str, tenant_id: str, *, include_self: bool = False
) -> list[str]:
    """Ids of every group ``member_id`` (a user or a group) belongs to, directly or through other
    groups, nearest first."""
    parents: dict[str, list[str]] = {}
    for g in list_groups(s, tenant_id):
        for m in g.members:
            parents.setdefault(m, []).append(g.id)
    seen: list[str] = [member_id] if include_self else []
    queue = deque([member_id])
    while queue:
        for parent in parents.get(queue.popleft(), []):
            if parent not in seen and parent != member_id:
                seen.append(parent)
                queue.append(parent)
    return seen


def groups_of(s: Session, user: User) -> list[str]:
    """The user's groups, transitively: what the ``groups`` claim lists."""
    return transitive_groups_of(s, user.id, user.tenant_id)
