"""Search fields a document takes from its parent's, found through the parent.

A table's ``service.name``, ``serviceType``, ``database.*`` and ``databaseSchema.*`` are its
schema's: the same for every table of the schema. Kept as ``search_term`` rows of each table
they were six rows a table, most of what a bulk PUT of new tables wrote. A table's document
now keeps them in its ``inherited`` column (for search_term_count, which still counts them per
table) and a filter on one of them finds the tables through their parent: the schemas that
have the value, then their tables by the entity table's (entity_type, parent_id) index.

A document written before this (``inherited`` NULL) still has its own rows and is found by
them; a document is never counted both ways.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from tessera.storage.schema import entity
from tessera.storage.schema import search_document as d
from tessera.storage.schema import search_term as t

# For a field that names the parent itself: the parent's own name or exact FQN, read from its
# search_document row (whatever the dialect keeps as rows, search_keys).
PARENT_NAME = "<parent name>"
PARENT_FQN = "<parent fqn>"
_PARENT_COLUMNS = {PARENT_NAME: "name", PARENT_FQN: "fqn"}

# Conditions on a stored value, given the column that holds it.
ValueConditions = Callable[[sa.ColumnElement[Any]], list[sa.ColumnElement[bool]]]


@dataclass(frozen=True)
class Inheritance:
    """Documents of ``child`` take ``field`` from their parent of kind ``parent``: its own
    ``parent_field`` (a search_term field, or PARENT_NAME or PARENT_FQN)."""

    child: str
    parent: str
    field: str
    parent_field: str


_TABLE_FROM_SCHEMA = {
    "service.name": "service.name",
    "serviceType": "serviceType",
    "database.name": "database.name",
    "database.fullyQualifiedName": "database.fullyQualifiedName",
    "databaseSchema.name": PARENT_NAME,
    "databaseSchema.fullyQualifiedName": PARENT_FQN,
}
_BY_FIELD: dict[str, list[Inheritance]] = {
    field: [Inheritance("table", "databaseSchema", field, parent_field)]
    for field, parent_field in _TABLE_FROM_SCHEMA.items()
}
# By kind: the stored fields its documents take from their parent.
INHERITED_FIELDS: dict[str, frozenset[str]] = {"table": frozenset(_TABLE_FROM_SCHEMA)}


def inheritances(stored_field: str) -> list[Inheritance]:
    return _BY_FIELD.get(stored_field, [])


def parents_with(inheritance: Inheritance, conditions: ValueConditions) -> sa.Select[Any]:
    """The ids of the parents whose value of the inherited field meets ``conditions``."""
    if inheritance.parent_field in _PARENT_COLUMNS:
        parent = d.alias("parent_document")
        return sa.select(parent.c.entity_id).where(
            parent.c.entity_type == inheritance.parent,
            # Both flags named: an index seek on (entity_type, deleted, name or fqn) for each.
            parent.c.deleted.in_([False, True]),
            *conditions(parent.c[_PARENT_COLUMNS[inheritance.parent_field]]),
        )
    term = t.alias("parent_term")
    return sa.select(term.c.entity_id).where(
        term.c.field == inheritance.parent_field,
        term.c.entity_type == inheritance.parent,
        *conditions(term.c.value),
    )


def children_of(inheritance: Inheritance, parents: sa.Select[Any]) -> sa.Select[Any]:
    child = entity.alias("child_entity")
    return sa.select(child.c.id).where(
        child.c.entity_type == inheritance.child, child.c.parent_id.in_(parents)
    )


def matching(stored_field: str, conditions: ValueConditions) -> list[sa.ColumnElement[bool]]:
    """Conditions on search_document: its document inherits a value of ``stored_field`` that
    meets ``conditions`` (one per kind that inherits the field)."""
    return [
        sa.and_(
            d.c.inherited.is_not(None),
            d.c.entity_id.in_(children_of(inheritance, parents_with(inheritance, conditions))),
        )
        for inheritance in inheritances(stored_field)
    ]


def values_of(inheritance: Inheritance, documents: sa.Select[Any]) -> sa.Select[Any]:
    """One row (``value``) per document of ``documents`` (a select of entity ids) that
    inherits the field, with the value it inherits."""
    child = entity.alias("child_entity")
    if inheritance.parent_field in _PARENT_COLUMNS:
        parent = d.alias("parent_document")
        source = child.join(parent, parent.c.entity_id == child.c.parent_id)
        value: sa.ColumnElement[Any] = parent.c[_PARENT_COLUMNS[inheritance.parent_field]]
        scope = [parent.c.entity_type == inheritance.parent]
    else:
        term = t.alias("parent_term")
        source = child.join(term, term.c.entity_id == child.c.parent_id)
        value = term.c.value
        scope = [term.c.field == inheritance.parent_field, term.c.entity_type == inheritance.parent]
    return (
        sa.select(value.label("value"))
        .select_from(source)
        .where(child.c.entity_type == inheritance.child, child.c.id.in_(documents), *scope)
    )
