"""Fully qualified names as OpenMetadata's client builds them (``metadata.utils.fqn``).

Parts are joined with ``.``. A part that contains a dot is wrapped in double quotes; a part
already quoted keeps its quotes only if it contains a dot; any other double quote makes the
name invalid (``quote_name`` in OpenMetadata's client, ``FullyQualifiedName.quoteName`` in its
server). The ingestion client computes FQNs on its own, from the API's rules, so that it needs
nothing of the server's code to agree with it.
"""

from __future__ import annotations

import re
from urllib.parse import quote as url_quote

# OpenMetadata's own pattern: a quoted name with at least one character and no quote inside,
# or anything else on one line.
_NAME = re.compile(r'^(")([^"]+)(")$|^(.*)$')


class InvalidName(ValueError):
    """A name no FQN can hold: it contains a double quote (or a line break)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"invalid name {name!r}: a name may not contain a double quote or a line break")
        self.name = name
        self.message = str(self)


def quote(name: str) -> str:
    matched = _NAME.match(name)
    if matched is None or len(matched.group(0)) != len(name):
        raise InvalidName(name)
    if matched.group(1):
        inner = matched.group(2)
        return name if "." in inner else inner
    if '"' in name:
        raise InvalidName(name)
    return f'"{name}"' if "." in name else name


def build(*names: str) -> str:
    return ".".join(quote(name) for name in names)


def child(parent: str, name: str) -> str:
    """``build(*parts, name)`` for an FQN already built from ``parts`` (cheaper than rebuilding)."""
    return f"{parent}.{quote(name)}"


def in_url(fqn: str) -> str:
    # OpenMetadata's client quotes the whole FQN with safe="" ("/" -> %2F, '"' -> %22).
    return url_quote(fqn, safe="")
