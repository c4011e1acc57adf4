"""The catalog: create, update, read, page, patch, delete and restore entities of every kind.

Services speak in documents and :mod:`tessera.errors`; they know nothing of HTTP. Each write
runs in one database transaction that locks the rows it changes, so several tessera processes
sharing a database can PUT the same entity at once and still end with one entity and a gapless
run of versions. A write that races another process to insert the same entity is retried.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar

import jsonpatch
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from tessera import contract
from tessera.catalog import changes, documents, validation
from tessera.catalog import fqn as fqns
from tessera.catalog.documents import Doc
from tessera.catalog.kinds import Kind, RefBy, by_type
from tessera.errors import BadRequest, Conflict, NotFound, PreconditionFailed, TesseraError
from tessera.storage import repository as repo
from tessera.storage import search as search_store
from tessera.storage.db import read_once, write_transaction
from tessera.storage.repository import EntityRow

log = logging.getLogger(__name__)

Include = Literal["non-deleted", "deleted", "all"]
Outcome = Literal["created", "updated", "unchanged"]
T = TypeVar("T")

_MAX_ATTEMPTS = 6


@dataclass(frozen=True)
class Actor:
    """Who is writing: recorded as ``updatedBy``; bots' re-ingestion keeps curated text."""

    name: str
    is_bot: bool = False


class DocumentHook(Protocol):
    """Lets other domains (secrets, users) adjust a document before it is stored."""

    def before_store(
        self, kind: Kind, doc: Doc, existing: Doc | None, request: Mapping[str, Any] | None
    ) -> None: ...


class WriteListener(Protocol):
    """Told, inside the writing transaction, what changed (e.g. to invalidate caches)."""

    def written(self, conn: Connection, kind: Kind, doc: Doc, previous: Doc | None) -> None: ...

    def removed(self, conn: Connection, kind: Kind, docs: Sequence[Doc], actor: str) -> None: ...


# Called inside a write with the stored entity before it changes (None: about to be created);
# raises (Forbidden) to refuse. The route's authorization, decided on the locked row.
AuthorizeWrite = Callable[[Doc | None], None]
# Called inside a patch with the stored entity and the entity the patch would make.
AuthorizeChange = Callable[[Doc, Doc], None]


@dataclass(frozen=True)
class Found:
    """A search hit: the entity's type and its stored document."""

    entity_type: str
    doc: Doc


@dataclass
class Upserted:
    doc: Doc
    outcome: Outcome


@dataclass
class BulkResult:
    processed: int = 0
    passed: int = 0
    failed: int = 0
    success: list[dict[str, Any]] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        status = "success" if self.failed == 0 else ("failure" if self.passed == 0 else "partialSuccess")
        return {
            "dryRun": False,
            "status": status,
            "numberOfRowsProcessed": self.processed,
            "numberOfRowsPassed": self.passed,
            "numberOfRowsFailed": self.failed,
            "successRequest": self.success,
            "failedRequest": self.failures,
        }


class _Retry(Exception):
    """A concurrent writer got there first; run the whole transaction again."""


class _Transaction:
    """One open write (or read) transaction plus a cache of what it has looked up."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._by_fqn: dict[tuple[str, str], Doc | None] = {}
        # Rows read for writing (locked), by (entity_type, fqn_hash); None = known not to exist.
        # A bulk request fills it with one query instead of one per row (see lock_rows).
        self._rows: dict[tuple[str, str], EntityRow | None] = {}
        # Entities created in this transaction, written together by flush() (at the latest just
        # before commit): one INSERT per table for a whole bulk request, not several per row.
        self._new: dict[str, EntityRow] = {}
        self._new_search: list[dict[str, Any]] = []

    def by_fqn(self, entity_type: str, fqn: str) -> Doc | None:
        key = (entity_type, fqn)
        if key not in self._by_fqn:
            row = repo.get_by_fqn_hash(self.conn, entity_type, fqns.digest(fqn))
            self._by_fqn[key] = row.doc if row is not None and not row.deleted else None
        return self._by_fqn[key]

    def by_id(self, entity_type: str, entity_id: str) -> Doc | None:
        if not _is_uuid(entity_id):
            return None
        new = self._new.get(entity_id)
        if new is not None:
            return new.doc if new.entity_type == entity_type else None
        row = repo.get_by_id(self.conn, entity_id, entity_type=entity_type)
        return row.doc if row is not None and not row.deleted else None

    def remember(self, entity_type: str, doc: Doc) -> None:
        self._by_fqn[(entity_type, doc["fullyQualifiedName"])] = doc

    def locked_row(self, entity_type: str, fqn_hash: str) -> EntityRow | None:
        key = (entity_type, fqn_hash)
        if key not in self._rows:
            self._rows[key] = repo.get_by_fqn_hash(self.conn, entity_type, fqn_hash, lock=True)
        return self._rows[key]

    def lock_rows(self, entity_type: str, hashes: Iterable[str]) -> None:
        """Read (and lock) the rows a bulk request will write, in one query."""
        wanted = [h for h in dict.fromkeys(hashes) if (entity_type, h) not in self._rows]
        found = {
            row.fqn_hash: row for row in repo.get_many_by_fqn_hash(self.conn, entity_type, wanted, lock=True)
        }
        for fqn_hash in wanted:
            self._rows[(entity_type, fqn_hash)] = found.get(fqn_hash)

    def written(self, row: EntityRow) -> None:
        if (row.entity_type, row.fqn_hash) in self._rows:
            self._rows[(row.entity_type, row.fqn_hash)] = row

    def add(self, row: EntityRow, search: dict[str, Any] | None) -> None:
        """A new entity (and its search document), inserted by the next :meth:`flush`."""
        self._new[row.id] = row
        self._rows[(row.entity_type, row.fqn_hash)] = row
        if search is not None:
            self._new_search.append(search)

    def is_new(self, entity_id: str) -> bool:
        return entity_id in self._new

    def flush(self) -> None:
        """Insert the entities added so far. A concurrent writer that inserted one of them first
        makes this raise IntegrityError, and the whole transaction is retried (see _write)."""
        if not self._new:
            return
        rows = list(self._new.values())
        repo.insert_many(self.conn, rows)
        repo.add_versions(self.conn, rows)
        search_store.insert_many(self.conn, self._new_search)
        self._new, self._new_search = {}, []


class CatalogService:
    def __init__(
        self,
        engine: Engine,
        *,
        clock: Callable[[], float] = time.time,
        hooks: Sequence[DocumentHook] = (),
    ) -> None:
        self.engine = engine
        self._clock = clock
        self._hooks = list(hooks)
        self._listeners: list[WriteListener] = []

    def add_hook(self, hook: DocumentHook) -> None:
        self._hooks.append(hook)

    def add_listener(self, listener: WriteListener) -> None:
        self._listeners.append(listener)

    # -- reads --------------------------------------------------------------------------------

    def get(self, kind: Kind, entity_id: str, include: Include = "non-deleted") -> Doc:
        row = self._get_row(kind, entity_id, include)
        return row.doc

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
        return row.doc

    def find_by_field(self, kind: Kind, field: str, value: str, *, deleted: bool | None = False) -> list[Doc]:
        """Exact lookups search offers: by name, by FQN (``*`` wildcards allowed), users by email."""
        with self.engine.connect() as conn:
            if field == "name":
                rows = repo.find_by_name(conn, kind.type, value, deleted=deleted)
            elif field == "fullyQualifiedName":
                rows = repo.find_by_fqn_pattern(conn, kind.type, value, deleted=deleted, limit=1000)
            elif field == "email" and kind.type == "user":
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
        return frozenset(EXPANSIONS.get(kind.type, {}))

    def expand(self, kind: Kind, doc: Doc, fields: frozenset[str]) -> Doc:
        out = dict(doc)
        for name, (related, how) in EXPANSIONS.get(kind.type, {}).items():
            if name not in fields:
                continue
            related_kind = by_type(related)
            if how == "children":
                docs = self.children_of(related_kind, [doc["id"]])[doc["id"]]
            else:
                docs = self.referencing(related_kind, doc["id"])
            out[name] = [documents.reference(found, related) for found in docs]
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
        filters: Mapping[str, str] | None = None,
        include: Include = "non-deleted",
        limit: int = 10,
        after: str | None = None,
        before: str | None = None,
        subtype: str | None = None,
    ) -> repo.Page:
        """One page of ``kind`` in name order; ``subtype`` narrows it (users: ``"bot"``)."""
        if after is not None and before is not None:
            raise BadRequest("Only one of after and before may be given")
        with self.engine.connect() as conn:
            parent_ids = self._parent_filter(conn, kind, filters or {})
            return repo.list_page(
                conn,
                kind.type,
                parent_ids=parent_ids,
                include=include,
                limit=limit,
                after=after,
                before=before,
                subtype=subtype,
            )

    def versions(self, kind: Kind, entity_id: str) -> list[Doc]:
        self._get_row(kind, entity_id, "all")
        with self.engine.connect() as conn:
            return repo.versions(conn, entity_id)

    def version(self, kind: Kind, entity_id: str, version: str) -> Doc:
        try:
            tenths = changes.to_tenths(version)
        except ValueError:
            raise BadRequest(f"Invalid version {version!r}; expected a number such as 0.1 or 1.2") from None
        self._get_row(kind, entity_id, "all")
        with self.engine.connect() as conn:
            doc = repo.version(conn, entity_id, tenths)
        if doc is None:
            raise NotFound(f"{kind.type} instance for {entity_id} and version {version} not found")
        return doc

    # -- writes -------------------------------------------------------------------------------

    def create(self, kind: Kind, request: Mapping[str, Any], actor: Actor) -> Doc:
        self._writable(kind)
        validation.validate(kind.create_schema or "", request)
        return self._write(lambda tx: self._upsert(tx, kind, request, actor, mode="create")).doc

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
        return self._write(
            lambda tx: self._upsert(
                tx, kind, request, actor, mode="put", override=override, authorize=authorize
            )
        )

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
            checked.append((index, request, "; ".join(problems[:5]) if problems else None))

        def run(tx: _Transaction) -> BulkResult:
            result = BulkResult(processed=len(checked))
            # The rows this request will update, read (and locked) in one query up front.
            tx.lock_rows(kind.type, _likely_hashes(kind, (r for _i, r, p in checked if p is None)))
            for _index, request, problem in checked:
                label = _label(kind, request)
                if problem is not None or request is None:
                    result.failed += 1
                    result.failures.append({"request": label, "message": problem, "status": 400})
                    continue
                try:
                    upserted = self._upsert(
                        tx, kind, request, actor, mode="put", override=override, authorize=authorize
                    )
                except TesseraError as exc:
                    result.failed += 1
                    result.failures.append({"request": label, "message": exc.message, "status": exc.status})
                    continue
                result.passed += 1
                result.success.append(
                    {
                        "request": upserted.doc["fullyQualifiedName"],
                        "message": upserted.outcome,
                        "status": 200,
                    }
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
        if_match: str | None = None,
        authorize: AuthorizeChange | None = None,
    ) -> Doc:
        """Apply a JSON Patch (RFC 6902). ``authorize`` sees the stored and the patched entity,
        so the decision rests on what the patch changes, whatever pointers it used to do it."""
        self._writable(kind)
        if not isinstance(operations, list):
            raise BadRequest("A JSON Patch body must be an array of operations (RFC 6902)")

        def run(tx: _Transaction) -> Doc:
            row = self._locked(tx, kind, entity_id)
            if if_match is not None and not _etag_matches(if_match, row.version):
                raise PreconditionFailed(
                    f"{kind.type} {entity_id} is at version {changes.to_float(row.version)}, "
                    f"not {if_match.strip()}; reload it and patch again"
                )
            try:
                patched = jsonpatch.apply_patch(row.doc, operations)
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
                authorize(row.doc, patched)
            for name in sorted(documents.SERVER_FIELDS | {"name"} | _structural_fields(kind)):
                if patched.get(name) != row.doc.get(name):
                    raise BadRequest(f"{name} cannot be changed with PATCH")
            validation.validate(kind.entity_schema, patched, what=f"{kind.type} after the patch")
            if patched.get("owners") != row.doc.get("owners") and patched.get("owners"):
                patched["owners"] = [documents.reference(_owner(tx, o), o["type"]) for o in patched["owners"]]
            if kind.type == "table":
                documents.set_column_fqns(patched)
            for hook in self._hooks:
                hook.before_store(kind, patched, row.doc, None)
            return self._save(tx, kind, row, patched, actor).doc

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

        def run(tx: _Transaction) -> Doc:
            row = repo.get_by_id(tx.conn, entity_id, entity_type=kind.type, lock=True)
            if row is None or (row.deleted and not hard):
                raise NotFound(f"{kind.type} instance for {entity_id} not found")
            if authorize is not None:
                authorize(row.doc)
            descendants = self._descendants(tx.conn, [row])
            live = [d for d in descendants if not d.deleted]
            if (live if not hard else descendants) and not recursive:
                raise BadRequest(
                    f"{kind.type} {row.fqn} is not empty: it contains {len(live or descendants)} entities; "
                    "pass recursive=true to delete them as well"
                )
            if hard:
                repo.delete(tx.conn, [d.id for d in descendants] + [row.id])
                for target in [*descendants, row]:
                    for listener in self._listeners:
                        listener.removed(tx.conn, by_type(target.entity_type), [target.doc], actor.name)
                return row.doc
            result = row
            for target in [*live, row]:
                updated = dict(target.doc, deleted=True)
                saved = self._save(tx, by_type(target.entity_type), target, updated, actor)
                if target.id == row.id:
                    result = saved
            return result.doc

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

        def run(tx: _Transaction) -> Doc:
            row = repo.get_by_id(tx.conn, entity_id, entity_type=kind.type, lock=True)
            if row is None:
                raise NotFound(f"{kind.type} instance for {entity_id} not found")
            if not row.deleted:
                raise BadRequest(f"{kind.type} {row.fqn} is not deleted; there is nothing to restore")
            if row.parent_id is not None:
                parent = repo.get_by_id(tx.conn, row.parent_id)
                if parent is not None and parent.deleted:
                    raise BadRequest(
                        f"Cannot restore {kind.type} {row.fqn}: its parent {parent.entity_type} {parent.fqn} "
                        "is deleted; restore the parent first"
                    )
            restored = self._save(tx, kind, row, dict(row.doc, deleted=False), actor)
            for child in self._descendants(tx.conn, [row]):
                if child.deleted:
                    self._save(tx, by_type(child.entity_type), child, dict(child.doc, deleted=False), actor)
            return restored.doc

        return self._write(run)

    def delete_stale(self, kind: Kind, request: Mapping[str, Any], actor: Actor) -> BulkResult:
        """Soft-delete the entities of ``kind`` inside a scope that the last run did not see."""
        validation.validate("bulkDeleteStaleRequest", request)
        scope_type = str(request["scopeEntityType"])
        try:
            scope_kind = by_type(scope_type)
        except KeyError:
            raise BadRequest(f"scopeEntityType {scope_type!r} is not an entity type tessera serves") from None
        chain = _containment_chain(kind, scope_kind)
        seen = set(request.get("seenFqns") or [])
        recursive = bool(request.get("recursive", True))

        def run(tx: _Transaction) -> BulkResult:
            scope = repo.get_by_fqn_hash(tx.conn, scope_kind.type, fqns.digest(str(request["scopeFqn"])))
            if scope is None or scope.deleted:
                raise NotFound(f"{scope_kind.type} instance for {request['scopeFqn']} not found")
            parent_ids = [scope.id]
            for step in chain:
                parent_ids = repo.child_ids(tx.conn, step, parent_ids)
            stale = [
                row
                for row in repo.ids_of_type(tx.conn, kind.type, parent_ids, deleted=False)
                if row.fqn not in seen
            ]
            result = BulkResult(processed=len(stale))
            for row in stale:
                targets = [d for d in self._descendants(tx.conn, [row]) if not d.deleted] if recursive else []
                for target in [*targets, row]:
                    self._save(tx, by_type(target.entity_type), target, dict(target.doc, deleted=True), actor)
                result.passed += 1
                result.success.append({"request": row.fqn, "message": "deleted", "status": 200})
            return result

        return self._write(run)

    def install_builtin(
        self, kind: Kind, doc: Doc, actor: Actor, *, fqn: str | None = None, refresh: bool = True
    ) -> Doc:
        """Create an entity tessera ships; ``refresh`` also brings an existing one up to date
        (test connection definitions), otherwise an operator's edits are kept (roles, policies).
        """
        target = fqn or fqns.quote(doc["name"])

        def run(tx: _Transaction) -> Doc:
            existing = repo.get_by_fqn_hash(tx.conn, kind.type, fqns.digest(target), lock=True)
            if existing is not None:
                if not refresh:
                    return existing.doc
                return self._save(tx, kind, existing, {**existing.doc, **doc, "deleted": False}, actor).doc
            new = {"id": str(uuid.uuid4()), **doc, "fullyQualifiedName": target}
            row = EntityRow(
                id=new["id"],
                entity_type=kind.type,
                name=doc["name"],
                fqn=target,
                fqn_hash=fqns.digest(target),
                parent_id=None,
                deleted=False,
                version=1,
                updated_at=self._now_ms(),
                source_hash=None,
                doc=new,
            )
            row.alt_key, row.subtype = documents.index_keys(kind, new)
            self._stamp(row, actor, change=None)
            try:
                with tx.conn.begin_nested():
                    repo.insert(tx.conn, row)
            except sa.exc.IntegrityError:
                raise _Retry from None
            repo.add_version(tx.conn, row)
            self._index(tx.conn, kind, row)
            self._notify(tx.conn, kind, row.doc, None)
            return row.doc

        return self._write(run)

    def put_record(
        self, kind: Kind, entity_id: str, record_kind: str, key: str, timestamp: int, doc: Doc
    ) -> None:
        def run(tx: _Transaction) -> None:
            self._locked(tx, kind, entity_id)
            repo.put_record(tx.conn, entity_id, record_kind, key, timestamp, doc)

        self._write(run)

    def get_record(self, entity_id: str, record_kind: str, key: str) -> Doc | None:
        with read_once(self.engine) as conn:
            return repo.get_record(conn, entity_id, record_kind, key)

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
            return repo.list_records(conn, entity_id, record_kind, start=start, end=end, limit=limit)

    def search(
        self,
        text: str,
        *,
        entity_types: Sequence[str] | None,
        services: Sequence[str] | None,
        deleted: bool | None,
        offset: int,
        size: int,
    ) -> tuple[int, list[Found]]:
        """The total number of matches and one page of them (``entity_types=[]`` matches none)."""
        if entity_types is not None and not entity_types:
            return 0, []
        with self.engine.connect() as conn:
            hits = search_store.query(
                conn,
                text,
                entity_types=entity_types,
                services=services,
                deleted=deleted,
                offset=offset,
                size=size,
            )
            docs = search_store.documents(conn, hits.ids)
        return hits.total, [Found(*docs[i]) for i in hits.ids if i in docs]

    # -- internals ----------------------------------------------------------------------------

    def _writable(self, kind: Kind) -> None:
        if kind.read_only or kind.create_schema is None:
            raise BadRequest(f"{kind.type} entities are built into tessera and cannot be changed")

    def _get_row(self, kind: Kind, entity_id: str, include: Include) -> EntityRow:
        if not _is_uuid(entity_id):
            raise NotFound(f"{kind.type} instance for {entity_id} not found")
        with read_once(self.engine) as conn:
            row = repo.get_by_id(conn, entity_id, entity_type=kind.type)
        if row is None or not _included(row, include):
            raise NotFound(f"{kind.type} instance for {entity_id} not found")
        return row

    def _locked(self, tx: _Transaction, kind: Kind, entity_id: str) -> EntityRow:
        row = (
            repo.get_by_id(tx.conn, entity_id, entity_type=kind.type, lock=True)
            if _is_uuid(entity_id)
            else None
        )
        if row is None or row.deleted:
            raise NotFound(f"{kind.type} instance for {entity_id} not found")
        return row

    def _write(self, work: Callable[[_Transaction], T]) -> T:
        for attempt in range(1, _MAX_ATTEMPTS + 1):
            try:
                with write_transaction(self.engine) as conn:
                    tx = _Transaction(conn)
                    result = work(tx)
                    tx.flush()
                    return result
            except (_Retry, sa.exc.IntegrityError, sa.exc.OperationalError) as exc:
                if isinstance(exc, sa.exc.OperationalError) and not _is_transient(exc):
                    raise
                if attempt == _MAX_ATTEMPTS:
                    raise
                # Another process won a race on the same rows; back off briefly and retry.
                time.sleep(random.uniform(0.005, 0.02) * attempt)
                log.debug("retrying a write after a concurrent change (attempt %d): %s", attempt, exc)
        raise AssertionError("unreachable")

    def _upsert(
        self,
        tx: _Transaction,
        kind: Kind,
        request: Mapping[str, Any],
        actor: Actor,
        *,
        mode: Literal["create", "put"],
        override: bool = False,
        authorize: AuthorizeWrite | None = None,
    ) -> Upserted:
        parent = documents.resolve_parent(kind, request, tx)
        built = documents.build(kind, request, parent, tx)
        fqn_hash = fqns.digest(built["fullyQualifiedName"])
        existing = tx.locked_row(kind.type, fqn_hash)
        if authorize is not None:
            authorize(existing.doc if existing is not None else None)
        if existing is None:
            doc = {"id": str(uuid.uuid4()), **built}
            for hook in self._hooks:
                hook.before_store(kind, doc, None, request)
            row = EntityRow(
                id=doc["id"],
                entity_type=kind.type,
                name=doc["name"],
                fqn=doc["fullyQualifiedName"],
                fqn_hash=fqn_hash,
                parent_id=parent["id"] if parent is not None else None,
                deleted=False,
                version=1,
                updated_at=self._now_ms(),
                source_hash=request.get("sourceHash"),
                doc=doc,
            )
            row.alt_key, row.subtype = documents.index_keys(kind, doc)
            self._stamp(row, actor, change=None)
            # Inserted with its version and search document when the transaction flushes.
            tx.add(row, self._search_values(kind, row))
            self._notify(tx.conn, kind, row.doc, None)
            tx.remember(kind.type, row.doc)
            return Upserted(row.doc, "created")
        if mode == "create":
            raise Conflict(f"Entity already exists: {kind.type} {existing.fqn}")
        source_hash = request.get("sourceHash")
        if source_hash is not None and source_hash == existing.source_hash and not existing.deleted:
            return Upserted(existing.doc, "unchanged")
        merged = documents.merge_for_put(
            kind, existing.doc, built, keep_descriptions=actor.is_bot and not override
        )
        merged["id"] = existing.id
        merged["deleted"] = False
        for hook in self._hooks:
            hook.before_store(kind, merged, existing.doc, request)
        saved = self._save(tx, kind, existing, merged, actor, source_hash=source_hash)
        tx.remember(kind.type, saved.doc)
        return Upserted(saved.doc, "updated" if saved.version != existing.version else "unchanged")

    def _save(
        self,
        tx: _Transaction,
        kind: Kind,
        row: EntityRow,
        new_doc: Doc,
        actor: Actor,
        *,
        source_hash: str | None = None,
    ) -> EntityRow:
        if tx.is_new(row.id):
            # Created earlier in this transaction (a bulk request naming it twice): write it first.
            tx.flush()
        change = changes.describe(row.doc, new_doc, row.version)
        if change is None:
            if source_hash is not None and source_hash != row.source_hash:
                # Same content, new request fingerprint: remember it without a new version.
                row.source_hash = source_hash
                row.doc["sourceHash"] = source_hash
                repo.update(tx.conn, row, was_deleted=row.deleted)
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
            updated_at=max(self._now_ms(), row.updated_at + 1),
            source_hash=source_hash if source_hash is not None else row.source_hash,
            doc=new_doc,
        )
        updated.alt_key, updated.subtype = documents.index_keys(kind, new_doc)
        self._stamp(updated, actor, change=change)
        repo.update(tx.conn, updated, was_deleted=row.deleted)
        repo.add_version(tx.conn, updated)
        self._index(tx.conn, kind, updated)
        tx.written(updated)
        self._notify(tx.conn, kind, updated.doc, row.doc)
        return updated

    def _notify(self, conn: Connection, kind: Kind, doc: Doc, previous: Doc | None) -> None:
        for listener in self._listeners:
            listener.written(conn, kind, doc, previous)

    def _stamp(self, row: EntityRow, actor: Actor, *, change: dict[str, Any] | None) -> None:
        row.doc["version"] = changes.to_float(row.version)
        row.doc["updatedAt"] = row.updated_at
        row.doc["updatedBy"] = actor.name
        row.doc["deleted"] = row.deleted
        if change is not None:
            row.doc["changeDescription"] = change
        else:
            row.doc.pop("changeDescription", None)

    def _index(self, conn: Connection, kind: Kind, row: EntityRow) -> None:
        values = self._search_values(kind, row)
        if values is not None:
            search_store.put(conn, **values)

    def _search_values(self, kind: Kind, row: EntityRow) -> dict[str, Any] | None:
        if kind.search_index is None:
            return None
        doc = row.doc
        column_words = " ".join(
            f"{c.get('name', '')} {c.get('displayName') or ''} {c.get('description') or ''}"
            for c in _all_columns(doc.get("columns") or [])
        )
        service = (doc.get("service") or {}).get("name") if kind.type != "databaseService" else doc["name"]
        return {
            "entity_id": row.id,
            "entity_type": kind.type,
            "service": service,
            "deleted": row.deleted,
            "name": row.name,
            "body": search_store.searchable_words(
                doc.get("name"),
                doc.get("displayName"),
                doc.get("fullyQualifiedName"),
                doc.get("description"),
                column_words,
            ),
        }

    def _descendants(self, conn: Connection, roots: list[EntityRow]) -> list[EntityRow]:
        found: list[EntityRow] = []
        frontier = [row.id for row in roots]
        while frontier:
            level = repo.children(conn, frontier)
            found.extend(level)
            frontier = [row.id for row in level]
        return found

    def _parent_filter(self, conn: Connection, kind: Kind, filters: Mapping[str, str]) -> list[str] | None:
        """Parent filters (service=, database=, databaseSchema=) as the ids of direct parents."""
        given = {key: value for key, value in filters.items() if value}
        if not given:
            return None
        if len(given) > 1:
            # The narrowest scope decides; the others only have to be consistent with it.
            order = ["databaseSchema", "database", "service"]
            given = {key: given[key] for key in order if key in given}
            key = next(iter(given))
            given = {key: given[key]}
        ((scope_field, scope_fqn),) = given.items()
        scope_type = {
            "service": _service_type(kind),
            "database": "database",
            "databaseSchema": "databaseSchema",
        }.get(scope_field)
        if scope_type is None:
            raise BadRequest(f"Unknown filter {scope_field!r}")
        scope_kind = by_type(scope_type)
        chain = _containment_chain(kind, scope_kind)
        scope = repo.get_by_fqn_hash(conn, scope_kind.type, fqns.digest(scope_fqn))
        if scope is None:
            return []
        parent_ids = [scope.id]
        for step in chain:
            parent_ids = repo.child_ids(conn, step, parent_ids)
        return parent_ids

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)


# Fields OpenMetadata derives from relationships: (related kind, children by parent or documents
# that reference this entity).
EXPANSIONS: dict[str, dict[str, tuple[str, Literal["children", "referencing"]]]] = {
    "databaseService": {"pipelines": ("ingestionPipeline", "children")},
    "database": {"databaseSchemas": ("databaseSchema", "children")},
    "databaseSchema": {"tables": ("table", "children")},
    "team": {"users": ("user", "referencing")},
    "role": {"users": ("user", "referencing"), "teams": ("team", "referencing")},
    "policy": {"roles": ("role", "referencing")},
}


def _containment_chain(kind: Kind, scope: Kind) -> list[str]:
    """Entity types between ``scope`` (exclusive) and ``kind``'s parent (inclusive), top down."""
    chain: list[str] = []
    current = kind
    while current.parent is not None and current.parent.target != scope.type:
        chain.append(current.parent.target)
        current = by_type(current.parent.target)
    if current.parent is None:
        raise BadRequest(f"{kind.type} entities are not contained in a {scope.type}")
    return list(reversed(chain))


def _likely_hashes(kind: Kind, requests: Iterable[Mapping[str, Any] | None]) -> list[str]:
    """FQN digests of the entities these requests name, where the request alone says (a parent
    given by FQN, or none). Only a hint for prefetching: what it misses is looked up per row."""
    out: list[str] = []
    for request in requests:
        name = request.get("name") if request is not None else None
        if request is None or not isinstance(name, str):
            continue
        parent = request.get(kind.parent.field) if kind.parent is not None else None
        try:
            if kind.parent is None:
                out.append(fqns.digest(fqns.quote(name)))
            elif kind.parent.by is RefBy.FQN and isinstance(parent, str):
                out.append(fqns.digest(fqns.build(*fqns.split(parent), name)))
        except BadRequest:
            continue
    return out


def _service_type(kind: Kind) -> str:
    current = kind
    while current.parent is not None:
        current = by_type(current.parent.target)
    if current.type == kind.type:
        raise BadRequest(f"{kind.type} entities do not belong to a service")
    return current.type


def _structural_fields(kind: Kind) -> set[str]:
    fields = set(kind.inherit)
    if kind.parent is not None:
        fields.add(kind.parent.field)
    return fields


def _owner(tx: _Transaction, owner: Mapping[str, Any]) -> Doc:
    owner_type = str(owner.get("type", ""))
    if owner_type not in ("user", "team"):
        raise BadRequest(f"owners: an owner must be a user or a team, not {owner_type!r}")
    found = tx.by_id(owner_type, str(owner.get("id")))
    if found is None:
        raise NotFound(f"owners: {owner_type} {owner.get('id')} not found")
    return found


def _all_columns(columns: Iterable[Doc]) -> Iterable[Doc]:
    for column in columns:
        yield column
        yield from _all_columns(column.get("children") or [])


def _included(row: EntityRow, include: Include) -> bool:
    return include == "all" or (include == "deleted") == row.deleted


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _etag_matches(if_match: str, version: int) -> bool:
    """RFC 9110 13.1.1: If-Match is ``*`` or a list of entity tags. ``*`` matches any current
    representation: the caller has already found the entity (a missing one is a 404)."""
    tags = [tag.strip() for tag in if_match.split(",") if tag.strip()]
    if not tags:
        raise BadRequest('Invalid If-Match header: empty; expected W/"<version>" or *')
    return any(tag == "*" or _parse_etag(tag) == version for tag in tags)


def _parse_etag(value: str) -> int:
    text = value.strip()
    if text.startswith("W/"):
        text = text[2:]
    text = text.strip('"')
    try:
        return changes.to_tenths(text)
    except ValueError:
        raise BadRequest(f'Invalid If-Match header {value!r}; expected W/"<version>"') from None


def _label(kind: Kind, request: Mapping[str, Any] | None) -> str:
    if request is None:
        return "<not an object>"
    name = str(request.get("name", "<no name>"))
    if kind.parent is not None and isinstance(request.get(kind.parent.field), str):
        return f"{request[kind.parent.field]}.{fqns.quote(name)}"
    return name


def _is_transient(exc: sa.exc.OperationalError) -> bool:
    text = str(exc.orig).lower()
    return any(
        marker in text
        for marker in (
            "deadlock",
            "database is locked",
            "could not serialize",
            "lock wait timeout",
            "1213",
            "40001",
        )
    )
