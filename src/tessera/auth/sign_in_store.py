"""The tables of sign-in beyond the guide: memberships the identity provider granted, and the
confidential client's sessions. Plain data access; the rules live in ``memberships`` and
``sessions``.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tessera.storage.schema import idp_membership, web_session


@dataclass(frozen=True)
class IdpMembership:
    user_id: str
    kind: str
    target_id: str
    target_name: str
    sources: tuple[str, ...]
    granted_at: int


def memberships_of(conn: Connection, user_id: str) -> list[IdpMembership]:
    rows = conn.execute(
        sa.select(idp_membership)
        .where(idp_membership.c.user_id == user_id)
        .order_by(idp_membership.c.kind, idp_membership.c.target_name)
    )
    return [
        IdpMembership(
            user_id=row.user_id,
            kind=row.kind,
            target_id=row.target_id,
            target_name=row.target_name,
            sources=tuple(orjson.loads(row.sources)),
            granted_at=row.granted_at,
        )
        for row in rows
    ]


def put_membership(conn: Connection, membership: IdpMembership) -> None:
    """Insert or replace (the sources of an existing mark change with the token)."""
    delete_membership(conn, membership.user_id, membership.kind, membership.target_id)
    conn.execute(
        sa.insert(idp_membership).values(
            user_id=membership.user_id,
            kind=membership.kind,
            target_id=membership.target_id,
            target_name=membership.target_name,
            sources=orjson.dumps(sorted(membership.sources)).decode(),
            granted_at=membership.granted_at,
        )
    )


def delete_membership(conn: Connection, user_id: str, kind: str, target_id: str) -> None:
    conn.execute(
        sa.delete(idp_membership).where(
            idp_membership.c.user_id == user_id,
            idp_membership.c.kind == kind,
            idp_membership.c.target_id == target_id,
        )
    )


@dataclass(frozen=True)
class WebSession:
    id_hash: str
    user_id: str
    created_at: int
    expires_at: int
    refresh_due_at: int
    refresh_token: str | None
    login_hint: str | None
    revoked_at: int | None


def add_session(conn: Connection, session: WebSession) -> None:
    conn.execute(
        sa.insert(web_session).values(
            id_hash=session.id_hash,
            user_id=session.user_id,
            created_at=session.created_at,
            expires_at=session.expires_at,
            refresh_due_at=session.refresh_due_at,
            refresh_token=session.refresh_token,
            login_hint=session.login_hint,
            revoked_at=session.revoked_at,
        )
    )


def find_session(conn: Connection, id_hash: str) -> WebSession | None:
    row = conn.execute(sa.select(web_session).where(web_session.c.id_hash == id_hash)).first()
    if row is None:
        return None
    return WebSession(
        id_hash=row.id_hash,
        user_id=row.user_id,
        created_at=row.created_at,
        expires_at=row.expires_at,
        refresh_due_at=row.refresh_due_at,
        refresh_token=row.refresh_token,
        login_hint=row.login_hint,
        revoked_at=row.revoked_at,
    )


def refreshed(conn: Connection, id_hash: str, *, refresh_token: str | None, refresh_due_at: int) -> None:
    values: dict[str, object] = {"refresh_due_at": refresh_due_at}
    if refresh_token is not None:
        # Entra rotates refresh tokens; one that comes back without a new one keeps the old.
        values["refresh_token"] = refresh_token
    conn.execute(sa.update(web_session).where(web_session.c.id_hash == id_hash).values(**values))


def revoke_session(conn: Connection, id_hash: str, at: int) -> None:
    conn.execute(
        sa.update(web_session)
        .where(web_session.c.id_hash == id_hash, web_session.c.revoked_at.is_(None))
        .values(revoked_at=at, refresh_token=None)
    )


def delete_ended(conn: Connection, before: int) -> int:
    """Forget sessions that expired or were revoked before ``before`` (epoch ms)."""
    result = conn.execute(
        sa.delete(web_session).where(
            sa.or_(web_session.c.expires_at < before, web_session.c.revoked_at < before)
        )
    )
    return int(result.rowcount or 0)
