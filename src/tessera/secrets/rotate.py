"""Re-encrypt every stored secret under the first Fernet key, so an old key can be retired.

Secrets live sealed inside entity documents (current and past versions). Rotation rewrites the
ciphertext only: no entity gets a new version, and what callers see does not change.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tessera.secrets.box import PREFIX, SecretBox
from tessera.storage.db import write_transaction
from tessera.storage.schema import entity, entity_version

_BATCH = 500


@dataclass
class Rotated:
    documents: int = 0
    secrets: int = 0


def rotate_all(engine: Engine, box: SecretBox) -> Rotated:
    result = Rotated()
    for table, keys in (
        (entity, (entity.c.id,)),
        (entity_version, (entity_version.c.entity_id, entity_version.c.version)),
    ):
        for rows in _batches(engine, table, keys):
            with write_transaction(engine) as conn:
                for row in rows:
                    doc = orjson.loads(row.doc)
                    count = [0]
                    rotated = _walk(doc, box, count)
                    if count[0] == 0:
                        continue
                    where = sa.and_(*(column == getattr(row, column.name) for column in keys))
                    conn.execute(sa.update(table).where(where).values(doc=orjson.dumps(rotated).decode()))
                    result.documents += 1
                    result.secrets += count[0]
    return result


def _batches(engine: Engine, table: sa.Table, keys: tuple[Any, ...]) -> Iterator[list[Any]]:
    query = sa.select(*keys, table.c.doc).where(table.c.doc.contains(PREFIX)).order_by(*keys)
    with engine.connect() as conn:
        rows = list(conn.execute(query).all())
    for start in range(0, len(rows), _BATCH):
        yield rows[start : start + _BATCH]


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
