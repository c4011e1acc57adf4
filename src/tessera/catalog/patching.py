"""JSON Patch (RFC 6902) on a stored entity, as OpenMetadata's client means it.

The client computes its patch against the entity as it read it (inherited owners, empty lists
present), so the patch is applied to that shape and the result is brought back to what is stored:
inherited owners and defaults the patch left alone are not written. Fields the server owns, and
what places the entity in the hierarchy, cannot change; a PATCH of ``name`` renames the kinds
that can be renamed.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jsonpatch

from tessera.catalog import documents, hierarchy, owners, shapes, validation
from tessera.catalog import fqn as fqns
from tessera.catalog.documents import Doc
from tessera.catalog.kinds import Kind, RefBy
from tessera.catalog.models import AuthorizeChange
from tessera.catalog.writer import Lookups, owner_reference
from tessera.errors import BadRequest, Conflict
from tessera.storage import repository as repo
from tessera.storage.repository import EntityRow
from tessera.storage.unit_of_work import UnitOfWork


def apply(
    unit: UnitOfWork,
    kind: Kind,
    row: EntityRow,
    operations: list[Any],
    expansions: frozenset[str],
    authorize: AuthorizeChange | None,
) -> tuple[EntityRow, Doc]:
    """The patched document, checked and ready to store, and the row to store it in (another
    name and FQN when the patch renamed the entity)."""
    # The patch applies to the entity as the client read it: inherited owners, empty lists.
    (served,) = owners.with_inherited(unit.conn, kind, [row.doc])
    base = shapes.patch_base(kind, served, skip=expansions)
    try:
        patched = jsonpatch.apply_patch(base, operations)
    except (
        jsonpatch.JsonPatchException,
        jsonpatch.JsonPointerException,
        TypeError,
        ValueError,
    ) as exc:
        raise BadRequest(f"Invalid JSON Patch: {exc}") from None
    if not isinstance(patched, dict):
        raise BadRequest(f"Invalid JSON Patch: the result must be a {kind.type} object")
    if authorize is not None:
        authorize(base, patched)
    patched = owners.strip_inherited(shapes.unshape(patched, row.doc, base))
    if not patched.get("owners") and not row.doc.get("owners"):
        # Still inheriting (or still without owners): stored as it was.
        patched.pop("owners", None)
        if "owners" in row.doc:
            patched["owners"] = row.doc["owners"]
    fixed = documents.SERVER_FIELDS | hierarchy.structural_fields(kind)
    for name in sorted(fixed if kind.renamable else fixed | {"name"}):
        if patched.get(name) != row.doc.get(name):
            raise BadRequest(f"{name} cannot be changed with PATCH")
    # A query has no `deleted` in OpenMetadata's schema; tessera keeps it for soft deletes.
    checked = patched if "deleted" in kind.entity_fields else _without(patched, "deleted")
    validation.validate(kind.entity_schema, checked, what=f"{kind.type} after the patch")
    if patched["name"] != row.doc["name"]:
        row = _renamed(unit, kind, row, patched)
    lookups = Lookups(unit)
    if patched.get("owners") != row.doc.get("owners") and patched.get("owners"):
        patched["owners"] = [owner_reference(lookups, owner) for owner in patched["owners"]]
    for ref in kind.refs:
        # References a patch changes (a glossary's reviewers, a user's teams) name live entities
        # and are stored whole, as a create stores them, not as the client sent them ({id, type}).
        # A create request may name them otherwise (by name, by id); a patch of the entity holds
        # EntityReferences. Derived fields (a team's users) are not stored at all.
        value = patched.get(ref.field)
        if ref.field not in expansions and value and value != row.doc.get(ref.field):
            patched[ref.field] = documents.resolved(
                dataclasses.replace(ref, by=RefBy.REFERENCE), value, lookups
            )
    return row, patched


def _renamed(unit: UnitOfWork, kind: Kind, row: EntityRow, patched: Doc) -> EntityRow:
    """The row of an entity a PATCH renames, under its new name and FQN (the write listeners
    move what lies below it and what refers to it by FQN)."""
    name = str(patched["name"])
    fqn = fqns.build(*fqns.split(row.fqn)[:-1], name)
    fqn_hash = fqns.digest(fqn)
    if repo.get_by_fqn_hash(unit.conn, kind.type, fqn_hash) is not None:
        raise Conflict(f"Entity already exists: {kind.type} {fqn}")
    patched["fullyQualifiedName"] = fqn
    return dataclasses.replace(row, name=name, fqn=fqn, fqn_hash=fqn_hash)


def _without(doc: Doc, field: str) -> Doc:
    return {key: value for key, value in doc.items() if key != field}
