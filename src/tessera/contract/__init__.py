"""OpenMetadata's API contract as data.

``schemas/`` holds the JSON Schema of every OpenMetadata model tessera serves, produced by
``tools/extract_contract.py`` from the models that ship in openmetadata-ingestion (version in
``schemas/index.json``). Requests are validated against them, so an unknown field or a bad
value gets a 400 that names it, exactly where OpenMetadata's own client would reject it.

This package is data and imports nothing else of tessera: the server and the ingestion client
both read it. Turning problems into a refusal is the caller's business
(``tessera.catalog.validation`` for the server).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from importlib import resources
from typing import Any

import jsonschema_rs


@functools.cache
def schema(name: str) -> dict[str, Any]:
    text = resources.files(__package__).joinpath("schemas", f"{name}.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@functools.cache
def _validator(name: str) -> Any:
    return jsonschema_rs.validator_for(schema(name))


def errors(name: str, payload: Any) -> list[str]:
    """Every way ``payload`` breaks the schema ``name``, each naming the field."""
    validator = _validator(name)
    # The common case first: checking a valid payload is a fifth of the cost of listing errors.
    if validator.is_valid(payload):
        return []
    return _describe(validator.iter_errors(payload))


def _describe(found_errors: Any) -> list[str]:
    found: list[str] = []
    for top in found_errors:
        for error in _closest(top):
            where = _path(list(error.instance_path))
            found.append(f"{where}: {_reword(error.message)}" if where else _reword(error.message))
    return list(dict.fromkeys(found))


def _closest(error: Any) -> list[Any]:
    """For "not valid under any of the schemas" (a connection's ``config`` is one of sixty), the
    errors of the alternative the payload meant: the one whose ``type`` it names, with the fewest
    and deepest problems. So a misspelt field is named, not the whole anyOf."""
    branches = getattr(error.kind, "context", None)
    if not branches:
        return [error]
    candidates = [[leaf for branch_error in branch for leaf in _closest(branch_error)] for branch in branches]
    candidates = [leaves for leaves in candidates if leaves] or [[error]]
    return min(candidates, key=_distance)


def _distance(leaves: list[Any]) -> tuple[bool, bool, int, int]:
    names_another_type = any(_misses_discriminator(leaf) for leaf in leaves)
    only_not_null = all(type(leaf.kind).__name__ == "Type" and '"null"' in leaf.message for leaf in leaves)
    return (
        names_another_type,
        only_not_null,
        len(leaves),
        -max(len(list(leaf.instance_path)) for leaf in leaves),
    )


def _misses_discriminator(leaf: Any) -> bool:
    path = list(leaf.instance_path)
    return bool(path) and path[-1] == "type" and type(leaf.kind).__name__ in ("Enum", "Constant", "Type")


def definition_errors(name: str, definition: str, payload: Any) -> list[str]:
    """:func:`errors` against one of schema ``name``'s ``$defs`` (a part of a bigger document)."""
    return _describe(_definition_validator(name, definition).iter_errors(payload))


@functools.cache
def _definition_validator(name: str, definition: str) -> Any:
    defs = schema(name).get("$defs", {})
    if definition not in defs:
        raise KeyError(f"{name} has no definition {definition}")
    return jsonschema_rs.validator_for({"$defs": defs, "$ref": f"#/$defs/{definition}"})


def summary(problems: list[str], *, what: str = "request") -> str:
    """One message for a list of :func:`errors`: the first five, and how many more."""
    shown = "; ".join(problems[:5])
    more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
    return f"Invalid {what}: {shown}{more}"


def _path(parts: list[str | int]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _reword(message: str) -> str:
    # jsonschema words unknown fields as "Additional properties are not allowed ('x' was
    # unexpected)"; OpenMetadata users know them as unrecognized fields.
    if message.startswith("Additional properties are not allowed"):
        return "unrecognized field(s) " + message.split("(", 1)[1].rstrip(")").replace(" was unexpected", "")
    return message


@functools.cache
def secret_field_names(name: str) -> frozenset[str]:
    """Names of properties declared ``format: password`` anywhere in schema ``name``."""
    return frozenset(_password_properties(schema(name)))


def _password_properties(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in (node.get("properties") or {}).items():
            if _is_password(value):
                yield key
        for value in node.values():
            yield from _password_properties(value)
    elif isinstance(node, list):
        for value in node:
            yield from _password_properties(value)


def _is_password(prop: Any) -> bool:
    if not isinstance(prop, dict):
        return False
    if prop.get("format") == "password":
        return True
    return any(_is_password(option) for option in prop.get("anyOf", []) + prop.get("oneOf", []))
