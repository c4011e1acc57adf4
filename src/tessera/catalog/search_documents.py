"""What search sees of an entity: its ``search_document`` row, the words in it, and the field
values filters, facets and sorting read (``search_term`` rows).

An entity is found by its name, display name, FQN and description, and a table also by the
names, display names and descriptions of its columns (nested ones included), and by the FQNs
of the tags and glossary terms it or its columns carry. Kinds without a
search index have no search document.

Field values are taken from the entity's document by the dotted paths OpenMetadata's search
documents use (``owners.name``, ``tags.tagFQN``, ``service.name``); a path through a list
collects every element's value. Whatever field a document carries at one of these paths is
indexed; :mod:`tessera.storage.search_query` says how each is compared.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

from tessera import contract
from tessera.catalog import labels
from tessera.catalog.documents import Doc
from tessera.catalog.kinds import Kind
from tessera.storage import search as search_store

# The fields of OpenMetadata's search documents that tessera's documents carry.
INDEXED_PATHS: tuple[str, ...] = (
    "name",
    "displayName",
    "fullyQualifiedName",
    "serviceType",
    "service.name",
    "database.name",
    "database.fullyQualifiedName",
    "databaseSchema.name",
    "databaseSchema.fullyQualifiedName",
    "owners.name",
    "owners.displayName",
    "owners.type",
    "tags.tagFQN",
    "tier.tagFQN",
    "tableType",
    "email",
    "isBot",
    "isAdmin",
    "teamType",
    "teams.name",
    "parent.name",
    "glossary.name",
    "classification.name",
    "domains.name",
    "disabled",
)


def search_document(kind: Kind, entity_id: str, name: str, deleted: bool, doc: Doc) -> dict[str, Any] | None:
    """The ``search_document`` row of an entity (its columns by name, and its ``terms``), or None."""
    if kind.search_index is None:
        return None
    column_texts: list[str] = []
    columns = doc.get("columns")
    if columns:
        _column_texts(columns, column_texts)
    service = (doc.get("service") or {}).get("name") if kind.type != "databaseService" else doc["name"]
    return {
        "entity_id": entity_id,
        "entity_type": kind.type,
        "service": service,
        "deleted": deleted,
        "name": name,
        "fqn": search_store.sort_key(doc.get("fullyQualifiedName") or name),
        "display_name": search_store.sort_key(doc.get("displayName") or name),
        "updated_at": int(doc.get("updatedAt") or 0),
        "body": search_store.searchable_words(
            doc.get("name"),
            doc.get("displayName"),
            doc.get("fullyQualifiedName"),
            doc.get("description"),
            # Each column's texts as they are: the words are split once, not joined and split again.
            *column_texts,
            labels.words(doc),
            # People and teams are looked up by e-mail too (user_search_index, team_search_index).
            doc.get("email") if kind.type in ("user", "team") else None,
        ),
        "terms": search_store.term_rows(
            _fields(doc, _defaults(kind), service if kind.type == "databaseService" else None)
        ),
    }


def _column_texts(columns: Iterable[Doc], texts: list[str]) -> None:
    """The name, display name and description of every column (nested ones after their parent)."""
    for column in columns:
        texts.append(str(column.get("name", "")))
        display_name, description = column.get("displayName"), column.get("description")
        if display_name:
            texts.append(str(display_name))
        if description:
            texts.append(str(description))
        children = column.get("children")
        if children:
            _column_texts(children, texts)


def _fields(doc: Doc, defaults: Mapping[str, Any], service_name: str | None) -> list[tuple[str, Any]]:
    # A list built in one pass, not generators within generators: most paths are absent from a
    # document or end at its first step, and this ran for every entity written.
    fields: list[tuple[str, Any]] = []
    for path, steps in _STEPS:
        node = doc.get(steps[0])
        if node is None:
            if path in defaults and path not in doc:
                # A field left out has its schema's default (isBot: false), as in OpenMetadata's
                # search documents: `isBot:false` finds people whose document never said it.
                fields.append((path, defaults[path]))
            continue
        if len(steps) == 1 and not isinstance(node, list | dict):
            fields.append((path, node))
            continue
        _values(path, node, steps[1:], fields)
    if "tier" not in doc:
        # OpenMetadata keeps the Tier label among the tags and gives search a `tier` of its own.
        for tag in doc.get("tags") or []:
            tag_fqn = tag.get("tagFQN") if isinstance(tag, dict) else None
            if isinstance(tag_fqn, str) and tag_fqn.startswith("Tier."):
                fields.append(("tier.tagFQN", tag_fqn))
    if service_name is not None:
        # A service is in its own service facet, as in OpenMetadata's service indexes.
        fields.append(("service.name", service_name))
    return fields


@functools.cache
def _defaults(kind: Kind) -> Mapping[str, Any]:
    """The indexed top-level fields of ``kind`` whose schema gives them a (non-null) default."""
    properties = contract.schema(kind.entity_schema)["properties"]
    return {
        name: spec["default"]
        for name, spec in properties.items()
        if name in INDEXED_PATHS and isinstance(spec, dict) and spec.get("default") is not None
    }


_STEPS = tuple((path, tuple(path.split("."))) for path in INDEXED_PATHS)


def _values(field: str, node: Any, steps: tuple[str, ...], found: list[tuple[str, Any]]) -> None:
    """Adds ``(field, value)`` for each value at ``steps`` below ``node`` (every element of a list)."""
    if isinstance(node, list):
        for item in node:
            _values(field, item, steps, found)
    elif not steps:
        if node is not None and not isinstance(node, dict):
            found.append((field, node))
    elif isinstance(node, dict) and steps[0] in node:
        _values(field, node[steps[0]], steps[1:], found)
