"""The OpenAPI document (``/openapi.json``), saying what the server really does.

FastAPI derives the document from the route signatures; tessera's catalog routes read their
bodies as JSON validated against OpenMetadata's own schemas (``tessera.contract``), so FastAPI
sees neither bodies nor responses, and it documents 422 where tessera answers 400. This module
completes the document:

- request and response bodies of the catalog's entity routes reference OpenMetadata's JSON
  schemas, each a component (``createTable`` in, ``table`` out), their ``$defs`` hoisted into
  components of their own (OpenAPI 3.1 schemas are JSON Schema 2020-12, where ``#/$defs/X``
  would resolve against the whole document);
- every validation failure is documented as the 400 it is, in the one error shape
  ``{"code", "message"}`` (``api.http_errors``); protected operations also list 401 and 403;
- operations anyone may call (the authentication middleware's public paths, and everything
  outside ``/api``) carry an empty security requirement, the others the bearer token.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Iterable
from typing import Any

import orjson
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from tessera import contract
from tessera.api.middleware import PUBLIC_PATHS
from tessera.catalog.kinds import Kind

ERROR = "Error"
_LOCAL_REF = re.compile(r'"#/\$defs/([^"]+)"')
_FASTAPI_VALIDATION = ("HTTPValidationError", "ValidationError")


def document(app: FastAPI, kinds: Iterable[Kind]) -> dict[str, Any]:
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    if app.servers:
        schema["servers"] = app.servers
    components = schema.setdefault("components", {})
    components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
    schema["security"] = [{"bearer": []}]
    schemas: dict[str, Any] = components.setdefault("schemas", {})
    for name in _FASTAPI_VALIDATION:
        schemas.pop(name, None)
    schemas[ERROR] = {
        "type": "object",
        "description": "Every error tessera sends: the HTTP status again, and what to fix.",
        "required": ["code", "message"],
        "properties": {"code": {"type": "integer"}, "message": {"type": "string"}},
    }
    hoisted = _Hoisted(schemas)
    for kind in kinds:
        _describe_kind(schema["paths"], kind, hoisted)
    for path, item in schema["paths"].items():
        public = path in PUBLIC_PATHS or not path.startswith("/api/")
        for operation in item.values():
            _statuses(operation, public=public)
    return schema


def _statuses(operation: dict[str, Any], *, public: bool) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    responses.pop("422", None)
    responses["400"] = _error("The request is malformed; the message names the field.")
    if public:
        operation["security"] = []
    else:
        responses["401"] = _error("No valid token (or session) was sent.")
        responses["403"] = _error("The caller may not do this.")


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR}"}}},
    }


def _describe_kind(paths: dict[str, Any], kind: Kind, hoisted: _Hoisted) -> None:
    collection = f"/api/v1/{kind.collection}"
    entity = hoisted.ref(kind.entity_schema)
    listing = {
        "type": "object",
        "properties": {
            "data": {"type": "array", "items": entity},
            "paging": {
                "type": "object",
                "properties": {
                    "total": {"type": "integer"},
                    "before": {"type": "string"},
                    "after": {"type": "string"},
                },
            },
        },
    }
    _respond(paths, collection, "get", "200", listing)
    for path in (f"{collection}/{{entity_id}}", f"{collection}/name/{{fqn}}"):
        _respond(paths, path, "get", "200", entity)
    _respond(paths, f"{collection}/{{entity_id}}/versions/{{version}}", "get", "200", entity)
    _respond(paths, f"{collection}/{{entity_id}}", "patch", "200", entity)
    patch = paths.get(f"{collection}/{{entity_id}}", {}).get("patch")
    if patch is not None:
        patch["requestBody"] = {
            "required": True,
            "description": "A JSON Patch (RFC 6902), as OpenMetadata's client sends it.",
            "content": {"application/json-patch+json": {"schema": _JSON_PATCH}},
        }
    if kind.create_schema is None:
        return
    create = hoisted.ref(kind.create_schema)
    for method, statuses in (("post", ("201",)), ("put", ("200", "201"))):
        operation = paths.get(collection, {}).get(method)
        if operation is None:
            continue
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": create}}}
        for status in statuses:
            _respond(paths, collection, method, status, entity)


def _respond(paths: dict[str, Any], path: str, method: str, status: str, body: dict[str, Any]) -> None:
    operation = paths.get(path, {}).get(method)
    if operation is None:
        return
    described = "Created" if status == "201" else "Successful Response"
    response = operation.setdefault("responses", {}).setdefault(status, {"description": described})
    response["content"] = {"application/json": {"schema": body}}


_JSON_PATCH: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["op", "path"],
        "properties": {
            "op": {"enum": ["add", "remove", "replace", "move", "copy", "test"]},
            "path": {"type": "string"},
            "from": {"type": "string"},
            "value": {},
        },
    },
}


class _Hoisted:
    """OpenMetadata's schemas as components: each schema under its own name, each of its
    ``$defs`` under the def's name, shared between schemas when it is the same definition all
    the way down (what it references included) and prefixed with the schema's name otherwise."""

    def __init__(self, schemas: dict[str, Any]) -> None:
        self.schemas = schemas
        self._by_identity: dict[str, str] = {}

    def ref(self, name: str) -> dict[str, Any]:
        if name not in self.schemas:
            self._add(name)
        return {"$ref": f"#/components/schemas/{name}"}

    def _add(self, name: str) -> None:
        raw = copy.deepcopy(contract.schema(name))
        defs: dict[str, Any] = raw.pop("$defs", {})
        texts = {key: orjson.dumps(body, option=orjson.OPT_SORT_KEYS) for key, body in defs.items()}
        names: dict[str, str] = {}
        for key in defs:
            identity = _identity(key, texts)
            component = self._by_identity.get(identity)
            if component is None:
                component = key if key not in self.schemas and key != name else f"{name}.{key}"
                self._by_identity[identity] = component
                self.schemas[component] = None  # reserved; filled below
            names[key] = component
        for key, body in defs.items():
            if self.schemas[names[key]] is None:
                self.schemas[names[key]] = _rewrite(body, names)
        self.schemas[name] = _rewrite(raw, names)


def _identity(key: str, texts: dict[str, bytes]) -> str:
    """A definition and everything it reaches, so equal identities mean equal meanings."""
    seen = {key}
    pending = [key]
    while pending:
        for found in _LOCAL_REF.findall(texts[pending.pop()].decode()):
            if found not in seen and found in texts:
                seen.add(found)
                pending.append(found)
    digest = hashlib.sha256(key.encode())
    for reached in sorted(seen):
        digest.update(reached.encode() + b"\0" + texts[reached] + b"\0")
    return digest.hexdigest()


def _rewrite(node: Any, names: dict[str, str]) -> Any:
    if isinstance(node, dict):
        rewritten = {key: _rewrite(value, names) for key, value in node.items()}
        ref = rewritten.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            rewritten["$ref"] = f"#/components/schemas/{names[ref.removeprefix('#/$defs/')]}"
        return rewritten
    if isinstance(node, list):
        return [_rewrite(item, names) for item in node]
    return node
