"""The catalog: create, update, read, page, patch, delete and restore entities of every kind.

Services speak in documents and :mod:`tessera.errors`; they know nothing of HTTP. Each write
runs in one unit of work (:mod:`tessera.storage.unit_of_work`) that locks the rows it changes,
so several tessera processes sharing a database can PUT the same entity at once and still end
with one entity and a gapless run of versions.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, TypeVar

from sqlalchemy.engine import Connection, Engine

from tessera import contract
from tessera.catalog import cascades, changes, documents, hierarchy, owners, patching, validation
from tessera.catalog import fqn as fqns
from tessera.catalog.documents import Doc
from tessera.catalog.ids import new_entity_id
from tessera.catalog.kinds import Kind, by_type
from tessera.catalog.models import (
    Actor,
    AuthorizeChange,
    AuthorizeWrite,
    BulkResult,
    DocumentHook,
    ExpectedVersions,
    Found,
    Include,
    Outcome,
    ParentScope,
    Upserted,
    WriteListener,
)
from tessera.catalog.relations import OwnershipIndex, Relations
from tessera.catalog.search_documents import search_document
from tessera.catalog.writer import Writer
from tessera.errors import BadRequest, NotFound, PreconditionFailed, TesseraError
from tessera.storage import records, search_engine, unit_of_work
from tessera.storage import repository as repo
from tessera.storage import search as search_store
from tessera.storage.db import read_once
from tessera.storage.repository import EntityRow, Page
from tessera.storage.search_engine import Hit, Result
from tessera.storage.search_query import Search
from tessera.storage.unit_of_work import Key, UnitOfWork, WritePolicy, is_uuid

# What other domains import from here, besides the service itself.
__all__ = [
    "Actor",
    "AuthorizeChange",
    "AuthorizeWrite",
    "BulkResult",
    "CatalogService",
    "DocumentHook",
    "Found",
    "Include",
    "Outcome",
    "Upserted",
    "WriteListener",
]

T = TypeVar("T")


class CatalogService:
    def __init__(
        self,
        engine: Engine,
        *,
        clock: Callable[[], float] = time.time,
        hooks: Sequence[DocumentHook] = (),
        write_policy: WritePolicy = WritePolicy(),
    ) -> None:
        self.engine = engine
        self._write_policy = write_policy
        self._hooks = list(hooks)
        self._listeners: list[WriteListener] = []
        self._writer = Writer(self._hooks, self._listeners, clock)
        self.relations = Relations(engine, clock=clock)
        self._listeners.append(OwnershipIndex(clock))

    def add_hook(self, hook: DocumentHook) -> None:
        self._hooks.append(hook)

    def add_listener(self, listener: WriteListener) -> None:
        self._listeners.append(listener)

    # -- reads --------------------------------------------------------------------------------

    def get(self, kind: Kind, entity_id: str, include: Include = "non-deleted") -> Doc:
        """The entity as it is served: with the owners it inherits (catalog.owners)."""
        if not is_uuid(entity_id):
            raise NotFound(f"{kind.type} instance for {entity_id} not found")
        # One connection for the entity and its containers: checking one out and back in cost
        # as much as the read.
        with read_once(self.engine) as conn:
            row = repo.get_by_id(conn, entity_id, entity_type=kind.type)
            if row is None or not _included(row, include):
                raise NotFound(f"{kind.type} instance for {entity_id} not found")
            return owners.with_inherited(conn, kind, [row.doc])[0]

    def get_row(self, kind: Kind, entity_id: str, include: Include = "non-deleted") -> EntityRow:
        return self._get_row(kind, entity_id, include)

    def get_by_name(self, kind: Kind, fqn: str, include: Include = "non-deleted") -> Doc:
        with read_once(self.engine) as conn:
            row = repo.get_by_fqn_hash(conn, kind.type, fqns.digest(fqn))
            if row is None and kind.parent is None and '"' not in fqn:
                # A top-level entity's FQN is its quoted name; OpenMetadata looks users, teams,
                # roles and services up by the bare name too ("first.last" finds "\"first.last\"").
                quoted = fqns.quote(fqn)
                if quoted != fqn:
                    row = repo.get_by_fqn_hash(conn, kind.type, fqns.digest(quoted))
            if row is None or not _included(row, include):
                raise NotFound(f"{kind.type} instance for {fqn} not found")
            return owners.with_inherited(conn, kind, [row.doc])[0]

    def get_many_by_name(self, kind: Kind, names: Sequence[str]) -> dict[str, Doc]:
        """The entities of ``kind`` with these FQNs, deleted ones included, by FQN: one query."""
        if not names:
            return {}
        with read_once(self.engine) as conn:
            rows = repo.get_many_by_fqn_hash(conn, kind.type, [fqns.digest(name) for name in names])
        return {row.fqn: row.doc for row in rows}

    def find_by_field(self, kind: Kind, field: str, value: str, *, deleted: bool | None = False) -> list[Doc]:
        """Exact lookups search offers: by name, by FQN (``*`` wildcards allowed), users by email."""
        with self.engine.connect() as conn:
            if field == "name":
                rows = repo.find_by_name(conn, kind.type, value, deleted=deleted)
            elif field == "fullyQualifiedName":
                rows = repo.find_by_fqn_pattern(conn, kind.type, value, deleted=deleted, limit=1000)
            elif field == "email" and kind.type in ("user", "team"):
                rows = [
                    r
                    for r in repo.get_by_alt_key(conn, kind.type, value.lower())
                    if deleted is None or r.deleted == deleted
                ]
            else:
                raise BadRequest(f"Searching {kind.type} by {field!r} is not supported")
        return [row.doc for row in rows]

    def referencing(self, kind: Kind, target_id: str) -> list[Doc]:
        with self.engine.connect() as conn:
            return [row.doc for row in repo.referencing(conn, kind.type, target_id)]

    def children_of(self, kind: Kind, parent_ids: Sequence[str]) -> dict[str, list[Doc]]:
        """Live children of ``kind`` by parent id, in name order: one query for many parents."""
        with self.engine.connect() as conn:
            rows = repo.ids_of_type(conn, kind.type, list(parent_ids), deleted=False)
        grouped: dict[str, list[Doc]] = {parent: [] for parent in parent_ids}
        for row in sorted(rows, key=lambda r: (r.name, r.id)):
            if row.parent_id is not None:
                grouped.setdefault(row.parent_id, []).append(row.doc)
        return grouped

    def expansions(self, kind: Kind) -> frozenset[str]:
        """Fields of ``kind`` computed from other entities, served when asked for by name."""
        return frozenset(expansion.field for expansion in kind.expansions)

    def expand(self, kind: Kind, doc: Doc, fields: frozenset[str]) -> Doc:
        out = dict(doc)
        for expansion in kind.expansions:
            if expansion.field not in fields:
                continue
            related_kind = by_type(expansion.related)
            if expansion.how == "children":
                docs = self.children_of(related_kind, [doc["id"]])[doc["id"]]
            else:
                docs = self.referencing(related_kind, doc["id"])
            out[expansion.field] = [documents.reference(found, expansion.related) for found in docs]
        return out

    def find_by_alt_key(self, kind: Kind, key: str) -> list[Doc]:
        """Live entities found by their second key (users: lower-cased email)."""
        with self.engine.connect() as conn:
            return [row.doc for row in repo.get_by_alt_key(conn, kind.type, key) if not row.deleted]

    def find_by_name(self, kind: Kind, fqn: str) -> Doc | None:
        try:
            return self.get_by_name(kind, fqn)
        except NotFound:
            return None

    def page(
        self,
        kind: Kind,
        *,
        filters: Mapping[ParentScope, str] | None = None,
        include: Include = "non-deleted",
        limit: int = 10,
        after: str | None = None,
        before: str | None = None,
        subtype: str | None = None,
    ) -> Page:
        """One page of ``kind`` in name order, inside the parent scope ``filters`` name;
        ``subtype`` narrows it (users: ``"bot"``)."""
        if after is not None and before is not None:
            raise BadRequest("Only one of after and before may be given")
        with self.engine.connect() as conn:
            parent_ids = hierarchy.parent_ids_in_scope(conn, kind, filters or {})
            page = repo.list_page(
                conn,
                kind.type,
                parent_ids=parent_ids,
                include=include,
                limit=limit,
                after=after,
                before=before,
                subtype=subtype,
            )
            # One read of the page's containers for all its rows, not one per row.
            for row, doc in zip(
                page.rows, owners.with_inherited(conn, kind, [r.doc for r in page.rows]), strict=True
            ):
                row.doc = doc
        return page

    def versions(self, kind: Kind, entity_id: str) -> list[Doc]:
        # One connection for the entity and its past versions: a write between the two reads
        # would otherwise leave a version out.
        with self.engine.connect() as conn:
            return repo.versions(conn, _row_on(conn, kind, entity_id, "all"))

    def version(self, kind: Kind, entity_id: str, version: str) -> Doc:
        try:
            tenths = changes.to_tenths(version)
        except ValueError:
            raise BadRequest(f"Invalid version {version!r}; expected a number such as 0.1 or 1.2") from None
        with self.engine.connect() as conn:
            doc = repo.version(conn, _row_on(conn, kind, entity_id, "all"), tenths)
        if doc is None:
            raise NotFound(f"{kind.type} instance for {entity_id} and version {version} not found")
        return doc

    def get_record(self, entity_id: str, record_kind: str, key: str) -> Doc | None:
        with read_once(self.engine) as conn:
            return records.get_record(conn, entity_id, record_kind, key)

    def list_records(
        self,
        entity_id: str,
        record_kind: str,
        *,
        start: int | None = None,
        end: int | None = None,
        limit: int = 100,
    ) -> list[Doc]:
        with self.engine.connect() as conn:
            return records.list_records(conn, entity_id, record_kind, start=start, end=end, limit=limit)

    def search(self, search: Search) -> tuple[Result, list[tuple[Hit, Found]]]:
        """One page of what ``search`` matches, with each hit's stored document
        (``entity_types=()`` matches nothing)."""
        if search.entity_types is not None and not search.entity_types:
            return Result(total=0, exact=True, hits=[]), []
        with self.engine.connect() as conn:
            result = search_engine.run(conn, search)
            docs = owners.found_with_inherited(
                conn, search_store.documents(conn, [hit.entity_id for hit in result.hits])
            )
        return result, [(hit, Found(*docs[hit.entity_id])) for hit in result.hits if hit.entity_id in docs]

    # -- writes -------------------------------------------------------------------------------

    def create(self, kind: Kind, request: Mapping[str, Any], actor: Actor) -> Doc:
        self._writable(kind)
        validation.validate(kind.create_schema or "", request)
        return self._upsert_one(kind, documents.prepare(kind, request), actor, mode="create").doc

    def create_or_update(
        self,
        kind: Kind,
        request: Mapping[str, Any],
        actor: Actor,
        *,
        override: bool = False,
        authorize: AuthorizeWrite | None = None,
    ) -> Upserted:
        self._writable(kind)
        validation.validate(kind.create_schema or "", request)
        request = documents.prepare(kind, request)
        return self._upsert_one(kind, request, actor, mode="put", override=override, authorize=authorize)

    def bulk(
        self,
        kind: Kind,
        requests: Sequence[Any],
        actor: Actor,
        *,
        override: bool = False,
        authorize: AuthorizeWrite | None = None,
    ) -> BulkResult:
        """Create or update many entities in one transaction, with a result per row.

        A row that is invalid, names a missing parent or is refused by ``authorize`` fails alone;
        the others are written.
        """
        self._writable(kind)
        if not isinstance(requests, list):
            raise BadRequest("The bulk request body must be a JSON array of create requests")
        checked: list[tuple[int, Mapping[str, Any] | None, str | None]] = []
        for index, request in enumerate(requests):
            if not isinstance(request, Mapping):
                checked.append((index, None, f"row {index}: expected an object"))
                continue
            problems = contract.errors(kind.create_schema or "", request)
            prepared = documents.prepare(kind, request)
            checked.append((index, prepared, "; ".join(problems[:5]) if problems else None))

        valid = [request for _index, request, problem in checked if problem is None and request is not None]

        def run(unit: UnitOfWork) -> BulkResult:
            outcomes = iter(
                self._writer.upsert_many(
                    unit,
                    kind,
                    valid,
                    actor,
                    mode="put",
                    override=override,
                    authorize=owners.seeing(unit.conn, kind, authorize),
                )
            )
            result = BulkResult(processed=len(checked))
            for _index, request, problem in checked:
                outcome = next(outcomes) if problem is None and request is not None else None
                if not isinstance(outcome, Upserted):
                    result.failed += 1
                    failure = (
                        {"message": outcome.message, "status": outcome.status}
                        if outcome is not None
                        else {"message": problem, "status": 400}
                    )
                    result.failures.append({"request": _label(kind, request), **failure})
                    continue
                result.passed += 1
                result.success.append(
                    {"request": outcome.doc["fullyQualifiedName"], "message": outcome.outcome, "status": 200}
                )
            return result

        return self._write(run)

    def patch(
        self,
        kind: Kind,
        entity_id: str,
        operations: Any,
        actor: Actor,
        *,
        expected_versions: ExpectedVersions = None,
        authorize: AuthorizeChange | None = None,
    ) -> Doc:
        """Apply a JSON Patch (RFC 6902). ``authorize`` sees the stored and the patched entity,
        so the decision rests on what the patch changes, whatever pointers it used to do it.
        ``expected_versions`` (from If-Match) refuses the patch unless the entity is at one of
        them."""
        self._writable(kind)
        if not isinstance(operations, list):
            raise BadRequest("A JSON Patch body must be an array of operations (RFC 6902)")

        def run(unit: UnitOfWork) -> Doc:
            row = self._locked(unit, kind, entity_id)
            if expected_versions is not None and row.version not in expected_versions:
                expected = ", ".join(str(changes.to_float(v)) for v in sorted(expected_versions))
                raise PreconditionFailed(
                    f"{kind.type} {entity_id} is at version {changes.to_float(row.version)}, "
                    f"not {expected}; reload it and patch again"
                )
            row, patched = patching.apply(unit, kind, row, operations, self.expansions(kind), authorize)
            if kind.type == "table":
                documents.set_column_fqns(patched)
            self._writer.before_store(kind, patched, row.doc, None)
            saved = self._writer.save(unit, kind, row, patched, actor).doc
            return owners.with_inherited(unit.conn, kind, [saved])[0]

        return self._write(run)

    def delete(
        self,
        kind: Kind,
        entity_id: str,
        actor: Actor,
        *,
        recursive: bool,
        hard: bool,
        authorize: AuthorizeWrite | None = None,
    ) -> Doc:
        self._writable(kind)

        def run(unit: UnitOfWork) -> Doc:
            return cascades.delete(
                self._writer,
                unit,
                kind,
                entity_id,
                actor,
                recursive=recursive,
                hard=hard,
                authorize=owners.seeing(unit.conn, kind, authorize),
            )

        return self._write(run)

    def delete_by_name(
        self,
        kind: Kind,
        fqn: str,
        actor: Actor,
        *,
        recursive: bool,
        hard: bool,
        authorize: AuthorizeWrite | None = None,
    ) -> Doc:
        doc = self.get_by_name(kind, fqn, "all" if hard else "non-deleted")
        return self.delete(kind, doc["id"], actor, recursive=recursive, hard=hard, authorize=authorize)

    def restore(self, kind: Kind, entity_id: str, actor: Actor) -> Doc:
        self._writable(kind)

        def run(unit: UnitOfWork) -> Doc:
            return cascades.restore(self._writer, unit, kind, entity_id, actor)

        return self._write(run)

    def delete_stale(self, kind: Kind, request: Mapping[str, Any], actor: Actor) -> BulkResult:
        """Soft-delete the entities of ``kind`` inside a scope that the last run did not see."""
        validation.validate("bulkDeleteStaleRequest", request)
        scope_type = str(request["scopeEntityType"])
        try:
            scope_kind = by_type(scope_type)
        except KeyError:
            raise BadRequest(f"scopeEntityType {scope_type!r} is not an entity type tessera serves") from None
        hierarchy.containment_chain(kind, scope_kind)  # a BadRequest unless the scope contains kind
        seen = set(request.get("seenFqns") or [])
        recursive = bool(request.get("recursive", True))

        def run(unit: UnitOfWork) -> BulkResult:
            return cascades.delete_stale(
                self._writer,
                unit,
                kind,
                scope_kind,
                str(request["scopeFqn"]),
                seen,
                actor,
                recursive=recursive,
            )

        return self._write(run)

    def install_builtin(
        self, kind: Kind, doc: Doc, actor: Actor, *, fqn: str | None = None, refresh: bool = True
    ) -> Doc:
        """Create an entity tessera ships; ``refresh`` also brings an existing one up to date
        (test connection definitions), otherwise an operator's edits are kept (roles, policies).
        """
        target = fqn or fqns.quote(doc["name"])

        def run(unit: UnitOfWork) -> Doc:
            key = Key(kind.type, fqns.digest(target), doc["name"], target)

            def new_row(key: Key) -> tuple[EntityRow, dict[str, Any] | None]:
                new = {"id": new_entity_id(), **doc, "fullyQualifiedName": target}
                row = self._writer.new_row(
                    kind, new, actor, fqn_hash=key.fqn_hash, parent_id=None, source_hash=None
                )
                return row, search_document(kind, row.id, row.name, row.deleted, row.doc)

            # Several processes starting at once may all install it: one creates it, the
            # others find it (locked) and refresh or keep it.
            current = unit.claim([key], new_row).get(key.fqn_hash)
            if current is None:
                made, search = new_row(key)
                unit.create(made, search)
                current = made
            if unit.created(current.id):
                self._writer.notify(unit, kind, current.doc, None)
                return current.doc
            if not refresh:
                return current.doc
            return self._writer.save(unit, kind, current, {**current.doc, **doc, "deleted": False}, actor).doc

        return self._write(run)

    def put_record(
        self, kind: Kind, entity_id: str, record_kind: str, key: str, timestamp: int, doc: Doc
    ) -> None:
        def run(unit: UnitOfWork) -> None:
            self._locked(unit, kind, entity_id)
            records.put_record(unit.conn, entity_id, record_kind, key, timestamp, doc)

        self._write(run)

    # -- internals ----------------------------------------------------------------------------

    def _write(self, work: Callable[[UnitOfWork], T]) -> T:
        return unit_of_work.run(self.engine, work, self._write_policy)

    def _upsert_one(
        self,
        kind: Kind,
        request: Mapping[str, Any],
        actor: Actor,
        *,
        mode: Literal["create", "put"],
        override: bool = False,
        authorize: AuthorizeWrite | None = None,
    ) -> Upserted:
        def run(unit: UnitOfWork) -> Upserted:
            (outcome,) = self._writer.upsert_many(
                unit,
                kind,
                [request],
                actor,
                mode=mode,
                override=override,
                authorize=owners.seeing(unit.conn, kind, authorize),
            )
            if isinstance(outcome, TesseraError):
                raise outcome
            (served,) = owners.with_inherited(unit.conn, kind, [outcome.doc])
            return Upserted(served, outcome.outcome)

        return self._write(run)

    def _writable(self, kind: Kind) -> None:
        if kind.read_only or kind.create_schema is None:
            raise BadRequest(f"{kind.type} entities are built into tessera and cannot be changed")

    def _get_row(self, kind: Kind, entity_id: str, include: Include) -> EntityRow:
        with read_once(self.engine) as conn:
            return _row_on(conn, kind, entity_id, include)

    def _locked(self, unit: UnitOfWork, kind: Kind, entity_id: str) -> EntityRow:
        row = unit.lock_id(kind.type, entity_id)
        if row is None or row.deleted:
            raise NotFound(f"{kind.type} instance for {entity_id} not found")
        return row


def _row_on(conn: Connection, kind: Kind, entity_id: str, include: Include) -> EntityRow:
    row = repo.get_by_id(conn, entity_id, entity_type=kind.type) if is_uuid(entity_id) else None
    if row is None or not _included(row, include):
        raise NotFound(f"{kind.type} instance for {entity_id} not found")
    return row


def _included(row: EntityRow, include: Include) -> bool:
    return include == "all" or (include == "deleted") == row.deleted


def _label(kind: Kind, request: Mapping[str, Any] | None) -> str:
    if request is None:
        return "<not an object>"
    name = str(request.get("name", "<no name>"))
    if kind.parent is not None and isinstance(request.get(kind.parent.field), str):
        return f"{request[kind.parent.field]}.{fqns.quote(name)}"
    return name
