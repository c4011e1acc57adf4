"""Entity counts per type and parent, so that list totals need not count rows.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "entity_count",
        sa.Column("entity_type", sa.String(64), nullable=False),
        sa.Column("parent_id", sa.String(36), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("entity_type", "parent_id", "deleted", name="pk_entity_count"),
    )
    # Start from the rows there are; from here on the repository keeps the counts in step.
    op.execute(
        "INSERT INTO entity_count (entity_type, parent_id, deleted, n) "
        "SELECT entity_type, COALESCE(parent_id, ''), deleted, COUNT(*) FROM entity "
        "GROUP BY entity_type, COALESCE(parent_id, ''), deleted"
    )


def downgrade() -> None:
    op.drop_table("entity_count")
