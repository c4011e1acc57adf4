"""Fully qualified names, built and split exactly as OpenMetadata does.

Parts are joined with ``.``. A part that contains a dot is wrapped in double quotes; a quoted
part without a dot is unquoted; any other double quote inside a part is invalid. This mirrors
OpenMetadata's ``FullyQualifiedName.quoteName`` so FQNs computed by its client and by us agree.
"""

from __future__ import annotations

import hashlib

from tessera.errors import BadRequest


def quote(name: str) -> str:
    if name.startswith('"') and name.endswith('"') and len(name) >= 2:
        inner = name[1:-1]
        if '"' in inner:
            raise BadRequest(f"Invalid name {name!r}: a name may not contain a double quote")
        return name if "." in inner else inner
    if '"' in name:
        raise BadRequest(f"Invalid name {name!r}: a name may not contain a double quote")
    return f'"{name}"' if "." in name else name


def unquote(part: str) -> str:
    if len(part) >= 2 and part.startswith('"') and part.endswith('"'):
        return part[1:-1]
    return part


def build(*names: str) -> str:
    return ".".join(quote(name) for name in names)


def split(fqn: str) -> list[str]:
    """Split an FQN into its (unquoted) parts; raise BadRequest for an unbalanced quote."""
    parts: list[str] = []
    current: list[str] = []
    in_quotes = False
    for char in fqn:
        if char == '"':
            in_quotes = not in_quotes
            current.append(char)
        elif char == "." and not in_quotes:
            parts.append(unquote("".join(current)))
            current = []
        else:
            current.append(char)
    if in_quotes:
        raise BadRequest(f"Invalid fully qualified name {fqn!r}: unbalanced double quote")
    parts.append(unquote("".join(current)))
    if any(part == "" for part in parts):
        raise BadRequest(f"Invalid fully qualified name {fqn!r}: empty part")
    return parts


def parent(fqn: str) -> str | None:
    parts = split(fqn)
    return build(*parts[:-1]) if len(parts) > 1 else None


def digest(fqn: str) -> str:
    return hashlib.sha256(fqn.encode("utf-8")).hexdigest()
