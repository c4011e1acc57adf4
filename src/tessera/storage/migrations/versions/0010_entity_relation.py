"""entity_relation: who follows an entity and who voted on it (not part of its document).

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
# Another branch's migrations may come between; the lead re-chains at merge.
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "entity_relation",
        sa.Column("to_id", sa.String(36), primary_key=True),
        sa.Column("relation", sa.String(16), primary_key=True),
        sa.Column("from_id", sa.String(36), primary_key=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_entity_relation_from", "entity_relation", ["from_id", "relation"])


def downgrade() -> None:
    op.drop_index("ix_entity_relation_from", table_name="entity_relation")
    op.drop_table("entity_relation")
