"""Response shapes: the fields an entity carries on its way out, with OpenMetadata's defaults.

OpenMetadata's server builds responses from its generated Java classes: a scalar the JSON
schema gives a default (``deleted: false``, a team's ``isJoinable: true``) is always there, and
a relationship field asked for with ``fields=`` is always there too, as ``[]`` when empty
(``EntityRepository.setFieldsInternal`` fetches it from the relationship table as a list; fields
not asked for are nulled and left out). OpenMetadata's client depends on it: it computes JSON
Patches against the entity it read, and an ``add /owners/0`` on a list that was not there fails.

Everything here is derived from the vendored schemas (``tessera.contract``) and the kind table,
so a kind added to ``kinds`` gets its shape without code of its own.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Mapping
from typing import Any

from tessera import contract
from tessera.catalog.kinds import Kind

Doc = dict[str, Any]
# Written by the server on every entity whatever the schema says.
_SERVER_WRITTEN = frozenset({"id", "version", "updatedAt", "updatedBy", "href", "changeDescription"})


@functools.cache
def _resolved(schema_name: str, field: str) -> dict[str, Any]:
    """The schema of an entity property with ``$ref`` followed and ``null`` alternatives dropped."""
    schema = contract.schema(schema_name)
    node: dict[str, Any] = schema["properties"][field]
    defs = schema.get("$defs", {})
    for _ in range(8):
        options = [o for o in node.get("anyOf", []) if o.get("type") != "null"]
        if len(options) == 1:
            node = options[0]
        elif "$ref" in node:
            node = defs[node["$ref"].rsplit("/", 1)[-1]]
        else:
            return node
    return node


# Lists OpenMetadata reads from its relationship table when asked for (owners, followers, tags,
# domains, children, ...): always a list, empty when there is nothing. Lists it keeps in the
# entity's JSON (tableConstraints) stay out when the entity has none, as there.
_RELATIONSHIP_ITEMS = frozenset({"EntityReference", "TagLabel"})


def _is_relationship_list(schema_name: str, field: str) -> bool:
    node = _resolved(schema_name, field)
    item = str((node.get("items") or {}).get("$ref", "")).rsplit("/", 1)[-1]
    return node.get("type") == "array" and item in _RELATIONSHIP_ITEMS


@functools.cache
def empty_votes() -> Doc:
    """``votes`` of an entity nobody voted on: the Votes schema's defaults, lists empty."""
    out: Doc = {}
    for name, prop in contract.schema("votes")["properties"].items():
        default = prop.get("default")
        out[name] = default if default is not None else []
    return out


def new_votes() -> Doc:
    """A fresh :func:`empty_votes` to fill in."""
    return {key: list(value) if isinstance(value, list) else value for key, value in empty_votes().items()}


@functools.cache
def requested_defaults(kind: Kind) -> dict[str, Any]:
    """What each field served on request is when the entity has none: ``[]`` for relationship
    lists, the empty ``votes``."""
    out: dict[str, Any] = {}
    for field in kind.optional_fields:
        if field not in kind.entity_fields:
            continue
        if _resolved(kind.entity_schema, field).get("title") == "Votes":
            out[field] = empty_votes()
        elif _is_relationship_list(kind.entity_schema, field):
            out[field] = []
    return out


@functools.cache
def default_fields(kind: Kind) -> dict[str, Any]:
    """Schema defaults of the fields every response carries (``isBot: false``, ...)."""
    out: dict[str, Any] = {}
    properties = contract.schema(kind.entity_schema)["properties"]
    for field, prop in properties.items():
        if field in kind.optional_fields or field in _SERVER_WRITTEN:
            continue
        default = _typed_default(prop)
        if default is not None and not isinstance(default, dict):
            out[field] = default
    return out


def _typed_default(prop: dict[str, Any]) -> Any:
    """The property's default as its own type: some of OpenMetadata's schemas write a boolean's
    default as a string (a tag's ``mutuallyExclusive: "false"``), which its Java server reads as
    the boolean and its Python client would refuse as sent."""
    default = prop.get("default")
    if not isinstance(default, str):
        return default
    types = {prop.get("type")} | {alt.get("type") for alt in prop.get("anyOf", []) if isinstance(alt, dict)}
    if "string" in types or not types - {None}:
        return default
    try:
        return json.loads(default)
    except ValueError:
        return None


def allowed_fields(kind: Kind) -> frozenset[str]:
    """Names ``fields=`` accepts: the entity's properties, as OpenMetadata's ``Fields`` does."""
    return kind.entity_fields


def shape(kind: Kind, doc: Mapping[str, Any], fields: frozenset[str] | None, *, skip: frozenset[str]) -> Doc:
    """``doc`` with every default a response carries: the schema's scalars always, and the
    empty value of each field requested (``*``: all of them) that the entity lacks.

    ``skip`` names requested fields computed elsewhere that were not computed (the expansions a
    ``*`` does not compute): left out rather than reported empty when they are not.
    """
    out = dict(doc)
    for field, default in default_fields(kind).items():
        if out.get(field) is None:
            out[field] = copy.deepcopy(default)
    if not fields:
        return out
    every = "*" in fields
    for field, empty in requested_defaults(kind).items():
        if (every or field in fields) and field not in skip and out.get(field) is None:
            out[field] = copy.deepcopy(empty)
    if (every or "tags" in fields) and isinstance(out.get("columns"), list):
        # OpenMetadata sets each column's tags with the table's (getColumnTags).
        out["columns"] = _columns_with_tags(out["columns"])
    return out


def _columns_with_tags(columns: list[Any]) -> list[Any]:
    out: list[Any] = []
    for column in columns:
        if not isinstance(column, dict):
            out.append(column)
            continue
        column = dict(column)
        if column.get("tags") is None:
            column["tags"] = []
        if isinstance(column.get("children"), list):
            column["children"] = _columns_with_tags(column["children"])
        out.append(column)
    return out


# Read from relations (catalog.relations), never stored in the entity: a patch cannot set them.
RELATION_FIELDS = frozenset({"followers", "votes", "follows", "owns", "childrenCount", "userCount"})


def patch_base(kind: Kind, doc: Mapping[str, Any], *, skip: frozenset[str]) -> Doc:
    """The entity a JSON Patch applies to: as the client read it with ``fields=*``, empty lists
    included. OpenMetadata applies a patch to the entity with its fields set, and its client
    diffs against what it read: ``add /owners/0`` needs the ``owners: []`` it saw."""
    return shape(kind, doc, frozenset({"*"}), skip=skip)


def unshape(patched: Mapping[str, Any], stored: Mapping[str, Any], base: Mapping[str, Any]) -> Doc:
    """What to store of a patched entity: the defaults :func:`patch_base` added and the patch
    left as they were go again, so an unrelated patch changes nothing else."""
    out = {key: value for key, value in patched.items() if key not in RELATION_FIELDS or key in stored}
    for key in base.keys() - stored.keys():
        if key in out and out[key] == base[key]:
            del out[key]
    if isinstance(out.get("columns"), list):
        out["columns"] = _columns_without_added_tags(out["columns"], stored.get("columns"))
    return out


def _columns_without_added_tags(columns: list[Any], stored: Any) -> list[Any]:
    """Columns with the ``tags: []`` :func:`shape` gave them dropped again where none were stored."""
    before = {c.get("name"): c for c in stored or [] if isinstance(c, dict)}
    out: list[Any] = []
    for column in columns:
        if not isinstance(column, dict):
            out.append(column)
            continue
        previous = before.get(column.get("name"), {})
        column = dict(column)
        if column.get("tags") == [] and "tags" not in previous:
            del column["tags"]
        if isinstance(column.get("children"), list):
            column["children"] = _columns_without_added_tags(column["children"], previous.get("children"))
        out.append(column)
    return out
