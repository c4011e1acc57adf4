"""Related glossary terms are related both ways, as in OpenMetadata, which keeps one
``relatedTo`` relationship per pair and shows it from either term.

tessera keeps ``relatedTerms`` in each term's document, so a write that relates A to B also
writes A into B (and a write that drops B from A drops A from B), inside the same transaction.
B keeps its version: nobody changed B, as OpenMetadata reports no change on the other term.
A term deleted for good leaves the terms it was related to.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Connection

from tessera.catalog import documents
from tessera.catalog.kinds import GLOSSARY_TERM, Kind
from tessera.storage import repository as repo

Doc = dict[str, Any]
RELATED_TO = "relatedTo"


def _related_ids(doc: Doc | None) -> set[str]:
    if doc is None or doc.get("deleted"):
        return set()
    return {
        str(item["term"]["id"])
        for item in doc.get("relatedTerms") or []
        if isinstance(item, dict) and isinstance(item.get("term"), dict) and item["term"].get("id")
    }


class RelatedTermsBothWays:
    """The write listener that mirrors ``relatedTerms`` onto the other term."""

    def written(self, conn: Connection, kind: Kind, doc: Doc, previous: Doc | None) -> None:
        if kind.type != GLOSSARY_TERM.type:
            return
        now, before = _related_ids(doc), _related_ids(previous)
        for other_id in sorted(now - before):
            _mirror(conn, other_id, doc, add=True)
        for other_id in sorted(before - now):
            _mirror(conn, other_id, doc, add=False)

    def removed(self, conn: Connection, kind: Kind, docs: Sequence[Doc], actor: str) -> None:
        if kind.type != GLOSSARY_TERM.type:
            return
        for doc in docs:
            for other_id in sorted(_related_ids({**doc, "deleted": False})):
                _mirror(conn, other_id, doc, add=False)


def _mirror(conn: Connection, other_id: str, term: Doc, *, add: bool) -> None:
    row = repo.get_by_id(conn, other_id, lock=True)
    if row is None or row.entity_type != GLOSSARY_TERM.type:
        return
    related = [
        item
        for item in row.doc.get("relatedTerms") or []
        if not (isinstance(item, dict) and (item.get("term") or {}).get("id") == term["id"])
    ]
    if add:
        related.append({"term": documents.reference(term, GLOSSARY_TERM.type), "relationType": RELATED_TO})
    if related == (row.doc.get("relatedTerms") or []):
        return
    row.doc["relatedTerms"] = related
    repo.update(conn, row)
