"""Signing keys in the database: every replica signs and verifies with the same keys, with no
shared disk (they lived in TESSERA_HOME/jwt, which tessera imports at first start).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-14
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signing_key",
        sa.Column("kid", sa.String(64), primary_key=True),
        sa.Column("private_key", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("retired_at", sa.BigInteger(), nullable=True),
        sa.Column("origin", sa.String(512), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("signing_key")
