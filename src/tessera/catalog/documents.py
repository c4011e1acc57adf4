"""Entity documents: built from create requests, merged on PUT, shaped for responses.

A document is the entity as OpenMetadata's schema defines it, held as plain JSON data. This
module knows the per-kind rules no table in ``kinds`` can express: column FQNs, what a PUT
keeps from the stored entity, and which fields a response carries.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

import orjson

from tessera.catalog import fqn as fqns
from tessera.catalog.kinds import Kind, Ref, RefBy
from tessera.errors import BadRequest, NotFound

Doc = dict[str, Any]

# Written by the server, never taken from a request or a patch.
SERVER_FIELDS = frozenset(
    {"id", "fullyQualifiedName", "version", "updatedAt", "updatedBy", "href", "changeDescription", "deleted"}
)
# Returned whatever `fields` asks for.
ALWAYS_FIELDS = frozenset(
    {"id", "name", "fullyQualifiedName", "version", "updatedAt", "updatedBy", "deleted"}
)


class Resolver(Protocol):
    """Looks referenced entities up; the service implements it over the open transaction."""

    def by_fqn(self, entity_type: str, fqn: str) -> Doc | None: ...

    def by_id(self, entity_type: str, entity_id: str) -> Doc | None: ...


def reference(doc: Mapping[str, Any], entity_type: str) -> Doc:
    ref: Doc = {
        "id": doc["id"],
        "type": entity_type,
        "name": doc["name"],
        "fullyQualifiedName": doc["fullyQualifiedName"],
    }
    for key in ("displayName", "description"):
        if doc.get(key):
            ref[key] = doc[key]
    ref["deleted"] = bool(doc.get("deleted", False))
    return ref


def resolve_parent(kind: Kind, request: Mapping[str, Any], resolver: Resolver) -> Doc | None:
    """The entity that holds the one a request describes: the nested parent it names (a parent
    tag), else its top container (a classification)."""
    if kind.parent is None:
        return None
    if kind.nested is not None and request.get(kind.nested.field) is not None:
        nested = _resolve_one(kind.nested, request[kind.nested.field], resolver, required=True)
        assert nested is not None
        named = request.get(kind.parent.field)
        top = nested.get(kind.parent.field) or {}
        if named is not None and fqns.quote(str(named)) != top.get("fullyQualifiedName"):
            raise BadRequest(
                f"{kind.nested.field} {nested['fullyQualifiedName']} is not in {kind.parent.target} {named}"
            )
        return nested
    return _resolve_one(kind.parent, request.get(kind.parent.field), resolver, required=True)


_IMMUTABLE = frozenset({str, int, float, bool})


def json_copy(value: Any) -> Any:
    """A deep copy of a JSON value. Through orjson it takes a fraction of ``copy.deepcopy``'s
    time (which was an eighth of a bulk PUT); anything that is not plain JSON is deep-copied."""
    if value is None or type(value) in _IMMUTABLE:
        # A request's name, description or type: nothing to copy (most of the fields copied).
        return value
    try:
        return orjson.loads(orjson.dumps(value))
    except orjson.JSONEncodeError:
        return copy.deepcopy(value)


def build(kind: Kind, request: Mapping[str, Any], parent: Doc | None, resolver: Resolver) -> Doc:
    """The entity a create request describes, without the server-written fields."""
    for name in kind.unsupported:
        if request.get(name):
            raise BadRequest(f"{name} is not supported by tessera; remove it from the request")
    doc: Doc = {}
    for name in kind.copied_fields:
        value = request.get(name)
        if value is not None:
            doc[name] = json_copy(value)
    for ref in kind.refs:
        value = request.get(ref.field)
        if value is None:
            continue
        doc[ref.field] = resolved(ref, value, resolver)
    owners = doc.get("owners")
    if owners:
        doc["owners"] = [_resolve_owner(owner, resolver) for owner in owners]
    if parent is not None and kind.parent is not None:
        if kind.nested is not None and request.get(kind.nested.field) is not None:
            doc[kind.nested.field] = reference(parent, kind.nested.target)
            doc[kind.parent.field] = json_copy(parent[kind.parent.field])
        else:
            doc[kind.parent.field] = reference(parent, kind.parent.target)
        for name in kind.inherit:
            if name in parent:
                doc[name] = json_copy(parent[name])
        doc["fullyQualifiedName"] = fqns.build(*fqns.split(parent["fullyQualifiedName"]), request["name"])
    else:
        doc["fullyQualifiedName"] = fqns.quote(request["name"])
    _apply_kind_rules(kind, doc)
    return doc


def prepare(kind: Kind, request: Mapping[str, Any]) -> Mapping[str, Any]:
    """A create request as the writer takes it: a query without a name is named after the
    checksum of its text, as OpenMetadata names it."""
    if kind.type == "query" and not request.get("name") and isinstance(request.get("query"), str):
        return {**request, "name": query_checksum(request["query"])}
    return request


def query_checksum(text: str) -> str:
    # OpenMetadata's checksum of a query's text: an MD5 digest, an identifier and no security.
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _apply_kind_rules(kind: Kind, doc: Doc) -> None:
    if kind.type == "query":
        doc["checksum"] = query_checksum(str(doc.get("query", "")))
    if kind.type == "table":
        set_column_fqns(doc)
    elif kind.type == "user":
        doc["email"] = str(doc["email"]).lower()


def index_keys(kind: Kind, doc: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The (alt_key, subtype) a document is also found by: users their email and bot/user,
    teams their email."""
    if kind.type == "user":
        return str(doc.get("email", "")).lower() or None, "bot" if doc.get("isBot") else "user"
    if kind.type == "team":
        return str(doc.get("email") or "").lower() or None, None
    return None, None


def set_column_fqns(table: Doc) -> None:
    """Column FQNs, and ordinal positions where the request left them out.

    OpenMetadata's client creates a table without ordinal positions and patches them in
    afterwards; deriving them from the column order up front makes its next identical PUT a
    no-op instead of a new version.
    """

    def walk(columns: Iterable[Doc], prefix: str, top: bool) -> None:
        for position, column in enumerate(columns, start=1):
            # fqns.build of the whole path, with the table's part quoted once, not per column.
            fqn = f"{prefix}.{fqns.quote(column['name'])}"
            column["fullyQualifiedName"] = fqn
            if top:
                column.setdefault("ordinalPosition", position)
            if column.get("children"):
                walk(column["children"], fqn, False)

    walk(table.get("columns") or [], fqns.build(*fqns.split(table["fullyQualifiedName"])), True)


def merge_for_put(kind: Kind, existing: Doc, built: Doc, *, keep_descriptions: bool) -> Doc:
    """OpenMetadata's PUT: the request's fields replace the stored ones; what it leaves out stays.

    Descriptions and display names a person wrote survive a re-ingestion that has none (and,
    with ``keep_descriptions``, one that has a different one): ingestion must not erase curation.
    """
    merged: Doc = json_copy(existing)
    for key, value in built.items():
        if key in ("description", "displayName") and (not value or (keep_descriptions and existing.get(key))):
            continue
        merged[key] = value
    if kind.type == "table" and "columns" in built:
        merged["columns"] = _merge_columns(existing.get("columns") or [], built["columns"], keep_descriptions)
    return merged


def _merge_columns(old: list[Doc], new: list[Doc], keep_descriptions: bool) -> list[Doc]:
    by_name = {column["name"]: column for column in old}
    out: list[Doc] = []
    for column in new:
        merged = dict(column)
        previous = by_name.get(column["name"])
        if previous is not None:
            for key in ("description", "displayName"):
                if previous.get(key) and (not column.get(key) or keep_descriptions):
                    merged[key] = previous[key]
            if previous.get("tags") and not column.get("tags"):
                merged["tags"] = previous["tags"]
            if previous.get("children") and column.get("children"):
                merged["children"] = _merge_columns(
                    previous["children"], column["children"], keep_descriptions
                )
        out.append(merged)
    return out


def select_fields(kind: Kind, doc: Mapping[str, Any], fields: frozenset[str] | None) -> Doc:
    """The response for ``fields=``: optional fields only when asked for (``*`` = all)."""
    if fields is not None and "*" in fields:
        return dict(doc)
    wanted = fields or frozenset()
    return {key: value for key, value in doc.items() if key not in kind.optional_fields or key in wanted}


def parse_fields(kind: Kind, raw: str | None) -> frozenset[str] | None:
    if raw is None or raw.strip() == "":
        return None
    names = frozenset(part.strip() for part in raw.split(",") if part.strip())
    if "*" in names:
        return names
    unknown = sorted(names - kind.entity_fields - set(kind.extensions))
    if unknown:
        allowed = sorted({*kind.optional_fields, *kind.extensions})
        raise BadRequest(
            f"Invalid field name(s) {', '.join(unknown)} for {kind.type}; "
            f"allowed: {', '.join(allowed) or 'none'}"
        )
    return names


def _resolve_one(ref: Ref, value: Any, resolver: Resolver, *, required: bool) -> Doc | None:
    if value is None:
        if required:
            raise BadRequest(f"{ref.field} is required")
        return None
    if ref.by is RefBy.REFERENCE:
        if not isinstance(value, Mapping) or "id" not in value:
            raise BadRequest(f"{ref.field} must be an entity reference with an id")
        target_type = str(value.get("type") or ref.target)
        found = resolver.by_id(target_type, str(value["id"]))
        described = f"{target_type} {value['id']}"
    elif ref.by is RefBy.ID:
        found = resolver.by_id(ref.target, str(value))
        described = f"{ref.target} {value}"
    else:
        name = str(value)
        found = resolver.by_fqn(ref.target, name if ref.by is RefBy.FQN else fqns.quote(name))
        described = f"{ref.target} {name}"
    if found is None:
        raise NotFound(f"{ref.field}: {described} not found")
    return found


def resolved(ref: Ref, value: Any, resolver: Resolver) -> Doc | list[Doc]:
    """What a request names in ``ref``, as references to the live entities (a 404 naming the
    first one that does not exist)."""
    if ref.many:
        return [reference(target, ref.target) for target in _resolve_many(ref, value, resolver)]
    target = _resolve_one(ref, value, resolver, required=True)
    assert target is not None
    return reference(target, ref.target)


def _resolve_many(ref: Ref, values: Any, resolver: Resolver) -> list[Doc]:
    if not isinstance(values, list):
        raise BadRequest(f"{ref.field} must be a list")
    out: list[Doc] = []
    for value in values:
        found = _resolve_one(ref, value, resolver, required=True)
        assert found is not None
        out.append(found)
    return out


def _resolve_owner(owner: Mapping[str, Any], resolver: Resolver) -> Doc:
    owner_type = str(owner.get("type", ""))
    if owner_type not in ("user", "team"):
        raise BadRequest(f"owners: an owner must be a user or a team, not {owner_type!r}")
    found = resolver.by_id(owner_type, str(owner.get("id")))
    if found is None:
        raise NotFound(f"owners: {owner_type} {owner.get('id')} not found")
    return reference(found, owner_type)
