"""Re-encrypt every stored secret under the first Fernet key, so an old key can be retired.

Secrets live sealed inside entity documents (current and past versions). Rotation rewrites the
ciphertext only: no entity gets a new version, and what callers see does not change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from tessera.secrets.box import PREFIX, SecretBox
from tessera.storage.rewrite import rewrite_documents


@dataclass
class Rotated:
    documents: int = 0
    secrets: int = 0


def rotate_all(engine: Engine, box: SecretBox) -> Rotated:
    result = Rotated()

    def rotate(doc: dict[str, Any]) -> dict[str, Any] | None:
        count = [0]
        rotated = _walk(doc, box, count)
        result.secrets += count[0]
        return rotated if count[0] else None

    result.documents = rewrite_documents(engine, PREFIX, rotate)
    return result


def _walk(node: Any, box: SecretBox, count: list[int]) -> Any:
    if isinstance(node, str) and node.startswith(PREFIX):
        rotated = box.rotate(node)
        if rotated != node:
            count[0] += 1
        return rotated
    if isinstance(node, dict):
        return {key: _walk(value, box, count) for key, value in node.items()}
    if isinstance(node, list):
        return [_walk(value, box, count) for value in node]
    return node
