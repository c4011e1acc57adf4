"""Sign-in beyond the guide: idp_membership marks the memberships Entra app roles and groups
granted (the only ones a sign-in ever removes), web_session holds the confidential client's
sessions (the cookie's hash, the person, the sealed refresh token).

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-10
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
# 0006 is another branch's; when both are merged this revises 0006 instead.
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idp_membership",
        sa.Column("user_id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("target_id", sa.String(64), primary_key=True),
        sa.Column("target_name", sa.String(256), nullable=False),
        sa.Column("sources", sa.Text(), nullable=False),
        sa.Column("granted_at", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "web_session",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("refresh_due_at", sa.BigInteger(), nullable=False),
        sa.Column("refresh_token", sa.Text(), nullable=True),
        sa.Column("login_hint", sa.String(320), nullable=True),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
    )
    op.create_index("ix_web_session_user", "web_session", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_web_session_user", table_name="web_session")
    op.drop_table("web_session")
    op.drop_table("idp_membership")
