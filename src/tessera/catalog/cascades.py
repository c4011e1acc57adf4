"""Writes that reach down the hierarchy: deleting an entity with what it contains, restoring
it, and deleting what an ingestion run no longer saw in a scope.

Each takes its rows the way the unit of work orders them: the entity the request names first,
then what lies below it one level at a time (:meth:`UnitOfWork.lock_descendants`), so that a
delete of a database and a bulk write of its tables may wait for each other but never deadlock.
"""

from __future__ import annotations

from tessera.catalog import fqn as fqns
from tessera.catalog import hierarchy
from tessera.catalog.documents import Doc
from tessera.catalog.kinds import CHILDREN, Kind, by_type
from tessera.catalog.models import Actor, AuthorizeWrite, BulkResult
from tessera.catalog.writer import Writer
from tessera.errors import BadRequest, NotFound
from tessera.storage import repository as repo
from tessera.storage.unit_of_work import UnitOfWork


def delete(
    writer: Writer,
    unit: UnitOfWork,
    kind: Kind,
    entity_id: str,
    actor: Actor,
    *,
    recursive: bool,
    hard: bool,
    authorize: AuthorizeWrite | None,
) -> Doc:
    row = unit.lock_id(kind.type, entity_id)
    if row is None or (row.deleted and not hard):
        raise NotFound(f"{kind.type} instance for {entity_id} not found")
    if authorize is not None:
        authorize(row.doc)
    descendants = unit.lock_descendants([row], _child_types)
    live = [d for d in descendants if not d.deleted]
    if (live if not hard else descendants) and not recursive:
        raise BadRequest(
            f"{kind.type} {row.fqn} is not empty: it contains {len(live or descendants)} entities; "
            "pass recursive=true to delete them as well"
        )
    if hard:
        unit.delete([d.id for d in descendants] + [row.id])
        for target in [*descendants, row]:
            writer.notify_removed(unit, by_type(target.entity_type), [target.doc], actor)
        return row.doc
    result = row
    for target in [*live, row]:
        saved = writer.save(unit, by_type(target.entity_type), target, dict(target.doc, deleted=True), actor)
        if target.id == row.id:
            result = saved
    return result.doc


def restore(writer: Writer, unit: UnitOfWork, kind: Kind, entity_id: str, actor: Actor) -> Doc:
    row = unit.lock_id(kind.type, entity_id)
    if row is None:
        raise NotFound(f"{kind.type} instance for {entity_id} not found")
    if not row.deleted:
        raise BadRequest(f"{kind.type} {row.fqn} is not deleted; there is nothing to restore")
    if row.parent_id is not None:
        parent = repo.get_by_id(unit.conn, row.parent_id)
        if parent is not None and parent.deleted:
            raise BadRequest(
                f"Cannot restore {kind.type} {row.fqn}: its parent {parent.entity_type} {parent.fqn} "
                "is deleted; restore the parent first"
            )
    restored = writer.save(unit, kind, row, dict(row.doc, deleted=False), actor)
    for child in unit.lock_descendants([row], _child_types):
        if child.deleted:
            writer.save(unit, by_type(child.entity_type), child, dict(child.doc, deleted=False), actor)
    return restored.doc


def delete_stale(
    writer: Writer,
    unit: UnitOfWork,
    kind: Kind,
    scope_kind: Kind,
    scope_fqn: str,
    seen: set[str],
    actor: Actor,
    *,
    recursive: bool,
) -> BulkResult:
    """Soft-delete the live entities of ``kind`` inside the scope whose FQN is not in ``seen``."""
    scope = repo.get_by_fqn_hash(unit.conn, scope_kind.type, fqns.digest(scope_fqn))
    if scope is None or scope.deleted:
        raise NotFound(f"{scope_kind.type} instance for {scope_fqn} not found")
    parent_ids = [scope.id]
    for step in hierarchy.containment_chain(kind, scope_kind):
        parent_ids = repo.child_ids(unit.conn, step, parent_ids)
    candidates = [
        row.fqn_hash
        for row in repo.ids_of_type(unit.conn, kind.type, parent_ids, deleted=False)
        if row.fqn not in seen
    ]
    # Judged again once locked: a concurrent run may have written them since the plain read.
    in_scope = set(parent_ids)
    stale = [
        row
        for row in unit.lock_keys(kind.type, candidates)
        if not row.deleted and row.fqn not in seen and row.parent_id in in_scope
    ]
    below = unit.lock_descendants(stale, _child_types) if recursive else []
    for target in [*(d for d in below if not d.deleted), *stale]:
        writer.save(unit, by_type(target.entity_type), target, dict(target.doc, deleted=True), actor)
    result = BulkResult(processed=len(stale), passed=len(stale))
    result.success = [{"request": row.fqn, "message": "deleted", "status": 200} for row in stale]
    return result


def _child_types(entity_type: str) -> list[str]:
    return [child.type for child in CHILDREN[entity_type]]
