"""One IdP identity per user and provider: a unique index on user_identity (user_id, provider).

It replaces the plain index on user_id (lookups by user_id still use it). Before 0004 an email
match could bind a second Entra identity to a user already bound to another one (an account
takeover, fixed in tessera.auth.identity). Such duplicates are resolved here by keeping each
user's oldest binding (the smallest created_at; ties broken by tenant and object id), the one
the user's own first sign-in made, and deleting the later ones: whoever signed in through a
deleted binding is refused at the next sign-in, with a message saying what an administrator
can do.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

user_identity = sa.table(
    "user_identity",
    sa.column("provider", sa.String),
    sa.column("tenant_id", sa.String),
    sa.column("object_id", sa.String),
    sa.column("user_id", sa.String),
    sa.column("created_at", sa.BigInteger),
)


def upgrade() -> None:
    # Done row by row rather than with one DELETE ... WHERE (SELECT ...): MySQL refuses a
    # subquery on the table being deleted from, and there is one row per person at most.
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(user_identity).order_by(
            user_identity.c.provider,
            user_identity.c.user_id,
            user_identity.c.created_at,
            user_identity.c.tenant_id,
            user_identity.c.object_id,
        )
    ).all()
    seen: set[tuple[str, str]] = set()
    for row in rows:
        key = (row.provider, row.user_id)
        if key not in seen:
            seen.add(key)
            continue
        conn.execute(
            sa.delete(user_identity).where(
                user_identity.c.provider == row.provider,
                user_identity.c.tenant_id == row.tenant_id,
                user_identity.c.object_id == row.object_id,
            )
        )
    op.create_index("uq_user_identity_user", "user_identity", ["user_id", "provider"], unique=True)
    op.drop_index("ix_user_identity_user", table_name="user_identity")


def downgrade() -> None:
    # The deleted duplicates are not restored.
    op.create_index("ix_user_identity_user", "user_identity", ["user_id"])
    op.drop_index("uq_user_identity_user", table_name="user_identity")
