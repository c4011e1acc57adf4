"""Secrets already stored: re-encrypted under the first Fernet key so that an old key can be
retired (``tessera secrets rotate``), and sealed where an older tessera stored them in the clear.

Secrets live sealed inside entity documents (current and past versions). Both passes rewrite
values only: no entity gets a new version, and what callers see does not change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from tessera.catalog.kinds import ALL, by_type
from tessera.secrets.box import MASK, PREFIX, SecretBox
from tessera.secrets.hooks import secret_names, walk
from tessera.storage.rewrite import rewrite_documents


@dataclass
class Rotated:
    documents: int = 0
    secrets: int = 0


def rotate_all(engine: Engine, box: SecretBox) -> Rotated:
    """Re-encrypt every sealed value under the first key, sealing any left in the clear."""
    result = Rotated()

    def rotate(entity_type: str, doc: dict[str, Any]) -> dict[str, Any] | None:
        count = [0]
        rotated = _rotate_sealed(_seal_plain(doc, entity_type, box, count), box, count)
        result.secrets += count[0]
        return rotated if count[0] else None

    result.documents = rewrite_documents(engine, rotate, containing=PREFIX, entity_types=_secret_kinds())
    return result


def seal_plaintext(engine: Engine, box: SecretBox) -> Rotated:
    """Seal secrets an older tessera stored in the clear (it sealed database services only)."""
    result = Rotated()

    def seal(entity_type: str, doc: dict[str, Any]) -> dict[str, Any] | None:
        count = [0]
        sealed = _seal_plain(doc, entity_type, box, count)
        result.secrets += count[0]
        return sealed if count[0] else None

    result.documents = rewrite_documents(engine, seal, entity_types=_secret_kinds())
    return result


def _secret_kinds() -> list[str]:
    return [kind.type for kind in ALL if secret_names(kind)]


def _seal_plain(doc: dict[str, Any], entity_type: str, box: SecretBox, count: list[int]) -> dict[str, Any]:
    names = secret_names(by_type(entity_type))

    def seal(value: str, _previous: Any) -> str:
        if box.is_sealed(value) or value == MASK:
            return value
        count[0] += 1
        return box.seal(value)

    sealed: dict[str, Any] = walk(doc, None, names, seal) if names else doc
    return sealed


def _rotate_sealed(node: Any, box: SecretBox, count: list[int]) -> Any:
    if isinstance(node, str) and node.startswith(PREFIX):
        rotated = box.rotate(node)
        if rotated != node:
            count[0] += 1
        return rotated
    if isinstance(node, dict):
        return {key: _rotate_sealed(value, box, count) for key, value in node.items()}
    if isinstance(node, list):
        return [_rotate_sealed(value, box, count) for value in node]
    return node
