"""How one entity is written inside a unit of work: created or merged (PUT), saved with a new
version and change description, indexed for search, and announced to the write listeners.

The catalog service decides which entities a request writes and in which transaction; this
module writes each of them the same way whichever request it came from.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from tessera.catalog import changes, documents
from tessera.catalog import fqn as fqns
from tessera.catalog.documents import Doc
from tessera.catalog.ids import new_entity_id
from tessera.catalog.kinds import Kind
from tessera.catalog.models import Actor, AuthorizeWrite, DocumentHook, Upserted, WriteListener
from tessera.catalog.search_documents import search_document
from tessera.errors import BadRequest, Conflict, NotFound, TesseraError
from tessera.storage import search as search_store
from tessera.storage.repository import EntityRow
from tessera.storage.unit_of_work import Key, UnitOfWork


@dataclass
class _Plan:
    """A create or PUT request resolved to the entity it writes."""

    request: Mapping[str, Any]
    parent: Doc | None
    built: Doc
    key: Key


class Lookups:
    """References resolved over the open unit of work (``documents.Resolver``)."""

    def __init__(self, unit: UnitOfWork) -> None:
        self._unit = unit

    def by_fqn(self, entity_type: str, fqn: str) -> Doc | None:
        return self._unit.live_by_key(entity_type, fqns.digest(fqn))

    def by_id(self, entity_type: str, entity_id: str) -> Doc | None:
        return self._unit.live_by_id(entity_type, entity_id)


class Writer:
    def __init__(
        self,
        hooks: Sequence[DocumentHook],
        listeners: Sequence[WriteListener],
        clock: Callable[[], float],
    ) -> None:
        # The service's own lists: hooks and listeners added later take part too.
        self._hooks = hooks
        self._listeners = listeners
        self._clock = clock

    def upsert_many(
        self,
        unit: UnitOfWork,
        kind: Kind,
        requests: Sequence[Mapping[str, Any]],
        actor: Actor,
        *,
        mode: Literal["create", "put"],
        override: bool = False,
        authorize: AuthorizeWrite | None = None,
    ) -> list[Upserted | TesseraError]:
        """Create or update (PUT) the entity each request describes, with an outcome per
        request (a request that fails, fails alone).

        First every request is resolved to its entity's key (parent lookups lock nothing);
        then all the keys are taken at once, in key order (:meth:`UnitOfWork.claim`), creating
        the entities that do not exist; then each request is applied in the order sent.
        """
        lookups = Lookups(unit)
        plans: list[_Plan | TesseraError] = []
        for request in requests:
            try:
                parent = documents.resolve_parent(kind, request, lookups)
                built = documents.build(kind, request, parent, lookups)
            except TesseraError as exc:
                plans.append(exc)
                continue
            fqn = built["fullyQualifiedName"]
            key = Key(kind.type, fqns.digest(fqn), str(request["name"]), fqn)
            plans.append(_Plan(request, parent, built, key))
        first: dict[str, _Plan] = {}
        for plan in plans:
            if isinstance(plan, _Plan):
                first.setdefault(plan.key.fqn_hash, plan)
        refused: dict[str, TesseraError] = {}

        def offer(key: Key) -> tuple[EntityRow, dict[str, Any] | None] | None:
            try:
                return self._new_entity(kind, first[key.fqn_hash], actor, authorize)
            except TesseraError as exc:
                refused[key.fqn_hash] = exc
                return None

        current = unit.claim((plan.key for plan in first.values()), offer)
        # Keys whose entity the claim created, until the request that created it is applied.
        fresh = {h for h, row in current.items() if row is not None and unit.created(row.id)}
        outcomes: list[Upserted | TesseraError] = []
        for plan in plans:
            if isinstance(plan, TesseraError):
                outcomes.append(plan)
                continue
            try:
                outcome = self._apply(
                    unit,
                    kind,
                    plan,
                    current,
                    fresh,
                    refused,
                    actor,
                    mode=mode,
                    override=override,
                    authorize=authorize,
                )
            except TesseraError as exc:
                outcomes.append(exc)
                continue
            outcomes.append(outcome)
        return outcomes

    def _apply(
        self,
        unit: UnitOfWork,
        kind: Kind,
        plan: _Plan,
        current: dict[str, EntityRow | None],
        fresh: set[str],
        refused: Mapping[str, TesseraError],
        actor: Actor,
        *,
        mode: Literal["create", "put"],
        override: bool,
        authorize: AuthorizeWrite | None,
    ) -> Upserted:
        fqn_hash = plan.key.fqn_hash
        existing = current.get(fqn_hash)
        if existing is not None and fqn_hash in fresh:
            # Created by the claim from this request (the first to name it).
            fresh.discard(fqn_hash)
            self.notify(unit, kind, existing.doc, None)
            return Upserted(existing.doc, "created")
        if existing is None:
            if fqn_hash in refused:
                raise refused[fqn_hash]
            # Deleted for good since the claim looked, and the key is still ours: create it.
            row, search = self._new_entity(kind, plan, actor, authorize)
            unit.create(row, search)
            current[fqn_hash] = row
            self.notify(unit, kind, row.doc, None)
            return Upserted(row.doc, "created")
        if mode == "create":
            raise Conflict(f"Entity already exists: {kind.type} {existing.fqn}")
        if authorize is not None:
            authorize(existing.doc)
        source_hash = plan.request.get("sourceHash")
        if source_hash is not None and source_hash == existing.source_hash and not existing.deleted:
            return Upserted(existing.doc, "unchanged")
        merged = documents.merge_for_put(
            kind, existing.doc, plan.built, keep_descriptions=actor.is_bot and not override
        )
        merged["id"] = existing.id
        merged["deleted"] = False
        self.before_store(kind, merged, existing.doc, plan.request)
        saved = self.save(unit, kind, existing, merged, actor, source_hash=source_hash)
        current[fqn_hash] = saved
        unit.remember(saved)
        return Upserted(saved.doc, "updated" if saved.version != existing.version else "unchanged")

    def _new_entity(
        self, kind: Kind, plan: _Plan, actor: Actor, authorize: AuthorizeWrite | None
    ) -> tuple[EntityRow, dict[str, Any] | None]:
        """The entity a request creates (with its search document), not yet stored."""
        if authorize is not None:
            authorize(None)
        doc = {"id": new_entity_id(), **plan.built}
        self.before_store(kind, doc, None, plan.request)
        row = self.new_row(
            kind,
            doc,
            actor,
            fqn_hash=plan.key.fqn_hash,
            parent_id=plan.parent["id"] if plan.parent is not None else None,
            source_hash=plan.request.get("sourceHash"),
        )
        return row, search_document(kind, row.id, row.name, row.deleted, row.doc)

    def new_row(
        self,
        kind: Kind,
        doc: Doc,
        actor: Actor,
        *,
        fqn_hash: str,
        parent_id: str | None,
        source_hash: str | None,
    ) -> EntityRow:
        """The first version of a new entity, stamped and keyed, not yet stored."""
        row = EntityRow(
            id=doc["id"],
            entity_type=kind.type,
            name=doc["name"],
            fqn=doc["fullyQualifiedName"],
            fqn_hash=fqn_hash,
            parent_id=parent_id,
            deleted=False,
            version=1,
            updated_at=self.now_ms(),
            source_hash=source_hash,
            doc=doc,
        )
        row.alt_key, row.subtype = documents.index_keys(kind, doc)
        self._stamp(row, actor, change=None)
        return row

    def save(
        self,
        unit: UnitOfWork,
        kind: Kind,
        row: EntityRow,
        new_doc: Doc,
        actor: Actor,
        *,
        source_hash: str | None = None,
    ) -> EntityRow:
        """Write ``new_doc`` over the stored (locked) ``row``: a new version when the content
        changed, nothing (but a new source hash) when it did not."""
        change = changes.describe(row.doc, new_doc, row.version)
        if change is None:
            if source_hash is not None and source_hash != row.source_hash:
                # Same content, new request fingerprint: remember it without a new version.
                row.source_hash = source_hash
                row.doc["sourceHash"] = source_hash
                unit.update(row, was_deleted=row.deleted)
            return row
        updated = EntityRow(
            id=row.id,
            entity_type=row.entity_type,
            name=row.name,
            fqn=row.fqn,
            fqn_hash=row.fqn_hash,
            parent_id=row.parent_id,
            deleted=bool(new_doc.get("deleted", False)),
            version=row.version + 1,
            updated_at=max(self.now_ms(), row.updated_at + 1),
            source_hash=source_hash if source_hash is not None else row.source_hash,
            doc=new_doc,
        )
        updated.alt_key, updated.subtype = documents.index_keys(kind, new_doc)
        self._stamp(updated, actor, change=change)
        unit.supersede(row)
        unit.update(updated, was_deleted=row.deleted)
        self.index(unit, kind, updated)
        self.notify(unit, kind, updated.doc, row.doc)
        return updated

    def before_store(
        self, kind: Kind, doc: Doc, existing: Doc | None, request: Mapping[str, Any] | None
    ) -> None:
        for hook in self._hooks:
            hook.before_store(kind, doc, existing, request)

    def notify(self, unit: UnitOfWork, kind: Kind, doc: Doc, previous: Doc | None) -> None:
        for listener in self._listeners:
            listener.written(unit.conn, kind, doc, previous)

    def notify_removed(self, unit: UnitOfWork, kind: Kind, docs: Sequence[Doc], actor: Actor) -> None:
        for listener in self._listeners:
            listener.removed(unit.conn, kind, docs, actor.name)

    def index(self, unit: UnitOfWork, kind: Kind, row: EntityRow) -> None:
        values = search_document(kind, row.id, row.name, row.deleted, row.doc)
        if values is not None:
            search_store.put(unit.conn, **values)

    def now_ms(self) -> int:
        return int(self._clock() * 1000)

    def _stamp(self, row: EntityRow, actor: Actor, *, change: dict[str, Any] | None) -> None:
        row.doc["version"] = changes.to_float(row.version)
        row.doc["updatedAt"] = row.updated_at
        row.doc["updatedBy"] = actor.name
        row.doc["deleted"] = row.deleted
        if change is not None:
            row.doc["changeDescription"] = change
        else:
            row.doc.pop("changeDescription", None)


def owner_reference(lookups: Lookups, owner: Mapping[str, Any]) -> Doc:
    """An owner set by a PATCH, resolved to a reference to the live user or team."""
    owner_type = str(owner.get("type", ""))
    if owner_type not in ("user", "team"):
        raise BadRequest(f"owners: an owner must be a user or a team, not {owner_type!r}")
    found = lookups.by_id(owner_type, str(owner.get("id")))
    if found is None:
        raise NotFound(f"owners: {owner_type} {owner.get('id')} not found")
    return documents.reference(found, owner_type)
