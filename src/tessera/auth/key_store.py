"""The ``signing_key`` table: tessera's JWT signing keys, sealed, with their rotation history.

Plain data access; which key signs and which are published is decided by ``auth.keys``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tessera.storage.schema import signing_key


@dataclass(frozen=True)
class KeyRow:
    kid: str
    created_at: int
    retired_at: int | None
    origin: str


def live_keys(conn: Connection, retired_since: int) -> list[KeyRow]:
    """Keys still signing, or retired at or after ``retired_since`` (epoch ms), newest first."""
    rows = conn.execute(
        sa.select(signing_key.c.kid, signing_key.c.created_at, signing_key.c.retired_at, signing_key.c.origin)
        .where(sa.or_(signing_key.c.retired_at.is_(None), signing_key.c.retired_at >= retired_since))
        .order_by(signing_key.c.created_at.desc(), signing_key.c.kid)
    )
    return [KeyRow(row.kid, row.created_at, row.retired_at, row.origin) for row in rows]


def history(conn: Connection) -> list[KeyRow]:
    rows = conn.execute(
        sa.select(
            signing_key.c.kid, signing_key.c.created_at, signing_key.c.retired_at, signing_key.c.origin
        ).order_by(signing_key.c.created_at.desc(), signing_key.c.kid)
    )
    return [KeyRow(row.kid, row.created_at, row.retired_at, row.origin) for row in rows]


def sealed_keys(conn: Connection, kids: Collection[str]) -> dict[str, str]:
    if not kids:
        return {}
    rows = conn.execute(
        sa.select(signing_key.c.kid, signing_key.c.private_key).where(signing_key.c.kid.in_(sorted(kids)))
    )
    return {row.kid: row.private_key for row in rows}


def all_sealed(conn: Connection) -> dict[str, str]:
    rows = conn.execute(sa.select(signing_key.c.kid, signing_key.c.private_key))
    return {row.kid: row.private_key for row in rows}


def known_kids(conn: Connection) -> set[str]:
    return set(conn.execute(sa.select(signing_key.c.kid)).scalars())


def add_key(
    conn: Connection, kid: str, sealed: str, created_at: int, retired_at: int | None, origin: str
) -> None:
    conn.execute(
        signing_key.insert().values(
            kid=kid, private_key=sealed, created_at=created_at, retired_at=retired_at, origin=origin[:512]
        )
    )


def retire_current(conn: Connection, at: int) -> int:
    """Retire every key still signing; how many were."""
    result = conn.execute(
        signing_key.update().where(signing_key.c.retired_at.is_(None)).values(retired_at=at)
    )
    return int(result.rowcount or 0)


def replace_sealed(conn: Connection, kid: str, sealed: str) -> None:
    conn.execute(signing_key.update().where(signing_key.c.kid == kid).values(private_key=sealed))
