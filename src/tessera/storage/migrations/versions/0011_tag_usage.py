"""Tag labels: tag_usage says which entities carry which tag or glossary term, for usage counts
and for rewriting the labels when a tag is renamed or deleted.

Revision ID: 0011
Revises: 0007
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
# Other branches' migrations come between; the lead re-chains this at merge.
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tag_usage",
        sa.Column("entity_id", sa.String(36), nullable=False),
        sa.Column("tag_fqn_hash", sa.String(64), nullable=False),
        sa.Column("entity_type", sa.String(64), nullable=False),
        sa.Column("tag_fqn", sa.Text(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("entity_id", "tag_fqn_hash", name="pk_tag_usage"),
    )
    op.create_index("ix_tag_usage_tag", "tag_usage", ["tag_fqn_hash"])


def downgrade() -> None:
    op.drop_index("ix_tag_usage_tag", table_name="tag_usage")
    op.drop_table("tag_usage")
