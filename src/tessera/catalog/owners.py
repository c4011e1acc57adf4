"""Owners inherited down the containment hierarchy: service -> database -> schema -> table.

OpenMetadata's ``setInheritedFields`` (DatabaseRepository, DatabaseSchemaRepository,
TableRepository, StoredProcedureRepository) gives an entity that has no owners of its own the
owners of its nearest container that has, each reference marked ``inherited: true``. It is a
read-time rule: nothing is copied, so changing a schema's owners changes what every table in it
reports at once, and a table that gets owners of its own stops inheriting.

Computed here for a batch of documents at a time: an entity's document references all its
containers (a table carries its schema, database and service), so one query reads the containers
of a whole page, whatever its size. The authorizer sees the same owners: ``isOwner()`` counts an
inherited owner, as in OpenMetadata.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Connection

from tessera.catalog.kinds import Kind, by_type
from tessera.catalog.models import AuthorizeWrite
from tessera.storage import repository as repo

Doc = dict[str, Any]


def ancestor_fields(kind: Kind) -> tuple[str, ...]:
    """The reference fields naming ``kind``'s containers, nearest first."""
    out: list[str] = []
    current = kind
    while current.parent is not None:
        out.append(current.parent.field)
        current = by_type(current.parent.target)
    return tuple(out)


def _own(doc: Mapping[str, Any]) -> list[Doc]:
    return [owner for owner in doc.get("owners") or [] if not owner.get("inherited")]


def with_inherited(
    conn: Connection, kind: Kind, docs: Sequence[Doc], containers: dict[str, Doc | None] | None = None
) -> list[Doc]:
    """``docs`` (not changed) with inherited owners where they have none of their own.

    ``containers`` (id -> document, None when there is none) keeps the containers read so far,
    for a caller that asks again on the same connection within one transaction (a bulk write
    decides on every row of one schema): they are read once, not once per row.
    """
    if not kind.inherits_owners:
        return list(docs)
    fields = ancestor_fields(kind)
    orphans = [doc for doc in docs if not _own(doc)]
    wanted = {
        str(ref["id"])
        for doc in orphans
        for field in fields
        if isinstance(ref := doc.get(field), Mapping) and ref.get("id")
    }
    if not wanted:
        return list(docs)
    known = containers if containers is not None else {}
    missing = sorted(wanted - known.keys())
    if missing:
        found = repo.docs_by_id(conn, missing)
        known.update({entity_id: found.get(entity_id) for entity_id in missing})
    out: list[Doc] = []
    for doc in docs:
        inherited = None if _own(doc) else _nearest_owners(doc, fields, known)
        out.append(doc if inherited is None else {**doc, "owners": inherited})
    return out


def _nearest_owners(
    doc: Mapping[str, Any], fields: Sequence[str], containers: Mapping[str, Doc | None]
) -> list[Doc] | None:
    for field in fields:
        ref = doc.get(field)
        container = containers.get(str(ref.get("id"))) if isinstance(ref, Mapping) else None
        if container is not None and _own(container):
            return [{**owner, "inherited": True} for owner in _own(container)]
    return None


def found_with_inherited(
    conn: Connection, found: Mapping[str, tuple[str, Doc]]
) -> dict[str, tuple[str, Doc]]:
    """Search hits (id -> (type, document)) with inherited owners: one read per kind on the page."""
    grouped: dict[str, list[str]] = {}
    for entity_id, (entity_type, _doc) in found.items():
        grouped.setdefault(entity_type, []).append(entity_id)
    out = dict(found)
    for entity_type, ids in grouped.items():
        kind = by_type(entity_type)
        for entity_id, doc in zip(ids, with_inherited(conn, kind, [found[i][1] for i in ids]), strict=True):
            out[entity_id] = (entity_type, doc)
    return out


def seeing(conn: Connection, kind: Kind, authorize: AuthorizeWrite | None) -> AuthorizeWrite | None:
    """``authorize`` deciding on the entity with its inherited owners: isOwner() counts them."""
    if authorize is None or not kind.inherits_owners:
        return authorize
    decide = authorize
    # The containers do not change during the write (it writes entities of ``kind`` only).
    containers: dict[str, Doc | None] = {}

    def decide_seeing(existing: Doc | None) -> None:
        decide(None if existing is None else with_inherited(conn, kind, [existing], containers)[0])

    return decide_seeing


def strip_inherited(doc: Doc) -> Doc:
    """The document to store: owners marked inherited are the container's, never the entity's.

    A client patches the entity it read, inherited owners included; replacing them gives the
    entity owners of its own, leaving them as they were keeps it inheriting.
    """
    owners = doc.get("owners")
    if not owners:
        return doc
    own = [owner for owner in owners if not owner.get("inherited")]
    if len(own) == len(owners):
        return doc
    out = dict(doc)
    if own:
        out["owners"] = own
    else:
        out.pop("owners", None)
    return out
