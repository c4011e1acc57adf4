"""Security: issued tokens, cache-invalidation events, credentials, lockout, IdP identities,
system settings and the audit log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

AutoId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("entity") as batch:
        batch.add_column(sa.Column("alt_key", sa.String(320), nullable=True))
        batch.add_column(sa.Column("subtype", sa.String(32), nullable=True))
    op.create_index("ix_entity_alt_key", "entity", ["entity_type", "alt_key"])
    op.create_table(
        "auth_token",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("token_type", sa.String(32), nullable=False),
        sa.Column("token_id", sa.String(36), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(256), nullable=True),
        sa.Column("family_id", sa.String(36), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=True),
        sa.Column("used_at", sa.BigInteger(), nullable=True),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.Column("secret", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name="pk_auth_token"),
        sa.UniqueConstraint("token_id", name="uq_auth_token_token_id"),
    )
    op.create_index("ix_auth_token_user", "auth_token", ["user_id", "token_type"])
    op.create_index("ix_auth_token_family", "auth_token", ["family_id"])
    op.create_table(
        "auth_event",
        sa.Column("id", AutoId, nullable=False, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_auth_event"),
    )
    op.create_table(
        "credential",
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("set_at", sa.BigInteger(), nullable=False),
        sa.Column("must_change", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_credential"),
    )
    op.create_table(
        "login_attempt",
        sa.Column("login", sa.String(320), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("blocked_until", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("login", name="pk_login_attempt"),
    )
    op.create_table(
        "user_identity",
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("object_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("provider", "tenant_id", "object_id", name="pk_user_identity"),
    )
    op.create_index("ix_user_identity_user", "user_identity", ["user_id"])
    op.create_table(
        "system_setting",
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_system_setting"),
    )
    op.create_table(
        "audit_event",
        sa.Column("id", AutoId, nullable=False, autoincrement=True),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.String(320), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target_type", sa.String(64), nullable=True),
        sa.Column("target", sa.String(512), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_event"),
    )
    op.create_index("ix_audit_event_at", "audit_event", ["at"])


def downgrade() -> None:
    op.drop_index("ix_entity_alt_key", "entity")
    with op.batch_alter_table("entity") as batch:
        batch.drop_column("subtype")
        batch.drop_column("alt_key")
    for table in ("audit_event", "system_setting", "user_identity", "login_attempt", "credential", "auth_event", "auth_token"):
        op.drop_table(table)
