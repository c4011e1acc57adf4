"""Keeping labels true to the tags they name: the ``tag_usage`` index, usage counts, and the
labels rewritten when a tag or glossary term is renamed or deleted for good.

Every write tells :class:`LabelIndex` (a catalog write listener, inside the write's transaction)
what a document carries now; when the written entity is a tag, term, classification or
glossary whose FQN changed, it moves what lies below it to the new FQN and rewrites the labels
of the entities that carry any of those tags, found through the index (never a scan of the
catalog). A hard-deleted tag's labels are taken off the entities that carry it. A soft-deleted
tag keeps its labels, so that restoring it restores them (as in OpenMetadata).

The rewritten entities keep their version: the label names the same tag as before, only by its
new name (OpenMetadata keeps labels in a table of their own and does the same).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Connection, Engine

from tessera.catalog import fqn as fqns
from tessera.catalog import labels
from tessera.catalog.kinds import Kind, by_type
from tessera.catalog.search_documents import search_document
from tessera.storage import labels as store
from tessera.storage import repository as repo
from tessera.storage import search as search_store
from tessera.storage.repository import EntityRow

Doc = dict[str, Any]
# Kinds whose FQN prefixes the labels' tagFQNs, and the kind of the tags below them.
_TAG_TREES = {
    "classification": "tag",
    "tag": "tag",
    "glossary": "glossaryTerm",
    "glossaryTerm": "glossaryTerm",
}
_SOURCE_OF = {"tag": labels.CLASSIFICATION, "glossaryTerm": labels.GLOSSARY}


def usages(doc: Mapping[str, Any]) -> list[store.Usage]:
    if doc.get("deleted"):
        return []
    return [
        store.Usage(tag_fqn=name, tag_fqn_hash=fqns.digest(name), source=source)
        for name, source in labels.carried(doc).items()
    ]


class LabelIndex:
    """The catalog write listener that keeps ``tag_usage`` and the labels in step."""

    def written(self, conn: Connection, kind: Kind, doc: Doc, previous: Doc | None) -> None:
        if previous is not None and kind.type in _TAG_TREES:
            old, new = previous.get("fullyQualifiedName"), doc.get("fullyQualifiedName")
            if old and new and old != new:
                _moved(conn, kind, doc["id"], str(old), str(new))
        now = usages(doc)
        if previous is None and not now:
            return
        if previous is not None and usages(previous) == now:
            return
        store.replace(conn, doc["id"], kind.type, now)

    def removed(self, conn: Connection, kind: Kind, docs: Sequence[Doc], actor: str) -> None:
        store.forget(conn, [doc["id"] for doc in docs])
        if kind.type in _SOURCE_OF:
            _relabel(conn, {str(doc["fullyQualifiedName"]): None for doc in docs})


def _moved(conn: Connection, kind: Kind, entity_id: str, old: str, new: str) -> None:
    """``old`` is now ``new``: move the tags below it, then the labels naming any of them."""
    tag_type = _TAG_TREES[kind.type]
    renames: dict[str, str | None] = {}
    if kind.type == tag_type:
        renames[old] = new
    level = [entity_id]
    while level:
        rows = repo.ids_of_type(conn, tag_type, level, deleted=None)
        for row in rows:
            moved_fqn = labels.renamed(row.fqn, old, new)
            if moved_fqn is None:
                continue
            renames[row.fqn] = moved_fqn
            _rename_row(conn, row, old, new, moved_fqn)
        level = [row.id for row in rows]
    _relabel(conn, renames)


def _rename_row(conn: Connection, row: EntityRow, old: str, new: str, moved_fqn: str) -> None:
    row.fqn, row.fqn_hash = moved_fqn, fqns.digest(moved_fqn)
    row.doc["fullyQualifiedName"] = moved_fqn
    for field in ("parent", "classification", "glossary"):
        ref = row.doc.get(field)
        if isinstance(ref, dict) and isinstance(ref.get("fullyQualifiedName"), str):
            moved_ref = labels.renamed(ref["fullyQualifiedName"], old, new)
            if moved_ref is not None:
                ref["fullyQualifiedName"] = moved_ref
                ref["name"] = fqns.split(moved_ref)[-1]
    repo.update(conn, row)
    _reindex(conn, row)


def _relabel(conn: Connection, renames: Mapping[str, str | None]) -> None:
    """Rewrite (or, for None, remove) the labels naming these tags, on every entity that
    carries one of them."""
    if not renames:
        return
    for entity_id in store.carriers(conn, [fqns.digest(name) for name in renames]):
        row = repo.get_by_id(conn, entity_id, lock=True)
        if row is None:
            continue
        for _where, found in labels.label_lists(row.doc):
            found[:] = [_relabelled(label, renames) for label in found if _kept(label, renames)]
        certified = labels.certification_label(row.doc)
        if certified is not None:
            if not _kept(certified, renames):
                row.doc.pop("certification", None)
            else:
                row.doc["certification"]["tagLabel"] = _relabelled(certified, renames)
        repo.update(conn, row)
        _reindex(conn, row)
        store.replace(conn, row.id, row.entity_type, usages(row.doc))


def _kept(label: Any, renames: Mapping[str, str | None]) -> bool:
    return not isinstance(label, dict) or label.get("tagFQN") not in renames or bool(renames[label["tagFQN"]])


def _relabelled(label: Doc, renames: Mapping[str, str | None]) -> Doc:
    moved = renames.get(label.get("tagFQN", ""))
    if moved is None:
        return label
    return {**label, "tagFQN": moved, "name": fqns.split(moved)[-1]}


def _reindex(conn: Connection, row: EntityRow) -> None:
    values = search_document(by_type(row.entity_type), row.id, row.name, row.deleted, row.doc)
    if values is not None:
        search_store.put(conn, **values)


class UsageCounts:
    """``usageCount`` (labels of a tag and the tags below it), ``termCount`` (tags of a
    classification, terms of a glossary) and ``childrenCount`` (terms below a term), computed
    when asked for: from the index and the subtree, never from the whole catalog."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def __call__(self, kind: Kind, doc: Doc, principal: object, fields: frozenset[str] | None) -> Doc:
        if kind.type not in _TAG_TREES or not fields or "id" not in doc:
            return doc
        wanted = {"usageCount", "termCount", "childrenCount"} & kind.entity_fields
        if "*" not in fields:
            wanted &= fields
        if not wanted:
            return doc
        with self._engine.connect() as conn:
            below = _subtree(conn, _TAG_TREES[kind.type], doc["id"])
            counted = [fqns.digest(str(doc["fullyQualifiedName"]))] if kind.type in _SOURCE_OF else []
            counted += [row.fqn_hash for row in below]
            out = dict(doc)
            if "usageCount" in wanted:
                out["usageCount"] = store.count(conn, counted)
            live = sum(1 for row in below if not row.deleted)
            if "termCount" in wanted:
                out["termCount"] = live
            if "childrenCount" in wanted:
                out["childrenCount"] = live
        return out


def _subtree(conn: Connection, tag_type: str, root_id: str) -> list[EntityRow]:
    found: list[EntityRow] = []
    level = [root_id]
    while level:
        rows = repo.ids_of_type(conn, tag_type, level, deleted=None)
        found += rows
        level = [row.id for row in rows]
    return found
