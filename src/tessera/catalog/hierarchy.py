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
from tessera.storage.unit_of_work import is_uuid

# The narrowest scope first: when a list names several, it decides.
_NARROWEST_FIRST: tuple[ParentScope, ...] = ("databaseSchema", "database", "service")


def parent_ids_in_scope(conn: Connection, kind: Kind, filters: Mapping[ParentScope, str]) -> list[str] | None:
    """The ids of the direct parents of ``kind`` inside the scope the filters name (None: no
    filter; ``[]``: the scope does not exist)."""
    given = {key: value for key, value in filters.items() if value}
    if not given:
        return None
    if kind.nested is not None:
        return nested_scope(conn, kind, given)
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


def nested_scope(conn: Connection, kind: Kind, given: Mapping[ParentScope, str]) -> list[str]:
    """The containers of ``kind`` (tags, glossary terms) inside the scope named: as OpenMetadata
    lists them, ``parent=`` (or ``glossary=``) is everything below that classification, glossary
    or term at any depth, ``directChildrenOf=`` only its own children. A scope is named by FQN
    or by id."""
    unknown = sorted(set(given) - {"parent", "glossary", "directChildrenOf"})
    if unknown:
        raise BadRequest(f"Unknown filter {unknown[0]!r} for {kind.type}")
    assert kind.parent is not None
    direct = "directChildrenOf" in given
    named = given.get("directChildrenOf") or given.get("parent") or given.get("glossary") or ""
    scope = None
    for container_type in (kind.parent.target, kind.type):
        if is_uuid(named):
            scope = repo.get_by_id(conn, named, entity_type=container_type)
        else:
            try:
                scope = repo.get_by_fqn_hash(conn, container_type, fqns.digest(_container_fqn(named)))
            except BadRequest:
                return []
        if scope is not None:
            break
    if scope is None:
        return []
    containers = [scope.id]
    level = [scope.id]
    while level and not direct:
        # One query per level of the tree below the scope, not one per container.
        level = repo.child_ids(conn, kind.type, level)
        containers += level
    return containers


def _container_fqn(named: str) -> str:
    # A top-level container may be named bare ("a.b" for the glossary "\"a.b\""), as the
    # lookups by name accept it.
    parts = fqns.split(named)
    return fqns.build(*parts) if len(parts) > 1 or '"' in named else fqns.quote(named)


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
    fields.update(ref.field for ref in kind.structural_refs)
    return fields
