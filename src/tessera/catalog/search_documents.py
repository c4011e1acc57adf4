"""What search sees of an entity: the fields of its ``search_document`` row and the words in it.

An entity is found by its name, display name, FQN and description, and a table also by the
names, display names and descriptions of its columns (nested ones included), and by the FQNs
of the tags and glossary terms it or its columns carry. Kinds without a
search index have no search document.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tessera.catalog import labels
from tessera.catalog.documents import Doc
from tessera.catalog.kinds import Kind
from tessera.storage import search as search_store


def search_document(kind: Kind, entity_id: str, name: str, deleted: bool, doc: Doc) -> dict[str, Any] | None:
    """The ``search_document`` row of an entity (its columns by name), or None."""
    if kind.search_index is None:
        return None
    column_words = " ".join(
        f"{c.get('name', '')} {c.get('displayName') or ''} {c.get('description') or ''}"
        for c in _all_columns(doc.get("columns") or [])
    )
    service = (doc.get("service") or {}).get("name") if kind.type != "databaseService" else doc["name"]
    return {
        "entity_id": entity_id,
        "entity_type": kind.type,
        "service": service,
        "deleted": deleted,
        "name": name,
        "body": search_store.searchable_words(
            doc.get("name"),
            doc.get("displayName"),
            doc.get("fullyQualifiedName"),
            doc.get("description"),
            column_words,
            labels.words(doc),
        ),
    }


def _all_columns(columns: Iterable[Doc]) -> Iterable[Doc]:
    for column in columns:
        yield column
        yield from _all_columns(column.get("children") or [])
