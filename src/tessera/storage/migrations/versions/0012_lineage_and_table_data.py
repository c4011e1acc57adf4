"""Lineage and table data: lineage_edge (one edge per upstream/downstream pair, indexed both
ways), entity_series (table, column and system profiles by entity and time) and entity_usage
(daily usage counts with their weekly and monthly sums).

Revision ID: 0012
Revises: 0007
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0012"
# Other branches add 0008-0011; when they are merged this revises the last of them.
down_revision = "0011"
branch_labels = None
depends_on = None

_DOCUMENT = sa.Text().with_variant(mysql.LONGTEXT(), "mysql")


def upgrade() -> None:
    op.create_table(
        "lineage_edge",
        sa.Column("from_id", sa.String(36), primary_key=True),
        sa.Column("to_id", sa.String(36), primary_key=True),
        sa.Column("from_type", sa.String(64), nullable=False),
        sa.Column("to_type", sa.String(64), nullable=False),
        sa.Column("details", _DOCUMENT, nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_lineage_edge_upstream", "lineage_edge", ["to_id", "from_id"])
    op.create_table(
        "entity_series",
        sa.Column("entity_id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("series_key", sa.String(64), primary_key=True),
        sa.Column("timestamp", sa.BigInteger(), primary_key=True),
        sa.Column("doc", _DOCUMENT, nullable=False),
    )
    op.create_index("ix_entity_series_latest", "entity_series", ["entity_id", "kind", "timestamp"])
    op.create_table(
        "entity_usage",
        sa.Column("entity_id", sa.String(36), primary_key=True),
        sa.Column("usage_date", sa.String(10), primary_key=True),
        sa.Column("entity_type", sa.String(64), nullable=False),
        sa.Column("count1", sa.BigInteger(), nullable=False),
        sa.Column("count7", sa.BigInteger(), nullable=False),
        sa.Column("count30", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_entity_usage_rank", "entity_usage", ["entity_type", "usage_date", "count1"])


def downgrade() -> None:
    op.drop_index("ix_entity_usage_rank", table_name="entity_usage")
    op.drop_table("entity_usage")
    op.drop_index("ix_entity_series_latest", table_name="entity_series")
    op.drop_table("entity_series")
    op.drop_index("ix_lineage_edge_upstream", table_name="lineage_edge")
    op.drop_table("lineage_edge")
