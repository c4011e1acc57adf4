"""Containment: which entities a scope (a service, a database, a schema) holds, and what lies
below an entity. Kinds declare their parent (``Kind.parent``); everything here follows from that.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.engine import Connection

from tessera.catalog import fqn as fqns
from tessera.catalog.kinds import Kind, by_type
from tessera.catalog.models import ParentScope
from tessera.errors import BadRequest
from tessera.storage import repository as repo

# The narrowest scope first: when a list names several, it decides.
_NARROWEST_FIRST: tuple[ParentScope, ...] = ("databaseSchema", "database", "service")


def parent_ids_in_scope(conn: Connection, kind: Kind, filters: Mapping[ParentScope, str]) -> list[str] | None:
    """The ids of the direct parents of ``kind`` inside the scope the filters name (None: no
    filter; ``[]``: the scope does not exist)."""
    given = {key: value for key, value in filters.items() if value}
    if not given:
        return None
    # The others only have to be consistent with the narrowest one.
    scope_field = next((key for key in _NARROWEST_FIRST if key in given), None)
    if scope_field is None:
        raise BadRequest(f"Unknown filter {next(iter(given))!r}")
    scope_type = service_type(kind) if scope_field == "service" else scope_field
    scope_kind = by_type(scope_type)
    chain = containment_chain(kind, scope_kind)
    scope = repo.get_by_fqn_hash(conn, scope_kind.type, fqns.digest(given[scope_field]))
    if scope is None:
        return []
    parent_ids = [scope.id]
    for step in chain:
        parent_ids = repo.child_ids(conn, step, parent_ids)
    return parent_ids


def containment_chain(kind: Kind, scope: Kind) -> list[str]:
    """Entity types between ``scope`` (exclusive) and ``kind``'s parent (inclusive), top down."""
    chain: list[str] = []
    current = kind
    while current.parent is not None and current.parent.target != scope.type:
        chain.append(current.parent.target)
        current = by_type(current.parent.target)
    if current.parent is None:
        raise BadRequest(f"{kind.type} entities are not contained in a {scope.type}")
    return list(reversed(chain))


def service_type(kind: Kind) -> str:
    current = kind
    while current.parent is not None:
        current = by_type(current.parent.target)
    if current.type == kind.type:
        raise BadRequest(f"{kind.type} entities do not belong to a service")
    return current.type


def structural_fields(kind: Kind) -> set[str]:
    """Fields that place an entity in the hierarchy: a PATCH may not change them."""
    fields = set(kind.inherit)
    if kind.parent is not None:
        fields.add(kind.parent.field)
    return fields
