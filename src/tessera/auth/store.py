"""The security tables: issued tokens, cache-invalidation events, passwords, lockout, IdP
identities and system settings. Plain data access; the rules live in the services.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tessera.storage.schema import (
    auth_event,
    auth_token,
    credential,
    login_throttle,
    system_setting,
    user_identity,
)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class TokenRecord:
    token_hash: str
    token_type: str
    token_id: str
    user_id: str
    name: str | None
    family_id: str | None
    created_at: int
    expires_at: int | None
    used_at: int | None
    revoked_at: int | None
    secret: str | None


def _record(row: Any) -> TokenRecord:
    return TokenRecord(
        token_hash=row.token_hash,
        token_type=row.token_type,
        token_id=row.token_id,
        user_id=row.user_id,
        name=row.name,
        family_id=row.family_id,
        created_at=row.created_at,
        expires_at=row.expires_at,
        used_at=row.used_at,
        revoked_at=row.revoked_at,
        secret=row.secret,
    )


def add_token(
    conn: Connection,
    *,
    token_hash: str,
    token_type: str,
    token_id: str,
    user_id: str,
    created_at: int,
    expires_at: int | None,
    name: str | None = None,
    family_id: str | None = None,
    secret: str | None = None,
) -> None:
    conn.execute(
        sa.insert(auth_token).values(
            token_hash=token_hash,
            token_type=token_type,
            token_id=token_id,
            user_id=user_id,
            name=name,
            family_id=family_id,
            created_at=created_at,
            expires_at=expires_at,
            secret=secret,
        )
    )


def find_token(conn: Connection, digest: str, *, lock: bool = False) -> TokenRecord | None:
    query = sa.select(auth_token).where(auth_token.c.token_hash == digest)
    if lock and conn.dialect.name != "sqlite":
        query = query.with_for_update()
    row = conn.execute(query).first()
    return _record(row) if row is not None else None


def find_token_by_id(conn: Connection, token_id: str) -> TokenRecord | None:
    row = conn.execute(sa.select(auth_token).where(auth_token.c.token_id == token_id)).first()
    return _record(row) if row is not None else None


def tokens_of(
    conn: Connection, user_id: str, token_type: str | None = None, *, live_only: bool = True
) -> list[TokenRecord]:
    query = sa.select(auth_token).where(auth_token.c.user_id == user_id)
    if token_type is not None:
        query = query.where(auth_token.c.token_type == token_type)
    if live_only:
        query = query.where(auth_token.c.revoked_at.is_(None))
    return [_record(row) for row in conn.execute(query.order_by(auth_token.c.created_at))]


def mark_used(conn: Connection, digest: str, at: int) -> None:
    conn.execute(sa.update(auth_token).where(auth_token.c.token_hash == digest).values(used_at=at))


def revoke(conn: Connection, records: Sequence[TokenRecord], at: int) -> None:
    """Revoke tokens and tell every process to forget them."""
    for record in records:
        conn.execute(
            sa.update(auth_token)
            .where(auth_token.c.token_hash == record.token_hash, auth_token.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        add_event(conn, "token", record.token_hash, at)


def family(conn: Connection, family_id: str) -> list[TokenRecord]:
    query = sa.select(auth_token).where(
        auth_token.c.family_id == family_id, auth_token.c.revoked_at.is_(None)
    )
    return [_record(row) for row in conn.execute(query)]


def add_event(conn: Connection, kind: str, subject: str, at: int) -> None:
    conn.execute(sa.insert(auth_event).values(kind=kind, subject=subject, at=at))


def events_since(conn: Connection, last_id: int, limit: int = 10_000) -> list[tuple[int, str, str]]:
    query = (
        sa.select(auth_event.c.id, auth_event.c.kind, auth_event.c.subject)
        .where(auth_event.c.id > last_id)
        .order_by(auth_event.c.id)
        .limit(limit)
    )
    return [(row.id, row.kind, row.subject) for row in conn.execute(query)]


def last_event_id(conn: Connection) -> int:
    value = conn.execute(sa.select(sa.func.max(auth_event.c.id))).scalar()
    return int(value or 0)


# -- passwords ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Credential:
    user_id: str
    password_hash: str
    set_at: int
    must_change: bool


def get_credential(conn: Connection, user_id: str) -> Credential | None:
    row = conn.execute(sa.select(credential).where(credential.c.user_id == user_id)).first()
    if row is None:
        return None
    return Credential(row.user_id, row.password_hash, row.set_at, bool(row.must_change))


def set_credential(conn: Connection, user_id: str, password_hash: str, at: int, *, must_change: bool) -> None:
    updated = conn.execute(
        sa.update(credential)
        .where(credential.c.user_id == user_id)
        .values(password_hash=password_hash, set_at=at, must_change=must_change)
    )
    if updated.rowcount == 0:
        conn.execute(
            sa.insert(credential).values(
                user_id=user_id, password_hash=password_hash, set_at=at, must_change=must_change
            )
        )


def delete_credential(conn: Connection, user_id: str) -> None:
    conn.execute(sa.delete(credential).where(credential.c.user_id == user_id))


def users_with_passwords(conn: Connection) -> list[str]:
    return list(conn.execute(sa.select(credential.c.user_id)).scalars())


# -- sign-in throttling ---------------------------------------------------------------------


@dataclass(frozen=True)
class Throttle:
    failures: int
    blocked_until: int
    updated_at: int


def throttle(conn: Connection, login: str, source: str, *, lock: bool = False) -> Throttle:
    """Failed sign-ins so far for a login key from a source address (zeros when none)."""
    query = sa.select(
        login_throttle.c.failures, login_throttle.c.blocked_until, login_throttle.c.updated_at
    ).where(login_throttle.c.login == login, login_throttle.c.source == source)
    if lock and conn.dialect.name != "sqlite":
        query = query.with_for_update()
    row = conn.execute(query).first()
    return Throttle(row.failures, row.blocked_until, row.updated_at) if row is not None else Throttle(0, 0, 0)


def set_throttle(
    conn: Connection, login: str, source: str, failures: int, blocked_until: int, at: int
) -> None:
    where = (login_throttle.c.login == login, login_throttle.c.source == source)
    if failures == 0:
        conn.execute(sa.delete(login_throttle).where(*where))
        return
    updated = conn.execute(
        sa.update(login_throttle)
        .where(*where)
        .values(failures=failures, blocked_until=blocked_until, updated_at=at)
    )
    if updated.rowcount == 0:
        conn.execute(
            sa.insert(login_throttle).values(
                login=login, source=source, failures=failures, blocked_until=blocked_until, updated_at=at
            )
        )


# -- IdP identities ----------------------------------------------------------------------------


def find_identity(conn: Connection, provider: str, tenant_id: str, object_id: str) -> str | None:
    query = sa.select(user_identity.c.user_id).where(
        user_identity.c.provider == provider,
        user_identity.c.tenant_id == tenant_id,
        user_identity.c.object_id == object_id,
    )
    return conn.execute(query).scalar()


def identity_of(conn: Connection, provider: str, user_id: str) -> tuple[str, str] | None:
    """The (tenant id, object id) bound to a tessera user, if any (one per provider)."""
    query = sa.select(user_identity.c.tenant_id, user_identity.c.object_id).where(
        user_identity.c.provider == provider, user_identity.c.user_id == user_id
    )
    row = conn.execute(query).first()
    return (row.tenant_id, row.object_id) if row is not None else None


def bind_identity(
    conn: Connection, provider: str, tenant_id: str, object_id: str, user_id: str, at: int
) -> None:
    conn.execute(
        sa.insert(user_identity).values(
            provider=provider, tenant_id=tenant_id, object_id=object_id, user_id=user_id, created_at=at
        )
    )


def delete_identities(conn: Connection, user_id: str) -> None:
    conn.execute(sa.delete(user_identity).where(user_identity.c.user_id == user_id))


# -- settings ----------------------------------------------------------------------------------


def get_setting(conn: Connection, name: str) -> str | None:
    return conn.execute(sa.select(system_setting.c.value).where(system_setting.c.name == name)).scalar()


def put_setting(conn: Connection, name: str, value: str, at: int) -> None:
    updated = conn.execute(
        sa.update(system_setting).where(system_setting.c.name == name).values(value=value, updated_at=at)
    )
    if updated.rowcount == 0:
        conn.execute(sa.insert(system_setting).values(name=name, value=value, updated_at=at))
